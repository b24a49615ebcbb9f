"""Audio intelligence on /v1/listen through the official SDK: summaries, topics, intents, sentiment and
entities on real recordings, and spaCy-backed redaction of names and places."""

from __future__ import annotations

import re

import httpx

from tests import audio


def listen(client, name: str, **options):
    return client.listen.v1.media.transcribe_file(request=audio.read(name), **options)


def test_summary_topics_intents_sentiment(client):
    r = listen(
        client,
        "OSR_us_000_0034_8k.wav",
        summarize="v2",
        topics=True,
        intents=True,
        sentiment=True,
        smart_format=True,
        utterances=True,
    )
    alt = r.results.channels[0].alternatives[0]
    summary = r.results.summary
    assert summary.result == "success"
    assert 0 < len(summary.short.split()) < len(alt.words) / 2
    assert all(s in alt.transcript for s in re.split(r"(?<=[.!?]) ", summary.short)), summary.short
    words = [w.punctuated_word for w in alt.words]
    segments = r.results.topics.segments
    assert segments and all(
        seg.text == " ".join(words[int(seg.start_word) : int(seg.end_word) + 1]) for seg in segments
    )
    assert r.results.intents.segments is not None
    sentiments = r.results.sentiments
    assert sentiments.segments[0].start_word == 0 and sentiments.segments[-1].end_word == len(words) - 1
    assert all(w.sentiment in ("positive", "neutral", "negative") for w in alt.words)
    assert all(s.sentiment for p in alt.paragraphs.paragraphs for s in p.sentences)
    assert all(u.sentiment and u.words[0].sentiment for u in r.results.utterances)
    meta = r.metadata
    assert meta.summary_info.input_tokens == len(words) and meta.summary_info.model_uuid
    assert meta.topics_info.output_tokens >= len(segments) and meta.intents_info and meta.sentiment_info


def test_entities_and_redaction_of_names_and_places(client):
    alt = listen(client, "pyannote_sample.wav", detect_entities=True).results.channels[0].alternatives[0]
    found = {(e.label, e.value) for e in alt.entities}
    assert ("NAME", "Diane") in found and ("LOCATION_STATE", "New Jersey") in found, found
    jersey = next(e for e in alt.entities if e.value == "New Jersey")
    assert [w.word for w in alt.words[int(jersey.start_word) : int(jersey.end_word)]] == ["new", "jersey"]
    assert jersey.raw_value == "new jersey" and 0 < jersey.confidence <= 1
    assert alt.words[0].punctuated_word  # entities imply punctuation
    redacted = listen(client, "pyannote_sample.wav", redact=["name", "location"], punctuate=True)
    text = redacted.results.channels[0].alternatives[0].transcript
    assert "[NAME_1]" in text and "[LOCATION_STATE_1]" in text, text
    assert "Diane" not in text and "Jersey" not in text


def test_summarize_v1_shape(client):
    alt = listen(client, "jfk_16k.wav", summarize=True).results.channels[0].alternatives[0]
    (summary,) = alt.summaries
    assert summary.start_word == 0 and summary.end_word == len(alt.words) - 1
    assert "country" in summary.summary  # under 50 words: the transcript itself


def test_non_english(server, client):
    r = httpx.post(
        f"{server.url}/v1/listen",
        params={"summarize": "v2", "language": "es"},
        content=audio.read("cards_001.wav"),
        headers={"Authorization": f"Token {server.key}"},
        timeout=60,
    )
    assert r.status_code == 400
    assert r.json()["err_msg"] == "Summarization v2 not supported for non-English languages"
    r = listen(client, "cards_001.wav", language="es", topics=True, detect_entities=True)
    warnings = r.metadata.warnings  # not typed by the SDK: plain dicts
    assert {(w["parameter"], w["type"]) for w in warnings} == {
        ("topics", "unsupported_language"),
        ("detect_entities", "unsupported_language"),
    }
    assert r.results.topics is None and r.results.channels[0].alternatives[0].entities is None

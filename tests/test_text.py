"""Text intelligence as pure functions: documents, sentiment, summaries, topics, intents, entities,
custom labels, /v1/read options and entity redaction."""

from __future__ import annotations

import pytest

from opengram.errors import InvalidQueryParameter
from opengram.speech import redaction
from opengram.speech.options import ListenOptions
from opengram.speech.words import TimedWord
from opengram.text import custom, entities, intents, sentiment, summarize, topics
from opengram.text.document import MAX_SENTENCE_WORDS, Document, Span
from opengram.text.options import ReadOptions


def test_document_words_and_sentences():
    doc = Document.from_text("Dr. Smith paid $3.50 today.  Was it good?\nYes.")
    assert doc.words[:3] == ("Dr.", "Smith", "paid")
    assert [doc.text_of(s) for s in doc.sentences] == ["Dr. Smith paid $3.50 today.", "Was it good?", "Yes."]
    assert doc.word_at(doc.char_starts[4]) == 4
    run_on = Document.from_words(["word"] * (MAX_SENTENCE_WORDS + 5))
    assert run_on.sentences == (Span(0, MAX_SENTENCE_WORDS), Span(MAX_SENTENCE_WORDS, MAX_SENTENCE_WORDS + 5))
    assert Document.from_text("  ").sentences == ()
    assert [
        s.end - s.start for s in Document.from_text("Alpha beta. Gamma delta. Epsilon zeta eta theta.").segments(3)
    ] == [4, 4]


def test_sentiment_scores_and_labels():
    doc = Document.from_text("I love this, it is wonderful! This is awful and I hate it. The box is blue.")
    result = sentiment.sentiments(doc)
    assert [s.sentiment for s in result.segments] == ["positive", "negative", "neutral"]
    assert result.average.sentiment_score == pytest.approx(
        sum(s.sentiment_score for s in result.segments) / 3, abs=1e-3
    )
    assert (sentiment.label(0.34), sentiment.label(0.33), sentiment.label(-0.34)) == ("positive", "neutral", "negative")


def test_summary_is_short_extractive_and_in_order():
    sentences = [
        f"Sentence number {i} talks about the {topic} budget." for i, topic in enumerate(["marketing", "sales"] * 9)
    ]
    doc = Document.from_text(" ".join(sentences))
    summary = summarize.summarize(doc)
    picked = [s for s in sentences if s in summary]
    assert 1 <= len(picked) <= 3 and " ".join(picked) == summary
    short = Document.from_text("Too short to summarise. Really.")
    assert summarize.summarize(short) == short.text


def test_summary_of_long_input_is_done_in_blocks():
    doc = Document.from_text(" ".join(f"Point {i} is about item {i % 7} and cost {i}." for i in range(450)))
    assert 1 <= summarize.summarize(doc).count("Point") <= summarize.MAX_SENTENCES


def test_topics_and_custom_modes():
    doc = Document.from_text(
        "Our solar panels cut the electricity bill in half. Solar panels need little maintenance. "
        "The electricity bill was the main complaint of customers last winter."
    )
    found = [t.topic.lower() for s in topics.topics(doc).segments for t in s.topics]
    assert any("solar" in t for t in found) and any("electricity" in t for t in found), found
    strict = topics.topics(doc, ["maintenance costs", "winter"], "strict")
    assert [t.topic for s in strict.segments for t in s.topics] == ["winter"]


def test_custom_label_matching_by_stems():
    assert custom.matches(["Cancel subscriptions", "refund"], "I'd like to cancel my subscription.") == [
        ("Cancel subscriptions", 1.0)
    ]
    assert custom.matches(["billing problem"], "The billing system works.") == []  # needs both words
    assert custom.matches(["the"], "the the the") == []  # no content words, no match


def test_intents_from_the_parse():
    doc = Document.from_text(
        "Hi, I'd like to cancel my subscription. Can you schedule a meeting for Friday? The sky is blue. "
        "I would like a refund. I like pizza."
    )
    found = {doc.text_of(doc.sentences[i]): [x for x, _ in found] for i, found in enumerate(intents.detect(doc))}
    assert found["Hi, I'd like to cancel my subscription."] == ["Cancel subscription"]
    assert found["Can you schedule a meeting for Friday?"] == ["Schedule meeting"]
    assert found["I would like a refund."] == ["Request refund"]
    assert found["The sky is blue."] == [] and found["I like pizza."] == []
    strict = intents.intents(doc, ["Schedule meetings"], "strict")
    assert [(s.start_word, [i.intent for i in s.intents]) for s in strict.segments] == [(7, ["Schedule meetings"])]


def test_entities_with_deepgram_labels():
    doc = Document.from_text(
        "This is Diane from New Jersey. I met Tom Hanks in Chicago, in the United States, on Monday."
    )
    found = {(f.label, " ".join(doc.words[f.start : f.end]).strip(".,")) for f in entities.find(doc)}
    assert {
        ("NAME", "Diane"),
        ("LOCATION_STATE", "New Jersey"),
        ("NAME", "Tom Hanks"),
        ("LOCATION_CITY", "Chicago"),
    } <= found
    assert ("LOCATION_COUNTRY", "the United States") in found and ("DATE", "Monday") in found
    assert entities.covers("LOCATION_CITY", "LOCATION") and not entities.covers("NAME", "LOCATION")


def _words(text: str) -> list[TimedWord]:
    return [TimedWord(w.strip(".,").lower(), w, i, i + 0.5, 0.9) for i, w in enumerate(text.split())]


def test_redaction_of_names_and_places():
    words = _words("This is Diane in New Jersey, and Diane calls 5551234567 daily.")
    out = " ".join(
        w.punctuated for w in redaction.redact(words, redaction.entity_types(["name", "location", "phone_number"]))
    )
    assert out == "This is [NAME_1] in [LOCATION_STATE_1], and [NAME_1] calls [PHONE_NUMBER_1] daily."
    assert "name" in redaction.entity_types(["pii"])
    assert redaction.spans_of("dob", words) == []  # accepted, answered with a warning, not detected


def test_read_options():
    options = ReadOptions.parse([("summarize", "v2"), ("custom_topic", "a"), ("custom_topic", "b"), ("tag", "t")])
    assert options.intelligence().summarize and options.custom_topic == ["a", "b"]
    assert options.feature_names() == ["summarize", "custom_topic"]
    for bad in [("sentiment", "maybe"), ("custom_intent_mode", "loose"), ("summarize", "v3"), ("custom_topic", " ")]:
        with pytest.raises(InvalidQueryParameter):
            ReadOptions.parse([bad])
    with pytest.raises(InvalidQueryParameter):
        ReadOptions.parse([("custom_topic", str(i)) for i in range(101)])
    with pytest.raises(InvalidQueryParameter):
        ListenOptions.parse([("custom_intent", str(i)) for i in range(101)])

"""`diarize=true` through the official SDK: real speaker embeddings, an unknown number of speakers."""

from __future__ import annotations

from collections import Counter
from itertools import permutations

from tests import audio


def reference_speaker(turns: list[dict], t: float) -> str | None:
    hits = [turn["speaker"] for turn in turns if turn["start"] <= t <= turn["end"]]
    return hits[0] if len(hits) == 1 else None  # overlapping speech counts for nobody


def test_two_speaker_call(client):
    response = client.listen.v1.media.transcribe_file(
        request=audio.read("pyannote_sample.wav"), diarize=True, punctuate=True, utterances=True, paragraphs=True
    )
    words = response.results.channels[0].alternatives[0].words
    assert all(w.speaker is not None and 0 <= w.speaker_confidence <= 1 for w in words)
    speakers = Counter(w.speaker for w in words)
    assert len(speakers) == 2, speakers
    # Words agree with the reference turns under the best mapping of labels.
    turns = audio.manifest()["pyannote_sample.wav"]["speaker_turns"]
    pairs = [(w.speaker, reference_speaker(turns, (w.start + w.end) / 2)) for w in words]
    pairs = [p for p in pairs if p[1] is not None]
    names = sorted({r for _, r in pairs})
    best = max(
        sum(1 for ours, ref in pairs if mapping.get(ours) == ref)
        for mapping in (dict(zip(sorted(speakers), perm)) for perm in permutations(names))
    )
    accuracy = best / len(pairs)
    print(f"word speaker accuracy {accuracy:.2f} over {len(pairs)} words")
    assert accuracy >= 0.75
    utterances = response.results.utterances
    assert {u.speaker for u in utterances} == set(speakers)
    assert all(len({w.speaker for w in u.words}) == 1 for u in utterances)
    paragraphs = response.results.channels[0].alternatives[0].paragraphs
    assert paragraphs.transcript.startswith("\nSpeaker ")
    assert {p.speaker for p in paragraphs.paragraphs} == set(speakers)


def test_one_speaker_is_one_speaker(client):
    response = client.listen.v1.media.transcribe_file(request=audio.read("preamble.wav"), diarize=True)
    assert {w.speaker for w in response.results.channels[0].alternatives[0].words} == {0}

"""The pure text functions behind /v1/listen's features."""

from __future__ import annotations

import pytest

from opengram.speech import formatting, redaction, structure
from opengram.speech.search import search
from opengram.speech.words import TimedWord, plain_word


def W(text: str, gap: float = 0.0) -> list[TimedWord]:
    return [
        TimedWord(plain_word(t), t, i * (0.5 + gap), i * (0.5 + gap) + 0.5, 0.9) for i, t in enumerate(text.split())
    ]


def S(words: list[TimedWord]) -> str:
    return " ".join(w.punctuated for w in words)


def test_drop_fillers_keeps_punctuation_sensible():
    assert S(formatting.drop_fillers(W("Yeah, as much as, um, it's worth it. Um, I think so."))) == (
        "Yeah, as much as it's worth it. I think so."
    )


def test_dictation():
    out = formatting.dictation(W("hello comma world period how are you question mark new line bye"))
    assert " ".join(w.punctuated for w in out) == "hello, world. How are you?\n Bye"


@pytest.mark.parametrize(
    "said,written",
    [
        ("One, two, three.", "1, 2, 3."),
        ("nine hundred and twelve dollars", "912 dollars"),
        ("the twenty first of May", "the 21st of May"),
        ("the first one", "the first one"),
        ("a one time thing", "a one time thing"),
        ("two point five", "2.5"),
    ],
)
def test_written_numbers(said, written):
    assert S(formatting.written_numbers(W(said))) == written


@pytest.mark.parametrize(
    "written,said",
    [
        ("Testing 123", "Testing one hundred twenty three"),
        ("In 1455.", "In fourteen fifty five."),
        ("$5", "Five dollars"),
        ("ok 50%", "ok fifty percent"),
        ("the 21st", "the twenty first"),
        ("at 3:05", "at three oh five"),
    ],
)
def test_spoken_numbers(written, said):
    assert S(formatting.spoken_numbers(W(written))) == said


def test_spoken_numbers_share_the_time():
    out = formatting.spoken_numbers(W("ok 123"))
    assert [w.word for w in out] == ["ok", "one", "hundred", "twenty", "three"]
    assert out[1].start == 0.5 and out[-1].end == 1.0
    assert all(a.end == pytest.approx(b.start) for a, b in zip(out[1:], out[2:]))


@pytest.mark.parametrize(
    "said,written",
    [
        ("The code is zero, five, nine, five, five.", "The code is 05955."),
        ("zero five nine five five", "05955"),
        ("my zip is nine, oh, two, one, oh, and the rest", "my zip is 90210, and the rest"),
        ("One, two, three.", "1, 2, 3."),  # counting keeps its commas
        ("five, four, three, two, one", "5, 4, 3, 2, 1"),  # and so does a countdown
        ("call five five five, one two three four five six seven", "call 555-123-4567"),
        ("seats four and five", "seats 4 and 5"),
        ("Oh, five people came.", "Oh, 5 people came."),
    ],
)
def test_smart_format_digit_strings(said, written):
    assert S(formatting.smart_format(W(said))) == written


def test_measurements():
    assert S(
        formatting.measurements(formatting.written_numbers(W("take five milligrams and walk ten kilometers")))
    ) == ("take 5 mg and walk 10 km")


def test_smart_format_entities():
    out = formatting.smart_format(
        W(
            "call five five five one two three four five six seven or jane at example dot com "
            "it costs five dollars and ten percent"
        )
    )
    assert S(out) == "call 555-123-4567 or jane@example.com it costs $5 and 10%"


def test_profanity_filter():
    assert S(formatting.profanity_filter(W("What the fuck, shit."))) == "What the f***, s***."


def test_redaction_in_order_with_numbering():
    words = formatting.written_numbers(
        W(
            "card four one one one one one one one one one one one one one one one and cvv one two three. "
            "social one two three four five six seven eight nine. "
            "again four one one one one one one one one one one one one one one one."
        )
    )
    out = S(redaction.redact(words, redaction.entity_types(["pci", "ssn"])))
    assert out == "card [CREDIT_CARD_1] and cvv [CVV_1]. social [SSN_1]. again [CREDIT_CARD_1]."
    assert S(redaction.redact(words, ["numbers"])).count("[NUMBER_") == 4


@pytest.mark.parametrize(
    "said,written",
    [
        ("Please spell it x, y, z, 4, 5.", "Please spell it XYZ45."),
        ("room b 12 please", "room B12 please"),
        ("order a bc123", "order a bc123"),  # the article stays; a lone token is left as the model wrote it
        ("get a B on it", "get a B on it"),
        ("A, B, C, 1, 2.", "ABC12."),
        ("call 5 5 5 now", "call 5 5 5 now"),  # digits alone are numerals' business
        ("spell it XYC four five", "spell it XYC45"),  # the model's capitals, then digits said as words
        ("NASA four five", "NASA45"),  # digits said as words, once spelling has begun
        ("one two three", "one two three"),
    ],
)
def test_alphanumerics_join_spelled_strings(said, written):
    words = W(said)
    out = formatting.alphanumerics(words)
    assert S(out) == written
    joined = [w for w in out if w.punctuated not in said.split()]
    assert all(w.end - w.start >= 1.0 for w in joined)  # it spans the words it was made of (0.5 s each)
    assert out[-1].end == words[-1].end


def test_redaction_groups_and_unknowns():
    assert redaction.entity_types(["true"]) == ["numbers"]
    assert "ssn" in redaction.entity_types(["pii"])
    with pytest.raises(ValueError):
        redaction.entity_types(["not_an_entity"])


def test_replace_case_rules_and_deletion():
    pairs = redaction.parse_replacements(["refund:money back", "late"])
    out = redaction.apply_replacements(W("I want a Refund. The refund was late."), pairs)
    assert S(out) == "I want a money back. The money back was."
    assert S(redaction.apply_replacements(W("Refund refund"), [("Refund", "X")])) == "X refund"


def test_search_by_sound():
    hits = search(W("the earliest book printed with movable types the Gudenberg Bible"), "Gutenberg")
    assert hits[0].snippet == "gudenberg" and hits[0].confidence >= 0.8


def test_utterances_split_on_pauses_and_speakers():
    words = W("a b c d", gap=1.0)
    assert len(structure.utterances(words, 0, 0.8)) == 4
    assert len(structure.utterances(words, 0, 2.0)) == 1
    words[2].speaker = 1
    assert len(structure.utterances(words, 0, 2.0)) == 3


def test_paragraphs():
    words = W("One sentence. Two sentence. Three.")
    words[-1].start, words[-1].end = 10.0, 10.5  # a long pause before the last sentence
    paragraphs = structure.paragraphs(words)
    assert [len(p.sentences) for p in paragraphs] == [2, 1]

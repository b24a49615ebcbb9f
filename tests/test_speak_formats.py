"""TTS pure functions: output-format rules and defaults, Aura name mapping, and how long text is cut."""

from __future__ import annotations

import pytest

from opengram.engines.tts import bundled_joe
from opengram.engines.voices import VoiceRegistry
from opengram.errors import InvalidQueryParameter, NoSuchVoice, UnsupportedAudioFormat
from opengram.voice.formats import AudioFormat, parse
from opengram.voice.options import SpeakOptions
from opengram.voice.service import MAX_PIECE_CHARS, pieces, quick_start, speakable


@pytest.mark.parametrize(
    "args,expected",
    [
        ((None, None, None, None), AudioFormat("mp3", "", 22050, 48000)),
        (("linear16", None, None, None), AudioFormat("linear16", "wav", 24000, None)),
        (("mulaw", "none", None, None), AudioFormat("mulaw", "none", 8000, None)),
        (("alaw", None, "16000.0", None), AudioFormat("alaw", "wav", 16000, None)),
        (("opus", None, None, None), AudioFormat("opus", "ogg", 48000, 12000)),
        (("OPUS", "ogg", None, "650000"), AudioFormat("opus", "ogg", 48000, 650000)),
        (("flac", None, "22050", None), AudioFormat("flac", "", 22050, None)),
        (("aac", None, None, "4000"), AudioFormat("aac", "", 22050, 4000)),
    ],
)
def test_defaults_and_allowed_values(args, expected):
    assert parse(*args) == expected


def test_streaming_rules():
    assert parse(None, None, None, None, streaming=True) == AudioFormat("linear16", "none", 24000, None)
    assert parse("mulaw", "none", None, "48000", streaming=True) == AudioFormat("mulaw", "none", 8000, None)
    with pytest.raises(InvalidQueryParameter):
        parse("mp3", None, None, None, streaming=True)
    with pytest.raises(UnsupportedAudioFormat):
        parse("linear16", "wav", None, None, streaming=True)


@pytest.mark.parametrize(
    "args,message",
    [
        (("flac", "ogg", None, None), "`container` is not applicable when `encoding=flac`"),
        (("aac", None, "22050", None), "`sample_rate` is not applicable when `encoding=aac`"),
        (
            ("linear16", None, "44100", None),
            "`sample_rate` must be [8000, 16000, 24000, 32000, 48000] when `encoding=linear16`",
        ),
        (("flac", None, None, "1000"), "`bit_rate` is not applicable when `encoding=flac`"),
        (("opus", None, None, "700000"), "`bit_rate` must be between 4000 and 650000 when `encoding=opus`"),
    ],
)
def test_unsupported_combinations(args, message):
    with pytest.raises(UnsupportedAudioFormat) as err:
        parse(*args)
    assert err.value.message == f"Unsupported audio format: {message}"


@pytest.mark.parametrize("value", ["fast", "16000.5", "1e999x"])
def test_bad_numbers(value):
    with pytest.raises(InvalidQueryParameter):
        parse("linear16", None, value, None)


@pytest.mark.parametrize(
    "fmt,content_type",
    [
        (AudioFormat("linear16", "wav", 24000, None), "audio/wav"),
        (AudioFormat("linear16", "none", 24000, None), "audio/l16;rate=24000"),
        (AudioFormat("mulaw", "none", 8000, None), "audio/mulaw;rate=8000"),
        (AudioFormat("alaw", "none", 16000, None), "audio/alaw;rate=16000"),
        (AudioFormat("opus", "ogg", 48000, 12000), "audio/ogg;codecs=opus"),
        (AudioFormat("aac", "", 22050, 48000), "audio/aac"),
    ],
)
def test_content_types(fmt, content_type):
    assert fmt.content_type == content_type


def test_options_keep_tags_and_check_speed_and_callback_method():
    options = SpeakOptions.parse([("tag", "a"), ("tag", "b"), ("speed", "1.25"), ("callback_method", "put")])
    assert options.tag == ["a", "b"] and options.speed == 1.25 and options.callback_method == "PUT"
    assert options.config() == {"encoding": "mp3", "sample_rate": 22050, "bit_rate": 48000, "speed": 1.25}
    for bad in (("speed", "0.5"), ("speed", "quick"), ("callback_method", "GET")):
        with pytest.raises(InvalidQueryParameter):
            SpeakOptions.parse([bad])
    assert SpeakOptions.parse([("callback", "http://x.y/")], streaming=True).callback is None


def test_aura_names_map_to_the_installed_voice():
    joe = bundled_joe()
    voices = VoiceRegistry([joe], loader=lambda spec: None)
    assert voices.resolve(None).name == "aura-asteria-en"  # Deepgram's default model
    for name in ("aura-2-thalia-en", "AURA-ZEUS-EN", "piper-en_US-joe-medium"):
        assert voices.resolve(name).spec == joe
    assert voices.resolve("aura-2-thalia-en").uuid != voices.resolve("aura-2-zeus-en").uuid
    for name in ("aura-2-celeste-es", "aura-2-nobody-en", "nova-3"):
        with pytest.raises(NoSuchVoice):
            voices.resolve(name)


def test_long_text_is_cut_at_sentence_clause_or_word_boundaries():
    assert pieces("  Short text.  ") == ["Short text."]
    sentences = " ".join(["This sentence has exactly forty-nine characters."] * 20)
    cut = pieces(sentences)
    assert all(len(p) <= MAX_PIECE_CHARS for p in cut) and all(p.endswith(".") for p in cut)
    assert " ".join(cut) == sentences
    clauses = ", ".join(["a clause without any end"] * 40)
    assert all(p.endswith(",") for p in pieces(clauses)[:-1])
    words = " ".join(["word"] * 200)
    assert all(len(p) <= MAX_PIECE_CHARS and not p.startswith(" ") for p in pieces(words))
    assert pieces("x" * 1000) == ["x" * 400, "x" * 400, "x" * 200]


def test_control_characters_and_phoneme_brackets_are_not_spoken():
    assert speakable("a\x00b\x07c\nd\te") == "a b c\nd\te"
    assert "[[" not in speakable("see [[note]] here") and "]]" not in speakable("see [[note]] here")


def test_a_long_first_sentence_starts_at_its_first_clause():
    long_first = "Good afternoon, this is the pharmacy calling to let you know that your prescription is ready."
    assert quick_start([long_first + " Bye."]) == ["Good afternoon,", long_first[16:] + " Bye."]
    assert quick_start(["Short, first sentence. Then a long one, which is left whole, as later sentences are."]) == [
        "Short, first sentence. Then a long one, which is left whole, as later sentences are."
    ]
    no_clause = "A long first sentence without any clause mark in it goes out whole as it always did."
    assert quick_start([no_clause]) == [no_clause] and quick_start([]) == []

"""The pieces of live transcription that need no server: incremental audio decoding, Silero segmentation
and the short-window guards, on the shared recordings."""

from __future__ import annotations

import numpy as np
import pytest

from opengram.engines.asr import DecodeOptions
from opengram.engines.live_decode import FULL_WINDOW, Window, _repeated_phrase, window_frames
from opengram.engines.vad import StreamingVad
from opengram.speech.live import audio as live_audio
from opengram.speech.live.segments import RATE, Cut, SpeechStarted, StreamConfig, Track
from opengram.speech.options import ListenOptions
from tests import audio


def feed(data: bytes, size: int):
    pieces = [data[i : i + size] for i in range(0, len(data), size)]
    it = iter(pieces)
    return lambda: next(it, None)


def collect(take, **kw) -> np.ndarray:
    out: list[np.ndarray] = []
    live_audio.decode_any(take, lambda chans: out.append(chans[0]), **kw)
    return np.concatenate(out)


def test_wav_in_odd_pieces_decodes_like_the_whole_file():
    data = audio.read("testing123_8k_mulaw.wav")
    whole = collect(feed(data, len(data)), encoding=None, multichannel=False)
    pieces = collect(feed(data, 37), encoding=None, multichannel=False)  # splits the header and samples
    assert whole.size == pytest.approx(4.68 * RATE, abs=RATE * 0.01)
    np.testing.assert_allclose(pieces, whole, atol=1e-6)


def test_raw_linear16_split_mid_sample():
    pcm = audio.pcm16("cards_001.wav")
    decoder = live_audio.RawDecoder("linear16", 16000, 1)
    parts = [decoder.decode(pcm[i : i + 333])[0] for i in range(0, len(pcm), 333)]
    got = np.concatenate(parts)
    expected = np.frombuffer(pcm, "<i2").astype(np.float32) / 32768
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_undecodable_bytes_are_reported():
    with pytest.raises(live_audio.UndecodableAudio):
        collect(feed(b"definitely not audio " * 1000, 500), encoding=None, multichannel=False)


def test_streaming_vad_matches_whole_file_vad():
    from faster_whisper.vad import get_vad_model

    x = np.frombuffer(audio.pcm16("jfk_16k.wav"), "<i2").astype(np.float32) / 32768
    x = x[: x.size // 512 * 512]
    whole = np.asarray(get_vad_model()(x)).reshape(-1)
    vad = StreamingVad()
    pieces = np.concatenate([vad.feed(x[i : i + 700]) for i in range(0, x.size, 700)])
    np.testing.assert_allclose(pieces, whole[: pieces.size], atol=1e-5)


def segment(samples: np.ndarray, **options) -> list:
    config = StreamConfig.of(ListenOptions.parse(list(options.items())))
    track, events = Track(0, config), []
    for i in range(0, samples.size, 800):
        track.append(samples[i : i + 800], events.append)
    last = track.flush(from_finalize=False)
    return events + ([last] if last else [])


def test_segmentation_tiles_speech_and_silence():
    speech = np.frombuffer(audio.pcm16("jfk_16k.wav"), "<i2").astype(np.float32) / 32768
    x = np.concatenate([np.zeros(3 * RATE, np.float32), speech, np.zeros(3 * RATE, np.float32)])
    events = segment(x, interim_results="true")
    cuts = [e for e in events if isinstance(e, Cut)]
    assert cuts[0].start == 0 and cuts[-1].end == x.size
    assert all(a.end == b.start for a, b in zip(cuts, cuts[1:]))
    silent = [c for c in cuts if c.audio is None]
    spoken = [c for c in cuts if c.audio is not None]
    assert len(silent) >= 4 and all(not c.speech_final for c in silent)  # about one a second of silence
    assert 2 <= len(spoken) <= 6 and all(c.speech_final for c in spoken[:-1])
    assert all(c.audio_start >= 2.5 * RATE for c in spoken)  # no speech in the leading silence
    assert [e.at for e in events if isinstance(e, SpeechStarted)][0] == pytest.approx(3.3 * RATE, abs=0.3 * RATE)


def test_endpointing_false_and_long_speech_is_cut():
    speech = np.frombuffer(audio.pcm16("preamble.wav"), "<i2").astype(np.float32) / 32768
    cuts = [e for e in segment(speech, endpointing="false") if isinstance(e, Cut)]
    assert not any(c.speech_final for c in cuts)
    assert all((c.end - c.start) / RATE <= 12.5 for c in cuts if c.audio is not None)


@pytest.mark.parametrize(
    "text,looping",
    [
        ("We're just saying some words. We're just saying some words. We're just", True),
        ("And here are some more words, words words words. And here are some more words", True),
        ("And here are some more words, words, words, words.", False),
        ("Testing 123, testing 123.", False),
    ],
)
def test_repeated_phrase_guard(text, looping):
    window = Window(np.zeros(5 * RATE, np.float32), [(0.2, 4.8)], DecodeOptions(), final=True)
    assert _repeated_phrase(text, window) is looping


def test_short_segment_word_doubling_is_suspect():
    window = Window(np.zeros(RATE, np.float32), [(0.2, 0.8)], DecodeOptions(), final=True)
    assert _repeated_phrase("3 3", window)
    assert not _repeated_phrase("three", window)


def test_window_buckets():
    assert window_frames(3.0) == 1000
    assert window_frames(11.0) == 1500
    assert window_frames(29.0) == FULL_WINDOW

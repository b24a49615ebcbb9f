"""Speaker embeddings and diarization on real recordings, without a server."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pytest

from opengram.engines import mel, speaker, torch_pickle
from opengram.speech.audio import decode
from opengram.speech.der import diarization_error_rate, read_rttm
from opengram.speech.diarize import Turn, assign_speakers, diarize
from tests import audio


@lru_cache
def channels(name: str) -> np.ndarray:
    with open(audio.path(name), "rb") as f:
        return decode(f).samples


def mono(name: str) -> np.ndarray:
    c = channels(name)
    return c[0] if len(c) == 1 else c.mean(axis=0)


@pytest.fixture(scope="module")
def encoder() -> speaker.VoiceEncoder:
    return speaker.get_encoder()


def only(name: str, who: str) -> np.ndarray:
    """The samples where the manifest's turns have `who` speaking alone."""
    x = mono(name)
    frames = np.arange(len(x) // 160)
    mine = np.zeros(len(frames), bool)
    other = np.zeros(len(frames), bool)
    for t in audio.manifest()[name]["speaker_turns"]:
        span = (frames >= t["start"] * 100) & (frames < t["end"] * 100)
        (mine if t["speaker"] == who else other)[span] = True
    keep = np.repeat(mine & ~other, 160)
    return x[: len(keep)][keep]


def test_weights_load_without_torch():
    import sys

    state = torch_pickle.load_torch_legacy(speaker.pretrained_path())["model_state"]
    assert state["lstm.weight_ih_l0"].shape == (1024, 40)
    assert state["lstm.weight_hh_l2"].dtype == np.float32
    assert state["linear.weight"].shape == (256, 256)
    assert "torch" not in sys.modules


def test_unpickler_refuses_arbitrary_globals(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "evil.pt"
    with open(path, "wb") as f:
        for header in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}):
            pickle.dump(header, f, protocol=2)
        pickle.dump({"model_state": Evil()}, f, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="refusing to load global .*print"):
        torch_pickle.load_torch_legacy(path)


def test_mel_filterbank_matches_librosas_shape_and_norm():
    fb = mel.mel_filterbank()
    assert fb.shape == (40, 201)
    assert (fb >= 0).all() and (fb.sum(axis=1) > 0).all()
    # Slaney normalisation: each triangle's area (in Hz) is 1.
    assert np.allclose(fb.sum(axis=1) * 8000 / 200, 1.0, atol=0.12)


def test_same_speaker_is_closer_than_another(encoder):
    # Two halves of each caller's solo speech in the 2-speaker phone call.
    a = only("pyannote_sample.wav", "speaker90")
    b = only("pyannote_sample.wav", "speaker91")
    a1, a2 = encoder.embed_utterance(a[: len(a) // 2]), encoder.embed_utterance(a[len(a) // 2 :])
    b1, b2 = encoder.embed_utterance(b[: len(b) // 2]), encoder.embed_utterance(b[len(b) // 2 :])
    assert a1 @ a2 > 0.9 and b1 @ b2 > 0.9
    assert max(a1 @ b1, a1 @ b2, a2 @ b1, a2 @ b2) < min(a1 @ a2, b1 @ b2) - 0.05
    # The same LJ Speech reader in two clips, against JFK.
    lj1, lj7, jfk = (encoder.embed_utterance(mono(n)) for n in ("LJ001-0001.wav", "LJ001-0007.wav", "jfk_16k.wav"))
    assert lj1 @ lj7 > 0.85 > 0.6 > max(lj1 @ jfk, lj7 @ jfk)


def test_stereo_channels_are_different_speakers(encoder):
    left, right = channels("stereo_diarization.wav")
    el, er = encoder.embed_utterance(left), encoder.embed_utterance(right)
    assert el @ er < 0.8
    # The left channel is LibriSpeech 61-70968-0000, stored separately too.
    assert el @ encoder.embed_utterance(mono("61-70968-0000.flac")) > 0.99
    assert np.isclose(np.linalg.norm(el), 1.0) and (el >= 0).all()


@pytest.mark.parametrize("gain", [1.0, 2.0])  # the encoder's level normalisation makes loudness irrelevant
def test_pyannote_sample_two_speakers_and_der(encoder, gain):
    turns = diarize(mono("pyannote_sample.wav") * np.float32(gain), encoder=encoder)
    assert {t.speaker for t in turns} == {0, 1}
    assert turns[0].speaker == 0  # numbered in order of appearance
    assert all(0.0 <= t.confidence <= 1.0 and t.start < t.end for t in turns)
    assert all(a.end <= b.start for a, b in zip(turns, turns[1:]))
    ref = read_rttm(audio.path("pyannote_sample.rttm"))
    result = diarization_error_rate(ref, [(t.start, t.end, t.speaker) for t in turns], collar=0.25)
    assert result.der <= 0.20, result


def test_silence_and_noise_give_no_turns(encoder):
    assert diarize(np.zeros(16000 * 5, np.float32), encoder=encoder) == []
    noise = np.random.default_rng(0).normal(0, 1e-4, 16000 * 5).astype(np.float32)
    assert diarize(noise, encoder=encoder) == []


def test_single_speaker_is_one_speaker(encoder):
    turns = diarize(mono("preamble.wav"), encoder=encoder)
    assert turns and {t.speaker for t in turns} == {0}


def test_caller_speech_regions_and_speaker_bounds(encoder):
    x = mono("pyannote_sample.wav")
    turns = diarize(x, encoder=encoder, speech=[(7.5, 30.0)], max_speakers=1)
    assert {t.speaker for t in turns} == {0}
    assert turns[0].start >= 7.5


@dataclass
class W:
    start: float
    end: float


def test_assign_speakers():
    turns = [Turn(0.0, 2.0, 0, 0.9), Turn(2.0, 4.0, 1, 0.8), Turn(6.0, 7.0, 0, 1.0)]
    got = assign_speakers([W(0.5, 0.9), W(1.9, 2.5), W(4.1, 4.3), W(5.5, 5.8), W(9.0, 9.5)], turns)
    assert [s for s, _ in got] == [0, 1, 1, 0, 0]
    assert got[0][1] == 0.9
    assert 0 < got[1][1] < 0.8  # mostly speaker 1, partly speaker 0
    assert got[2][1] < 0.8 and got[4][1] < got[3][1]  # outside every turn: decays with the distance
    assert all(0.0 <= c <= 1.0 for _, c in got)
    assert assign_speakers([W(0, 1)], []) == [(0, 0.0)]


def test_der_basics():
    ref = [(0.0, 2.0, "a"), (2.0, 4.0, "b")]
    assert diarization_error_rate(ref, [(0.0, 2.0, 7), (2.0, 4.0, 3)], collar=0).der == 0.0
    swapped = diarization_error_rate(ref, [(0.0, 4.0, 1)], collar=0)
    assert swapped.confusion == pytest.approx(2.0) and swapped.der == pytest.approx(0.5)
    assert diarization_error_rate(ref, [], collar=0).der == pytest.approx(1.0)
    fa = diarization_error_rate(ref, [(0.0, 5.0, 1), (2.0, 4.0, 2)], collar=0)
    # 4-5 s has a speaker where none is, 2-4 s a second one where one is: 3 s of false alarm.
    assert fa.false_alarm == pytest.approx(3.0) and fa.confusion == pytest.approx(0.0)
    # The collar leaves 0.25 s each side of every boundary out of the count.
    assert diarization_error_rate(ref, [(0.2, 2.2, 1), (2.2, 4.0, 2)], collar=0.25).der == 0.0

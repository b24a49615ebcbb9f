"""Decoding: every container and sample format to 16 kHz float32, and clean failures."""

from __future__ import annotations

import io

import numpy as np
import pytest

from opengram.errors import CorruptAudio, InvalidQueryParameter, PayloadTooLarge
from opengram.speech.audio import TARGET_RATE, decode
from tests import audio

FILES = [n for n in audio.manifest() if not n.endswith(".raw")]


@pytest.mark.parametrize("name", FILES)
def test_decodes_every_shared_file(name):
    info = audio.manifest()[name]
    decoded = decode(io.BytesIO(audio.read(name)))
    assert decoded.channels == info["channels"]
    assert decoded.duration == pytest.approx(info["duration_s"], abs=0.1)
    assert decoded.samples.dtype == np.float32
    assert 0.05 < np.abs(decoded.samples).max() <= 1.0


def test_raw_pcm_stereo():
    mono = np.frombuffer(audio.pcm16("cards_001.wav"), "<i2")
    stereo = np.stack([mono, mono // 2], axis=1).tobytes()
    decoded = decode(io.BytesIO(stereo), encoding="linear16", sample_rate=16000, channels=2)
    assert decoded.channels == 2
    assert decoded.samples.shape[1] == len(mono)


def test_encoding_hint_does_not_override_a_container():
    decoded = decode(io.BytesIO(audio.read("jfk_16k.wav")), encoding="linear16", sample_rate=8000)
    assert decoded.duration == pytest.approx(11.0, abs=0.01)


def test_raw_needs_a_rate():
    with pytest.raises(InvalidQueryParameter):
        decode(io.BytesIO(b"\x00" * 3200), encoding="mulaw")


def test_length_limit():
    with pytest.raises(PayloadTooLarge):
        decode(io.BytesIO(audio.read("jfk_16k.wav")), max_seconds=5)


def test_garbage():
    with pytest.raises(CorruptAudio):
        decode(io.BytesIO(b"\x01\x02" * 1000))
    assert TARGET_RATE == 16000

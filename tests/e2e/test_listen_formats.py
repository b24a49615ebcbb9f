"""Every format of the shared recordings, through the official SDK's transcribe_file, scored by WER."""

from __future__ import annotations

import pytest

from tests import audio

# Measured with tiny.en int8, beam 1, on this corpus (see bench/RESULTS.md); limits leave a margin for
# run-to-run noise, and fail if decoding or resampling of a format goes wrong.
WER_LIMITS = {
    "jfk.flac": 0.05,
    "jfk_16k.wav": 0.05,
    "jfk.mp3": 0.05,
    "61-70968-0000.flac": 0.10,
    "pyannote_sample.wav": 0.25,
    "preamble.wav": 0.08,
    "preamble_8k_mulaw.wav": 0.10,
    "testing123_8k_mulaw.wav": 0.10,
    "OSR_us_000_0034_8k.wav": 0.08,
    "one_two_three.wav": 0.10,
    "one_two_three_24bit.flac": 0.10,
    "one_two_three_stereo.aiff": 0.10,
    "one_two_three_8bit.wav": 0.10,
    "one_two_three_stereo_32bit.wav": 0.10,
    "cards_001.wav": 0.10,
    "cards_005.wav": 0.25,
    "ami_ES2011a_headset_40s-46s.wav": 0.25,
    "LJ001-0001.wav": 0.12,
    "LJ001-0007.wav": 0.30,
    "common_voice_en_22058267.mp3": 0.10,
    "mfa_acoustic_corpus.wav": 0.25,
    "spacewalk.wav": 0.30,
}


def test_every_referenced_recording_is_covered():
    referenced = {n for n, f in audio.manifest().items() if f["transcript"] and not n.endswith(".raw")}
    assert referenced == set(WER_LIMITS)


@pytest.mark.parametrize("name", sorted(WER_LIMITS))
@pytest.mark.parametrize("how", ["file", "url"])
def test_transcribe(client, files, how, name):
    if how == "file":
        response = client.listen.v1.media.transcribe_file(request=audio.read(name), model="nova-3", punctuate=True)
    else:
        response = client.listen.v1.media.transcribe_url(
            url=f"{files.url}/audio/{name}", model="nova-3", punctuate=True
        )
    transcript = response.results.channels[0].alternatives[0].transcript
    score = audio.wer(audio.reference(name), transcript)
    print(f"{name}: WER {score:.3f}: {transcript}")
    assert score <= WER_LIMITS[name], transcript
    assert response.metadata.duration == pytest.approx(audio.manifest()[name]["duration_s"], abs=0.1)


JFK = "jfk_16k.wav"


@pytest.mark.parametrize(
    "container,codec,rate",
    [
        ("ogg", "libopus", 48000),
        ("opus", "libopus", 48000),
        ("webm", "libopus", 48000),
        ("ipod", "aac", 16000),  # .m4a
        ("mp3", "libmp3lame", 16000),
        ("wav", "pcm_mulaw", 8000),
        ("wav", "pcm_s24le", 16000),
        ("aiff", "pcm_s16be", 16000),
        ("flac", "flac", 16000),
    ],
)
def test_transcribe_transcoded(client, container, codec, rate):
    body = audio.transcoded(JFK, container, codec, rate)
    response = client.listen.v1.media.transcribe_file(request=body)
    transcript = response.results.channels[0].alternatives[0].transcript
    assert audio.wer(audio.reference(JFK), transcript) <= 0.1, transcript


@pytest.mark.parametrize("rate", [8000, 16000, 44100])
def test_headerless_linear16(client, rate):
    body = audio.pcm16(JFK, rate)
    response = client.listen.v1.media.transcribe_file(
        request=body,
        encoding="linear16",
        request_options={"additional_query_parameters": {"sample_rate": rate}},
    )
    transcript = response.results.channels[0].alternatives[0].transcript
    assert audio.wer(audio.reference(JFK), transcript) <= 0.1, transcript
    assert response.metadata.duration == pytest.approx(11.0, abs=0.05)


def test_headerless_goforward_raw(client):
    # The manifest's raw file: 16 kHz linear16 with no header at all.
    response = client.listen.v1.media.transcribe_file(
        request=audio.read("goforward.raw"),
        encoding="linear16",
        request_options={"additional_query_parameters": {"sample_rate": 16000, "channels": 1}},
    )
    transcript = response.results.channels[0].alternatives[0].transcript
    assert audio.wer(audio.reference("goforward.raw"), transcript) <= 0.25, transcript


def test_headerless_mulaw(client):
    # The mu-law samples of the telephone recording, without their WAV header.
    body = audio.read("testing123_8k_mulaw.wav")
    data = body[body.index(b"data") + 8 :]
    response = client.listen.v1.media.transcribe_file(
        request=data, encoding="mulaw", request_options={"additional_query_parameters": {"sample_rate": 8000}}
    )
    transcript = response.results.channels[0].alternatives[0].transcript
    assert audio.wer(audio.reference("testing123_8k_mulaw.wav"), transcript) <= 0.1, transcript

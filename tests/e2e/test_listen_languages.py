"""Languages through the official SDK: routing to the multilingual model, and detect_language."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
FRENCH = (DATA / "espeak_fr.ogg").read_bytes()
SPANISH = (DATA / "espeak_es.ogg").read_bytes()


def model_names(response) -> list[str]:
    return [info["name"] for info in response.metadata.model_info.values()]


def test_french_goes_to_the_multilingual_model(client):
    response = client.listen.v1.media.transcribe_file(request=FRENCH, model="nova-3", language="fr", punctuate=True)
    assert model_names(response) == ["whisper-base"]
    transcript = response.results.channels[0].alternatives[0].transcript.lower()
    # Robotic espeak through int8 whisper-base: not every word comes back, and which ones varies by CPU.
    assert "bonjour" in transcript and "nous allons" in transcript, transcript


def test_english_stays_on_the_english_model(client):
    from tests import audio

    response = client.listen.v1.media.transcribe_file(request=audio.read("cards_001.wav"), language="en-US")
    assert model_names(response) == ["whisper-tiny.en"]
    assert response.results.channels[0].detected_language is None


def test_detect_language(client):
    response = client.listen.v1.media.transcribe_file(request=SPANISH, detect_language=True, punctuate=True)
    channel = response.results.channels[0]
    assert channel.detected_language == "es"
    assert 0.5 < channel.language_confidence <= 1
    assert "madrid" in channel.alternatives[0].transcript.lower()


def test_detect_language_among_candidates(client):
    response = client.listen.v1.media.transcribe_file(
        request=FRENCH, request_options={"additional_query_parameters": {"detect_language": ["en", "fr"]}}
    )
    assert response.results.channels[0].detected_language == "fr"


def test_language_multi_detects_and_labels_every_word(client):
    """`language=multi` (Deepgram's code-switching) goes to the multilingual model, which hears the language
    itself: `alternatives[].languages` lists it and every word carries it."""
    from tests import audio

    for data, expected, said in ((SPANISH, "es", "madrid"), (audio.read("jfk_16k.wav"), "en", "country")):
        response = client.listen.v1.media.transcribe_file(
            request=data, model="nova-3", language="multi", punctuate=True
        )
        assert model_names(response) == ["whisper-base"]
        alt = response.results.channels[0].alternatives[0]
        assert said in alt.transcript.lower(), alt.transcript
        assert alt.languages == [expected]
        assert alt.words and {w.language for w in alt.words} == {expected}


def _pcm16(data: bytes) -> bytes:
    """16 kHz 16-bit mono PCM of encoded audio."""
    import io

    import av
    import numpy as np

    with av.open(io.BytesIO(data)) as src:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=16000)
        chunks = [f.to_ndarray() for frame in src.decode(audio=0) for f in resampler.resample(frame)]
    return np.concatenate(chunks, axis=1).astype("<i2").tobytes()


def test_language_multi_follows_a_change_of_language(client):
    """English, a pause, then Spanish, in one recording: each part is written in its own language and its
    words say which (Deepgram's code-switching), not the whole in the first language heard."""
    import io
    import wave

    from tests import audio

    recording = io.BytesIO()
    with wave.open(recording, "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(16000)
        out.writeframes(audio.pcm16("jfk_16k.wav") + bytes(2 * 16000 * 2) + _pcm16(SPANISH))
    response = client.listen.v1.media.transcribe_file(
        request=recording.getvalue(),
        model="nova-3",
        language="multi",
        request_options={"additional_query_parameters": {"alternatives": 2}},
    )
    alternatives = response.results.channels[0].alternatives
    assert all(set(alt.languages) == {"en", "es"} for alt in alternatives), [a.transcript for a in alternatives]
    alt = alternatives[0]
    english = [w for w in alt.words if w.end < 11.0]
    spanish = [w for w in alt.words if w.start > 13.0]
    assert english and {w.language for w in english} == {"en"}
    assert spanish and {w.language for w in spanish} == {"es"}
    assert "country" in " ".join(w.word for w in english) and "madrid" in " ".join(w.word for w in spanish)

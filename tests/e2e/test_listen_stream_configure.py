"""Deepgram's mid-stream `Configure` on /v1/listen, through the official SDK's `send_configure`: new keyterms
and feature flags apply from the next segment on, every reply validates strictly as the SDK's
ConfigureSuccess or ConfigureFailure, and a refused Configure changes nothing and keeps the stream open."""

from __future__ import annotations

import numpy as np
import pytest
from deepgram.listen.v1.types import ListenV1ConfigureFailure, ListenV1ConfigureSuccess

from opengram.speech.live.configure import ConfigureRefused, configured, takes_keyterms
from opengram.speech.options import ListenOptions
from tests import audio, live
from tests.wire import strictly

RATE = 16000


def _digits_then_silence() -> bytes:
    digits = np.frombuffer(audio.pcm16("one_two_three.wav"), np.int16)
    return np.concatenate([digits, np.zeros(RATE, np.int16)]).tobytes()


def _said(session: live.Session, before: float | None = None, after: float | None = None) -> list[str]:
    """Words of the finals that arrived before or after a moment of the session."""
    return [
        w["word"]
        for a in session.arrivals
        if a.type == "Results"
        and a.body["is_final"]
        and (before is None or a.at < before)
        and (after is None or a.at > after)
        for w in a.body["channel"]["alternatives"][0]["words"]
    ]


def test_configure_changes_keyterms_and_features_from_the_next_segment(client):
    pcm = _digits_then_silence()
    session = live.stream(
        client,
        [
            live.audio(pcm, 2 * RATE, pace=2.0),
            live.FINALIZE,
            live.sleep(2.0),
            live.configure(keyterms=["Gutenberg", "Opengram"], features={"numerals": True, "punctuate": True}),
            live.sleep(0.5),
            live.audio(pcm, 2 * RATE, pace=2.0),
            live.CLOSE,
        ],
        model="nova-3",
        encoding="linear16",
        sample_rate=RATE,
    )
    replies = session.of("ConfigureSuccess")
    assert len(replies) == 1 and not session.of("ConfigureFailure")
    success = strictly(ListenV1ConfigureSuccess, replies[0])
    assert success.keyterms == ["Gutenberg", "Opengram"]
    assert success.request_id == session.finals[0]["metadata"]["request_id"]
    replied = next(a.at for a in session.arrivals if a.type == "ConfigureSuccess")
    before, after = _said(session, before=replied), _said(session, after=replied)
    assert {"one", "two", "three"} <= set(before), before  # numbers as words: numerals was off
    assert {"1", "2", "3"} <= set(after), after  # numerals on from the next segment
    # punctuate on: words carry `punctuated_word` from the next segment on, and not before.
    words = [
        (a.at > replied, w)
        for a in session.arrivals
        if a.type == "Results" and a.body["is_final"]
        for w in a.body["channel"]["alternatives"][0]["words"]
    ]
    assert all(("punctuated_word" in w) == later for later, w in words), words
    assert session.close_code == 1000


def test_refused_configure_changes_nothing_and_the_stream_goes_on(client):
    pcm = _digits_then_silence()
    session = live.stream(
        client,
        [
            live.configure(keyterms=["Gutenberg"]),  # Nova-2 takes no keyterm updates, as with Deepgram
            live.configure(features={"diarize_speakers": True}),  # no such feature
            live.configure(keyterms=["word"] * 501),  # over the 500-token keyterm limit (Nova-3 names only)
            live.sleep(0.5),
            live.audio(pcm, 2 * RATE, pace=2.0),
            live.CLOSE,
        ],
        model="nova-2",
        encoding="linear16",
        sample_rate=RATE,
    )
    failures = [strictly(ListenV1ConfigureFailure, f) for f in session.of("ConfigureFailure")]
    assert [f.code for f in failures] == [
        "CONFIGURE_KEYTERMS_NOT_SUPPORTED",
        "CONFIGURE_INVALID",
        "CONFIGURE_KEYTERMS_NOT_SUPPORTED",
    ]
    assert all(f.description for f in failures) and "diarize_speakers" in failures[1].description
    assert not session.of("ConfigureSuccess")
    assert {"one", "two", "three"} <= set(_said(session))  # transcribed, with the options it began with
    assert session.close_code == 1000


def test_keyterm_limit_on_a_nova_3_stream(client):
    session = live.stream(
        client,
        [live.configure(keyterms=["word"] * 501), live.sleep(0.3), live.CLOSE],
        model="nova-3",
        encoding="linear16",
        sample_rate=RATE,
    )
    [failure] = [strictly(ListenV1ConfigureFailure, f) for f in session.of("ConfigureFailure")]
    assert failure.code == "CONFIGURE_KEYTERM_LIMIT_EXCEEDED"


def test_configure_rules():
    """What the SDK's own types cannot send (they coerce): malformed fields are refused, nothing changes."""
    options = ListenOptions.parse([("model", "nova-3"), ("keyterm", "Acme")])
    for message in (
        {"features": {"numerals": "yes"}},
        {"features": ["numerals"]},
        {"keyterms": "Acme"},
        {"keyterms": [""]},
        {"features": {"interim_results": True}},
    ):
        with pytest.raises(ConfigureRefused) as refused:
            configured(options, message)
        assert refused.value.code == "CONFIGURE_INVALID", message
    same, report = configured(options, {"keyterms": None})
    assert same.keyterm == ["Acme"] and report == {}  # null keeps the keyterms
    cleared, report = configured(options, {"keyterms": []})
    assert cleared.keyterm == [] and report == {"keyterms": []}  # an empty array clears them
    assert takes_keyterms("nova-3-medical") and takes_keyterms("whisper-tiny.en") and takes_keyterms(None)
    assert not any(takes_keyterms(m) for m in ("nova-2", "nova-2-phonecall", "nova", "enhanced", "base", "phonecall"))

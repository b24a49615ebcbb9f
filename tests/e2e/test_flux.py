"""Flux STT (`/v2/listen`, model `flux-general-en` / `flux-general-multi`) through the official SDK's
`listen.v2.connect`: real recordings at real-time pace, every message checked strictly against the SDK's
types and every recording against the turn state machine's rules (`tests/flux.py`)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import numpy as np
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests import audio
from tests import flux as F
from tests.conftest import sdk_client
from tests.manage.test_auth import token_client

DATA = Path(__file__).resolve().parents[1] / "data"


def pcm(name: str) -> bytes:
    """16 kHz linear16 of a shared recording (goforward.raw already is)."""
    return audio.read(name) if name.endswith(".raw") else audio.pcm16(name)


def test_a_conversation_turn_by_turn(server, client):
    """Two speakers' worth of turns with a reply's silence between them: each turn starts with words,
    is ended by the model, and the next one carries the next index; eager mode on."""
    steps = [
        F.silence(0.5),
        F.audio(pcm("cards_005.wav")),
        F.silence(2.0),
        F.audio(pcm("goforward.raw")),
        F.silence(2.0),
        F.CLOSE,
    ]
    s = F.stream(client, steps, eager_eot_threshold=0.4, keyterm="spades", tag="flux-test")
    F.validate(s, eager=True)
    assert s.close_code == 1000
    ends = s.ends()
    assert [e["turn_index"] for e in ends] == [0, 1] and all(e["trigger"] == "model" for e in ends)
    assert audio.wer(audio.reference("cards_005.wav"), ends[0]["transcript"]) <= 0.35
    assert audio.wer(audio.reference("goforward.raw"), ends[1]["transcript"]) <= 0.35
    # every model EndOfTurn came after an EagerEndOfTurn with its transcript (check_turns), soon after speech
    assert [e["event"] for e in s.events("StartOfTurn", "EndOfTurn")] == ["StartOfTurn", "EndOfTurn"] * 2
    for end in ends:
        last_word = end["words"][-1]["end"]
        assert 0 < end["audio_window_end"] - last_word < 2.0
        assert all(w["start"] >= end["audio_window_start"] for w in end["words"])
    second_start = s.events("StartOfTurn")[1]
    assert second_start["audio_window_start"] == ends[0]["audio_window_end"]
    # an Update about every 250 ms of audio, Idle ones included
    updates = [t["audio_window_end"] for t in s.turns]
    assert len(updates) >= s.sent / 0.25 * 0.9
    # the request log: one row, Flux's model, streaming, the audio's length
    rid = s.of("Connected")[0]["request_id"]
    row = server.request_row(rid)
    assert (row.path, row.method, row.endpoint, row.model, row.code) == (
        "/v2/listen",
        "streaming",
        "listen",
        "flux-general-en",
        200,
    )
    assert row.duration == pytest.approx(s.sent, abs=0.1) and row.channels == 1 and row.tags == ["flux-test"]
    assert row.config["eager_eot_threshold"] == 0.4 and row.config["keyterm"] == ["spades"]


def test_force_end_turn_and_the_warning_when_idle(client):
    cards = pcm("cards_005.wav")
    steps = [F.silence(0.3), F.audio(cards[: 16000 * 2 * 2]), F.FORCE, F.audio(cards[16000 * 2 * 2 :]),
             F.silence(0.6), F.FORCE, F.silence(0.4), F.FORCE, F.silence(0.3), F.CLOSE]  # fmt: skip
    s = F.stream(client, steps, eot_threshold=1.0)  # the model never ends a turn: only ForceEndTurn does
    F.validate(s)
    ends = s.ends()
    assert [e["trigger"] for e in ends] == ["manual", "manual"] and [e["turn_index"] for e in ends] == [0, 1]
    first = ends[0]
    before = [t for t in s.turns if t["sequence_id"] < first["sequence_id"]][-1]
    assert first["transcript"] == before["transcript"] != ""  # what was decoded so far, no extra decode
    assert first["audio_window_end"] <= 2.5
    (warning,) = s.of("Warning")
    assert warning["code"] == "FORCE_END_TURN_NO_ACTIVE_TURN"
    assert all(t["turn_index"] == 2 for t in s.turns if t["sequence_id"] > warning["sequence_id"])


def test_eot_timeout_ends_the_turn_whatever_the_confidence(client):
    steps = [F.silence(0.3), F.audio(pcm("goforward.raw")), F.silence(2.0), F.CLOSE]
    s = F.stream(client, steps, eot_threshold=1.0, eot_timeout_ms=1000)
    F.validate(s)
    (end,) = s.ends()
    assert end["trigger"] == "timeout" and end["transcript"]
    silence = end["audio_window_end"] - end["words"][-1]["end"]
    assert 1.0 <= silence <= 1.6


def test_configure_answers_each_message(client):
    steps = [
        F.silence(0.5),
        F.configure(thresholds={"eot_threshold": 0.8, "eot_timeout_ms": 6000}, keyterms=["Acme", "Opengram"]),
        F.configure(thresholds={"eager_eot_threshold": 0.9}),  # above eot_threshold 0.8: refused
        F.configure(language_hints=["es"]),  # only flux-general-multi takes hints
        F.configure(keyterms=[], numerals=True),
        F.raw('{"type": "KeepAlive"}'),  # tolerated quietly
        F.raw('{"type": "Nonsense"}'),
        F.raw("not json"),
        F.silence(0.5),
        F.CLOSE,
    ]
    s = F.stream(client, steps, eager_eot_threshold=0.5)
    F.validate(s, eager=True)
    replies = [a.body for a in s.arrivals if a.type.startswith("Configure")]
    assert [r["type"] for r in replies] == [
        "ConfigureSuccess",
        "ConfigureFailure",
        "ConfigureFailure",
        "ConfigureSuccess",
    ]
    assert replies[0]["thresholds"] == {"eager_eot_threshold": 0.5, "eot_threshold": 0.8, "eot_timeout_ms": 6000}
    assert replies[0]["keyterms"] == ["Acme", "Opengram"] and replies[0]["numerals"] is False
    assert "language_hints" not in replies[0]
    assert replies[1]["code"] == "INVALID_THRESHOLD" and "eager_eot_threshold" in replies[1]["description"]
    assert replies[2]["code"] == "INVALID_PARAMETER"
    assert replies[3]["keyterms"] == [] and replies[3]["numerals"] is True
    assert replies[3]["thresholds"]["eot_threshold"] == 0.8  # the failures changed nothing
    assert [w["code"] for w in s.of("Warning")] == ["UNKNOWN_MESSAGE", "UNKNOWN_MESSAGE"]


def test_close_stream_mid_turn_sends_updates_only(client):
    steps = [F.silence(0.3), F.audio(pcm("jfk_16k.wav")[: 16000 * 2 * 2]), F.CLOSE]
    s = F.stream(client, steps)
    F.validate(s)
    assert s.close_code == 1000 and not s.ends()
    last = s.turns[-1]
    assert last["event"] in ("Update", "StartOfTurn") and "fellow" in last["transcript"].lower()
    assert last["audio_window_end"] == pytest.approx(s.sent, abs=0.1)


def test_a_wav_file_streams_without_encoding(client):
    data = audio.read("cards_001.wav") + bytes(32000 * 2)  # 16 kHz linear16 in its WAV, then 2 s of silence
    s = F.stream(client, [F.audio(data, 32000), F.CLOSE], encoding=None, sample_rate=None)
    F.validate(s)
    assert s.ends() and audio.wer(audio.reference("cards_001.wav"), s.ends()[0]["transcript"]) <= 0.34


def test_undecodable_audio_is_a_fatal_error(client):
    junk = b"this is certainly not audio " * 2000
    s = F.stream(client, [F.audio(junk, 32000), F.sleep(2.0)], pace=10, encoding=None, sample_rate=None)
    F.validate(s)
    (error,) = s.of("Error")
    assert error["code"] == "DATA-0000" and s.close_code == 1008


def test_flux_general_multi_decodes_in_the_hinted_language(client):
    data = (DATA / "espeak_es.ogg").read_bytes()
    rate = len(data) / 11.44
    s = F.stream(client, [F.audio(data, rate), F.sleep(2.0), F.CLOSE], pace=1.5, model="flux-general-multi",
                 language_hint="es", encoding=None, sample_rate=None)  # fmt: skip
    F.validate(s, multi=True)
    said = " ".join(t["transcript"] for t in s.ends()) or s.turns[-1]["transcript"]
    assert any(w in said.lower() for w in ("madrid", "mañana", "tiempo", "paraguas"))
    spoken = [t for t in s.turns if t["transcript"]]
    assert spoken and all(t["languages"] == ["es"] and t["languages_hinted"] == ["es"] for t in spoken)


# --- the handshake ---


def refusal(server, query: str, headers: dict | None = None, subprotocols=None) -> tuple[int, dict, dict]:
    try:
        with connect(
            f"{server.ws_url}/v2/listen?{query}", additional_headers=headers, subprotocols=subprotocols, open_timeout=10
        ):
            return 101, {}, {}
    except InvalidStatus as refused:
        response = refused.response
        return response.status_code, dict(response.headers), json.loads(response.body or b"{}")


@pytest.mark.parametrize(
    "query, says",
    [
        ("model=flux", "unsupported model"),
        ("model=flux-general-en&language_hint=es", "language_hint is not supported for model flux-general-en"),
        ("model=flux-general-en&eot_threshold=0.6&eager_eot_threshold=0.8", "less than or equal"),
        ("model=flux-general-en&eot_timeout_ms=70000", "eot_timeout_ms"),
        ("model=flux-general-en&encoding=linear16", "sample_rate is required"),
        ("model=flux-general-multi&language_hint=tlh", "unsupported language_hint"),
    ],
)
def test_bad_queries_are_refused_before_the_upgrade(server, query, says):
    status, headers, body = refusal(server, query, {"Authorization": f"Token {server.key}"})
    assert status == 400 and body["code"] == "INVALID_PARAMETER" and says in body["description"]
    assert headers["dg-error"] == body["description"] and headers["dg-request-id"]


def test_bad_credentials_and_non_flux_models(server):
    status, headers, body = refusal(server, "model=flux-general-en", {"Authorization": "Token nope"})
    assert status == 401 and headers["dg-error"] and body["err_code"] == "INVALID_AUTH"
    token = sdk_client(server).auth.v1.tokens.grant(ttl_seconds=60).access_token
    # Flux wants a Flux model: a temporary token with another model is Flux's 400, not the legacy stream
    status, _, body = refusal(server, "model=nova-3", {"Authorization": f"bearer {token}"})
    assert status == 400 and body["code"] == "INVALID_PARAMETER"


def test_every_way_to_authenticate(server):
    token = sdk_client(server).auth.v1.tokens.grant(ttl_seconds=60).access_token
    s = F.stream(token_client(server, token), [F.silence(0.5), F.CLOSE])  # the SDK's `bearer <jwt>`
    F.validate(s)
    pair = httpx.post(
        f"{server.url}/v2/keys", json={"label": "flux"}, headers={"Authorization": f"Token {server.key}"}
    ).json()
    basic_auth = "Basic " + base64.b64encode(f"{pair['key']}:{pair['secret']}".encode()).decode()
    with connect(f"{server.ws_url}/v2/listen?model=flux-general-en&encoding=linear16&sample_rate=16000",
                 additional_headers={"Authorization": basic_auth}) as ws:  # fmt: skip
        assert json.loads(ws.recv(timeout=10))["type"] == "Connected"
        ws.send(json.dumps({"type": "CloseStream"}))
    with connect(f"{server.ws_url}/v2/listen?model=flux-general-en&encoding=linear16&sample_rate=16000",
                 subprotocols=["token", server.key]) as ws:  # a browser  # fmt: skip
        assert ws.subprotocol == "token"
        assert json.loads(ws.recv(timeout=10))["type"] == "Connected"
        ws.send(json.dumps({"type": "CloseStream"}))


def test_a_token_without_a_flux_model_is_still_the_legacy_stream(server):
    with connect(f"{server.ws_url}/v2/listen?encoding=linear16&sample_rate=16000&model=general",
                 additional_headers={"Authorization": f"Token {server.key}"}) as ws:  # fmt: skip
        ws.send(pcm("cards_001.wav"))
        ws.send(b"")
        messages = [json.loads(m) for m in ws]
    assert messages and all(m.get("type") not in ("Connected", "TurnInfo") for m in messages)
    assert "channel_index" in messages[0]  # the v2 Results shape


def test_silence_only_stays_idle(client):
    s = F.stream(client, [F.audio(F.pcm(np.zeros(16000 * 2, np.float32))), F.CLOSE])
    F.validate(s)
    assert s.turns and all(t["event"] == "Update" and t["transcript"] == "" for t in s.turns)

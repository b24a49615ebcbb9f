"""Past its live capacity the server refuses a new stream at the handshake (429, Deepgram's body) instead of
slowing every stream down; the capacity is calibrated at start-up or set, and /v1/status reports it."""

from __future__ import annotations

import json
import time

import httpx
import pytest
import websockets.sync.client as ws_client
from deepgram.core.api_error import ApiError
from websockets.exceptions import InvalidStatus

from tests import audio
from tests.conftest import sdk_client
from tests.server import TempDatabase, start_server


def status(server) -> dict:
    return httpx.get(f"{server.url}/v1/status", timeout=10).json()


def test_capacity_is_calibrated_at_start_up_and_reported(tmp_path):
    db = TempDatabase(tmp_path)
    server = start_server(tmp_path, db, OPENGRAM_LIVE_CAPACITY="0", OPENGRAM_LIVE_BEHIND_S="1.5")
    try:
        deadline = time.monotonic() + 60
        while (body := status(server))["stream_capacity_source"] == "calibrating" and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        server.stop()
        db.drop()
    assert body["stream_capacity_source"] == "calibrated", body
    assert body["stream_capacity"] >= 1 and body["calibrated_window_ms"] > 0
    assert body["system_health"] in ("Healthy", "Degraded")
    assert {"active_batch_requests", "active_stream_requests", "decode_lag_ms", "streams_refused"} <= set(body)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("capacity")
    db = TempDatabase(tmp)
    srv = start_server(tmp, db, OPENGRAM_LIVE_CAPACITY="2")  # the lag refusal stays off (tests/server.py)
    yield srv
    srv.stop()
    db.drop()


def open_stream(server):
    return ws_client.connect(
        f"{server.ws_url}/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000",
        additional_headers={"Authorization": f"Token {server.key}"},
    )


def test_a_stream_past_capacity_is_refused_and_admitted_streams_keep_working(small):
    assert status(small)["stream_capacity"] == 2 and status(small)["stream_capacity_source"] == "setting"
    first, second = open_stream(small), open_stream(small)
    try:
        assert status(small)["active_stream_requests"] == 2
        with pytest.raises(InvalidStatus) as refused:
            open_stream(small)
        response = refused.value.response
        assert response.status_code == 429 and response.headers["dg-error"]
        assert json.loads(response.body)["err_code"] == "TOO_MANY_REQUESTS"
        # Through the official SDK too.
        with pytest.raises((ApiError, InvalidStatus)) as info, sdk_client(small).listen.v1.connect(model="nova-3"):
            pass
        refused_sdk = info.value
        code = refused_sdk.status_code if isinstance(refused_sdk, ApiError) else refused_sdk.response.status_code
        assert code == 429
        # The admitted streams still transcribe.
        pcm = audio.pcm16("jfk_16k.wav")
        for i in range(0, len(pcm), 32000):
            first.send(pcm[i : i + 32000])
        first.send(json.dumps({"type": "CloseStream"}))
        said = [json.loads(m) for m in first]
        text = " ".join(m["channel"]["alternatives"][0]["transcript"] for m in said if m.get("type") == "Results")
        assert audio.wer(audio.reference("jfk_16k.wav"), text) < 0.2, text
    finally:
        first.close()
        second.close()
    deadline = time.monotonic() + 10
    while status(small)["active_stream_requests"] and time.monotonic() < deadline:
        time.sleep(0.1)
    with open_stream(small) as again:  # a place came back
        again.send(json.dumps({"type": "CloseStream"}))
    assert status(small)["streams_refused"] == 2
    # Each refusal is in the request log, as any 429.
    rows = httpx.get(
        f"{small.url}/v1/projects/{sdk_client(small).manage.v1.projects.list().projects[0].project_id}/requests",
        params={"status": "failed"}, headers={"Authorization": f"Token {small.key}"},
    ).json()["requests"]  # fmt: skip
    assert sum(r["code"] == 429 for r in rows) == 2


def test_a_stream_is_refused_while_decoding_falls_behind(tmp_path):
    """A client flooding a minute of audio as fast as it can puts the decode schedule behind real time: new
    streams are refused (and /v1/status says Degraded) until it has caught up."""
    db = TempDatabase(tmp_path)
    server = start_server(tmp_path, db, OPENGRAM_LIVE_BEHIND_S="0.3")
    try:
        flood = open_stream(server)
        pcm = b"".join(audio.pcm16(n) for n in ("preamble.wav", "OSR_us_000_0034_8k.wav", "spacewalk.wav"))
        for i in range(0, len(pcm), 64000):
            flood.send(pcm[i : i + 64000])
        codes, health = [], set()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and 429 not in codes:
            health.add(status(server)["system_health"])
            try:
                open_stream(server).close()
                codes.append(101)
            except InvalidStatus as refused:
                codes.append(refused.response.status_code)
                assert json.loads(refused.response.body)["err_code"] == "TOO_MANY_REQUESTS"
            time.sleep(0.05)
        assert 429 in codes and "Degraded" in health, (codes, health)
        flood.send(json.dumps({"type": "CloseStream"}))
        finals = [m for m in (json.loads(x) for x in flood) if m.get("type") == "Results" and m["is_final"]]
        assert finals  # the flooding stream itself is transcribed to its end
        deadline = time.monotonic() + 60
        while status(server)["system_health"] != "Healthy" and time.monotonic() < deadline:
            time.sleep(0.2)
        with open_stream(server) as again:  # caught up: admitted again
            again.send(json.dumps({"type": "CloseStream"}))
    finally:
        server.stop()
        db.drop()

"""A server of its own for TTS: prices per character, quick callback retries, a one-second WebSocket idle time."""

from __future__ import annotations

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from opengram.accounts.billing import add_credit
from tests.callbacks import CallbackReceiver
from tests.conftest import sdk_client
from tests.server import TempDatabase, start_server
from tests.tenants import make_tenant
from tests.tts import LONG, SHORT, decode, speak

TTS_PRICE = 30.0  # USD per 1000 characters: large, so amounts are easy to check


@pytest.fixture(scope="module")
def tts_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tts")
    db = TempDatabase(tmp)
    srv = start_server(
        tmp,
        db,
        OPENGRAM_TTS_PRICES=f'{{"aura-2": {TTS_PRICE}, "*": 1.0}}',
        OPENGRAM_CALLBACK_BACKOFF_S="0.2",
        OPENGRAM_CALLBACK_BACKOFF_MAX_S="0.5",
        OPENGRAM_SPEAK_IDLE_TIMEOUT_S="1",
    )
    yield srv
    srv.stop()
    db.drop()


def test_characters_draw_the_balance_down(tts_server):
    tenant = make_tenant(tts_server.db, "Paying")

    async def credit(session):
        return (await add_credit(session, tenant.project_id, 10.0))[1].balance_id

    balance_id = tts_server.db.run(credit)
    r = speak(tts_server, SHORT, key=tenant.keys["member"], model="aura-2-zeus-en")
    assert r.status_code == 200
    cost = TTS_PRICE * len(SHORT) / 1000
    admin = sdk_client(tts_server, tenant.keys["admin"])
    assert admin.manage.v1.projects.billing.balances.get(tenant.project_id, balance_id).amount == pytest.approx(
        10.0 - cost, abs=1e-6
    )
    logged = admin.manage.v1.projects.requests.get(tenant.project_id, r.headers["dg-request-id"]).dict()
    assert logged["response"]["details"]["usd"] == pytest.approx(cost, abs=1e-6)
    assert logged["response"]["tts_details"]["characters"] == len(SHORT)
    usage = admin.manage.v1.projects.usage.breakdown.get(tenant.project_id)
    assert sum(r.tts_characters for r in usage.results) == len(SHORT)
    assert sum(r.hours for r in usage.results) == 0  # TTS audio is not transcription time


def test_callback_delivers_the_audio_with_retries(tts_server):
    receiver = CallbackReceiver(fail_first=1)
    try:
        client = sdk_client(tts_server)
        accepted = b"".join(
            client.speak.v1.audio.generate(text=SHORT, callback=receiver.url, encoding="linear16", sample_rate=16000)
        )
        rid = httpx.Response(200, content=accepted).json()["request_id"]
        delivered = receiver.wait_for(2, timeout=30)
        assert len(delivered) == 2  # the first delivery was answered 500, and retried
        last = delivered[-1]
        headers = {k.lower(): v for k, v in last["headers"].items()}
        assert last["method"] == "POST" and headers["content-type"] == "audio/wav"
        assert headers["dg-request-id"] == rid and headers["dg-char-count"] == str(len(SHORT)) and headers["dg-token"]
        got = decode(last["body"])
        assert got.sample_rate == 16000 and got.duration > 1.5
        row = tts_server.request_row(rid)
        assert (row.method, row.code, row.callback, row.characters) == ("async", 200, receiver.url, len(SHORT))
    finally:
        receiver.close()
    r = speak(tts_server, callback="ftp://example.com/hook")
    assert r.status_code == 400 and r.json()["err_msg"] == "Invalid callback url."


def test_silence_closes_with_net_0001(tts_server):
    with connect(
        f"{tts_server.ws_url}/v1/speak", additional_headers={"Authorization": f"Token {tts_server.key}"}
    ) as ws:
        ws.recv()
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
        assert (ws.close_code, ws.close_reason) == (1011, "NET-0001")


def test_callback_audio_outlives_a_restart(tmp_path):
    """Synthesised audio waits on disk for its delivery: a server killed while the receiver still refuses
    it delivers the same audio after the next start."""
    receiver = CallbackReceiver(fail_first=1000)
    db = TempDatabase(tmp_path)
    env = {
        "OPENGRAM_DATA_DIR": str(tmp_path / "data"),
        "OPENGRAM_CALLBACK_BACKOFF_S": "0.2",
        "OPENGRAM_CALLBACK_BACKOFF_MAX_S": "0.5",
    }
    srv = start_server(tmp_path, db, **env)
    try:
        r = speak(srv, SHORT, callback=receiver.url, encoding="linear16", sample_rate=16000)
        rid = r.json()["request_id"]
        refused = receiver.wait_for(1, timeout=30)
        assert refused and srv.request_row(rid).code == 200  # synthesised, logged, not yet delivered
        srv.process.kill()
        srv.process.wait(10)
        receiver.fail_first = 0
        seen = len(receiver.received)
        again = start_server(tmp_path, db, **env)
        try:
            delivered = receiver.wait_for(seen + 1, timeout=60)[seen:]
            assert delivered and {k.lower(): v for k, v in delivered[0]["headers"].items()}["dg-request-id"] == rid
            assert decode(delivered[0]["body"]).duration > 1.5
        finally:
            again.stop()
    finally:
        receiver.close()
        db.drop()


def test_callback_request_outlives_a_restart_during_synthesis(tmp_path):
    """Accepted is durable: a server killed while it is still synthesising makes and delivers the audio after
    the next start, with one request-log row."""
    receiver = CallbackReceiver()
    db = TempDatabase(tmp_path)
    env = {"OPENGRAM_DATA_DIR": str(tmp_path / "data"), "OPENGRAM_JOB_LEASE_S": "3"}
    srv = start_server(tmp_path, db, **env)
    try:
        r = speak(srv, LONG, callback=receiver.url, encoding="linear16", sample_rate=16000)
        rid = r.json()["request_id"]
        srv.process.kill()
        srv.process.wait(10)
        assert srv.request_row(rid, wait_s=0) is None and not receiver.received  # killed mid-synthesis
        again = start_server(tmp_path, db, **env)
        try:
            delivered = receiver.wait_for(1, timeout=90)
            assert {k.lower(): v for k, v in delivered[0]["headers"].items()}["dg-request-id"] == rid
            assert decode(delivered[0]["body"]).duration > 20  # the whole long text
            row = again.request_row(rid)
            assert (row.endpoint, row.method, row.code, row.characters) == ("speak", "async", 200, len(LONG))
        finally:
            again.stop()
    finally:
        receiver.close()
        db.drop()

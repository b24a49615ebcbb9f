"""`callback=`: answer at once, deliver later with retries, and never lose an accepted job."""

from __future__ import annotations

import signal

import httpx
import pytest

from opengram.jobs.models import Job
from tests import audio
from tests.callbacks import CallbackReceiver
from tests.conftest import sdk_client
from tests.server import TempDatabase, start_server

FAST_RETRIES = {
    "OPENGRAM_CALLBACK_BACKOFF_S": "0.2",
    "OPENGRAM_CALLBACK_BACKOFF_MAX_S": "0.5",
    "OPENGRAM_JOB_LEASE_S": "3",
}


@pytest.fixture(scope="module")
def async_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("async")
    db = TempDatabase(tmp)
    srv = start_server(tmp, db, OPENGRAM_DATA_DIR=str(tmp / "data"), **FAST_RETRIES)
    yield srv
    srv.stop()
    db.drop()


@pytest.fixture
def receiver():
    r = CallbackReceiver()
    yield r
    r.close()


def test_sdk_callback_round_trip(async_server, receiver):
    client = sdk_client(async_server)
    accepted = client.listen.v1.media.transcribe_file(
        request=audio.read("jfk.mp3"), callback=receiver.url, punctuate=True, tag=["async"]
    )
    assert type(accepted).__name__ == "ListenV1AcceptedResponse"
    delivered = receiver.wait_for(1)[0]
    assert delivered["method"] == "POST"
    body = delivered["body"]
    assert body["metadata"]["request_id"] == accepted.request_id
    transcript = body["results"]["channels"][0]["alternatives"][0]["transcript"]
    assert audio.wer(audio.reference("jfk.mp3"), transcript) <= 0.05
    assert delivered["headers"]["dg-token"]  # the key's id, for the receiver to check
    row = async_server.request_row(accepted.request_id)
    assert (row.method, row.code, row.callback) == ("async", 200, receiver.url)
    assert row.duration == pytest.approx(11.0, abs=0.1)


def test_url_source_and_put(async_server, receiver, files):
    client = sdk_client(async_server)
    accepted = client.listen.v1.media.transcribe_url(
        url=f"{files.url}/audio/cards_001.wav", callback=receiver.url, callback_method="PUT"
    )
    delivered = receiver.wait_for(1)[0]
    assert delivered["method"] == "PUT"
    assert delivered["body"]["metadata"]["request_id"] == accepted.request_id


def test_failed_job_is_delivered_as_an_error(async_server, receiver):
    r = httpx.post(
        f"{async_server.url}/v1/listen",
        params={"callback": receiver.url},
        content=b"not audio" * 50,
        headers={"Authorization": f"Token {async_server.key}"},
    )
    assert r.status_code == 200
    rid = r.json()["request_id"]
    body = receiver.wait_for(1)[0]["body"]
    assert body["err_code"] == "Bad Request" and body["request_id"] == rid
    assert async_server.request_row(rid).code == 400


def test_retries_with_backoff(async_server):
    receiver = CallbackReceiver(fail_first=2)
    try:
        r = httpx.post(
            f"{async_server.url}/v1/listen",
            params={"callback": receiver.url},
            content=audio.read("cards_001.wav"),
            headers={"Authorization": f"Token {async_server.key}"},
        )
        seen = receiver.wait_for(3)
        assert len(seen) == 3
        assert all(s["body"] == seen[0]["body"] for s in seen)  # transcribed once, delivered three times

        async def job(session):
            return await session.get(Job, r.json()["request_id"])

        import time

        time.sleep(0.5)
        stored = async_server.db.run(job)
        assert (stored.status, stored.attempts, stored.callback_code) == ("done", 3, 200)
    finally:
        receiver.close()


@pytest.mark.parametrize("url", ["ftp://example.com/hook", "not a url", "http://"])
def test_invalid_callback_url(async_server, url):
    r = httpx.post(
        f"{async_server.url}/v1/listen",
        params={"callback": url},
        content=audio.read("cards_001.wav"),
        headers={"Authorization": f"Token {async_server.key}"},
    )
    assert r.status_code == 400
    assert r.json()["err_code"] == "INVALID_QUERY_PARAMETER"
    assert r.json()["err_msg"] == "Invalid callback url."


def test_callback_ports_are_deepgrams_by_default():
    from opengram.config import Settings
    from opengram.jobs.accept import valid_callback

    strict = Settings(fetch_allow_private=False)
    assert valid_callback("https://hooks.example.com/x", strict)
    assert valid_callback("http://hooks.example.com:8080/x", strict)
    assert not valid_callback("http://hooks.example.com:9000/x", strict)


def test_accepted_job_survives_a_restart(tmp_path, receiver):
    """Kill the server the moment it has accepted a job; the next start delivers it."""
    db = TempDatabase(tmp_path)
    env = {"OPENGRAM_DATA_DIR": str(tmp_path / "data"), **FAST_RETRIES}
    srv = start_server(tmp_path, db, **env)
    try:
        r = httpx.post(
            f"{srv.url}/v1/listen",
            params={"callback": receiver.url},
            content=audio.read("preamble.wav"),
            headers={"Authorization": f"Token {srv.key}"},
        )
        assert r.status_code == 200
        srv.process.send_signal(signal.SIGKILL)
        srv.process.wait(10)
        assert receiver.received == []
        again = start_server(tmp_path, db, **env)
        try:
            delivered = receiver.wait_for(1, timeout=90)
            assert delivered and delivered[0]["body"]["metadata"]["request_id"] == r.json()["request_id"]
            row = again.request_row(r.json()["request_id"])
            assert row is not None and row.code == 200 and row.method == "async"
        finally:
            again.stop()
    finally:
        db.drop()

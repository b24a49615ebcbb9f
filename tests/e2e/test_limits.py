"""A server with tight limits: a full scheduler queue answers 429, an oversized upload 413."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests import audio
from tests.server import TempDatabase, start_server


@pytest.fixture(scope="module")
def tight(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tight")
    db = TempDatabase(tmp)
    srv = start_server(tmp, db, OPENGRAM_WORKERS="1", OPENGRAM_QUEUE_SIZE="0", OPENGRAM_MAX_UPLOAD_BYTES="1000000")
    yield srv
    srv.stop()
    db.drop()


def _post(server, body: bytes) -> httpx.Response:
    return httpx.post(
        f"{server.url}/v1/listen", content=body, headers={"Authorization": f"Token {server.key}"}, timeout=120
    )


def test_full_queue_answers_429(tight):
    body = audio.read("OSR_us_000_0034_8k.wav")  # 35 s: long enough that requests overlap
    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(lambda _: _post(tight, body), range(4)))
    codes = sorted(r.status_code for r in responses)
    assert 200 in codes and 429 in codes, codes
    refused = next(r for r in responses if r.status_code == 429)
    assert refused.json()["err_code"] == "TOO_MANY_REQUESTS"
    assert refused.json()["err_msg"] == "Too many requests. Please try again later"
    # Capacity comes back once the queue drains.
    assert _post(tight, audio.read("cards_001.wav")).status_code == 200


def test_upload_over_limit_answers_413(tight):
    r = _post(tight, b"\x00" * 1_500_000)
    assert r.status_code == 413
    assert r.json()["err_code"] == "PAYLOAD_TOO_LARGE"


def test_chunked_upload_over_limit_answers_413(tight):
    # Without a Content-Length the limit is enforced while the body streams in.
    def chunks():
        for _ in range(30):
            yield b"\x00" * 65536

    r = httpx.post(
        f"{tight.url}/v1/listen", content=chunks(), headers={"Authorization": f"Token {tight.key}"}, timeout=60
    )
    assert r.status_code == 413

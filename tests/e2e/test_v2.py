"""The legacy v2 API (seed 003): Basic-auth pairs made from our keys, /v2/listen in the v2 shape, /v2/keys."""

from __future__ import annotations

import base64
import json
import re
import time

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests import audio
from tests.callbacks import CallbackReceiver
from tests.tenants import make_tenant

CLIP = "cards_005.wav"  # "eight of spades four of clubs seven of hearts"


def basic(key: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()}


def token(secret: str) -> dict[str, str]:
    return {"Authorization": f"Token {secret}"}


@pytest.fixture(scope="module")
def tenant(server):
    return make_tenant(server.db, "Legacy v2")


@pytest.fixture(scope="module")
def pair(server, tenant):
    """A v2 pair, made with the tenant member's v1 key as seed 003 allows."""
    r = httpx.post(f"{server.url}/v2/keys", json={"label": "My API Key"}, headers=token(tenant.keys["member"]))
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"key", "secret", "label"} and body["label"] == "My API Key"
    return body["key"], body["secret"]


def listen(server, auth: dict, params=None, **kw) -> httpx.Response:
    if "json" not in kw:
        kw.setdefault("content", audio.read(CLIP))
    headers = {**auth, **({"Content-Type": "audio/wav"} if "content" in kw else {})}
    return httpx.post(f"{server.url}/v2/listen", params=params, headers=headers, timeout=60, **kw)


def test_listen_answers_in_the_v2_shape(server, tenant, pair):
    r = listen(
        server, basic(*pair), {"punctuate": "true", "search": "clubs", "utterances": "true", "smart_format": "true"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"metadata", "results"}
    assert set(body["metadata"]) == {"request_id", "transaction_key", "sha256", "created", "duration", "channels"}
    assert body["metadata"]["duration"] == pytest.approx(3.5, abs=0.05) and body["metadata"]["channels"] == 1
    channel = body["results"]["channels"][0]
    assert set(channel) == {"search", "alternatives"}
    assert channel["search"][0]["query"] == "clubs" and channel["search"][0]["hits"]
    assert set(channel["search"][0]["hits"][0]) == {"confidence", "start", "end", "snippet"}
    best = channel["alternatives"][0]
    assert set(best) == {"transcript", "confidence", "words"}
    assert audio.wer(audio.reference(CLIP), best["transcript"]) <= 0.2
    assert all(set(w) == {"word", "start", "end", "confidence"} for w in best["words"])
    assert body["results"]["utterances"] and "words" in body["results"]["utterances"][0]

    # The same tenant's request log holds it, under the pair's key.
    log = httpx.get(
        f"{server.url}/v1/projects/{tenant.project_id}/requests/{body['metadata']['request_id']}",
        headers=token(tenant.keys["owner"]),
    ).json()
    assert log["path"] == "/v2/listen" and log["api_key_id"] == pair[0] and log["code"] == 200
    # smart_format is not a v2 parameter: it was not applied (no paragraphs, not in the config).
    assert "smart_format" not in log["response"]["details"]["config"]


def test_listen_a_url_with_diarization(server, files, pair):
    r = listen(server, basic(*pair), {"diarize": "true"}, json={"url": f"{files.url}/audio/{CLIP}"})
    assert r.status_code == 200, r.text
    words = r.json()["results"]["channels"][0]["alternatives"][0]["words"]
    assert words and all(w["speaker"] == 0 for w in words)


def test_ner_writes_spelled_strings_as_one_word(server, pair):
    """Seed 003's `ner`: whitespace goes from between the characters of a spelled string. Speech made by our
    own /v1/speak, since the corpus spells nothing."""
    spoken = httpx.post(
        f"{server.url}/v1/speak",
        params={"encoding": "linear16", "container": "wav"},
        json={"text": "Please spell it: X, Y, Z, 4, 5."},
        headers=token(server.key),
        timeout=60,
    ).content
    r = listen(server, basic(*pair), {"ner": "true"}, content=spoken)
    assert r.status_code == 200, r.text
    words = [w["word"] for w in r.json()["results"]["channels"][0]["alternatives"][0]["words"]]
    assert words[:3] == ["please", "spell", "it"]
    assert len(words) == 4 and re.fullmatch(r"[a-z]{3}45", words[3]), words


def test_every_v1_key_is_a_v2_pair(server, tenant):
    assert listen(server, basic(tenant.key_ids["admin"], tenant.keys["admin"])).status_code == 200


@pytest.mark.parametrize(
    "auth",
    [
        {},
        {"Authorization": "Basic"},
        {"Authorization": "Basic not-base64!"},
        {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
        "wrong secret",
        "secret as key",
        {"Authorization": "Bearer x"},
    ],
)
def test_bad_credentials_are_401_with_a_basic_challenge(server, pair, auth):
    if auth == "wrong secret":
        auth = basic(pair[0], "0" * 40)
    elif auth == "secret as key":
        auth = basic(pair[1], pair[1])
    for r in (listen(server, auth), httpx.get(f"{server.url}/v2/keys", headers=auth)):
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == 'Basic realm="Deepgram"'
        assert r.json()["err_code"] == "INVALID_AUTH" and r.json()["err_msg"] == "Invalid credentials."


def test_keys_list_create_delete(server, tenant, pair):
    auth = basic(*pair)
    # A pair makes another pair; both show in the list by their labels, never with a secret.
    r = httpx.post(f"{server.url}/v2/keys", json={"label": "second"}, headers=auth)
    assert r.status_code == 201
    second = r.json()
    listed = httpx.get(f"{server.url}/v2/keys", headers=auth).json()["keys"]
    assert {"key": pair[0], "label": "My API Key"} in listed and {"key": second["key"], "label": "second"} in listed
    assert all(set(k) == {"key", "label"} for k in listed)
    # A member sees only their own keys (the admin's and owner's are not listed) ...
    assert tenant.key_ids["admin"] not in {k["key"] for k in listed}
    # ... and cannot delete another member's: 404 as if it did not exist.
    r = httpx.request("DELETE", f"{server.url}/v2/keys", json={"key": tenant.key_ids["admin"]}, headers=auth)
    assert r.status_code == 404 and r.json()["err_msg"] == "The specified resource was not found."

    r = httpx.request(
        "DELETE", f"{server.url}/v2/keys", json={"key": second["key"], "project": tenant.project_id}, headers=auth
    )
    assert r.status_code == 204 and r.content == b""
    assert listen(server, basic(second["key"], second["secret"])).status_code == 401
    assert httpx.delete(f"{server.url}/v2/keys/{second['key']}", headers=auth).status_code == 404
    # An admin's v1 key reaches every key of the project.
    assert {
        k["key"] for k in httpx.get(f"{server.url}/v2/keys", headers=token(tenant.keys["admin"])).json()["keys"]
    } >= {pair[0], tenant.key_ids["owner"]}


def test_keys_bad_bodies(server, pair):
    auth = basic(*pair)
    r = httpx.post(f"{server.url}/v2/keys", json={}, headers=auth)
    assert r.status_code == 400 and "label" in r.json()["details"]
    r = httpx.request(
        "DELETE", f"{server.url}/v2/keys", content=b"{", headers={**auth, "Content-Type": "application/json"}
    )
    assert r.status_code == 400


def test_a_key_without_usage_scope_cannot_listen_or_make_keys(server, tenant):
    from tests.tenants import add_key

    reader = add_key(server.db, tenant, "admin", ["usage:read"])
    assert listen(server, token(reader)).status_code == 401
    r = httpx.post(f"{server.url}/v2/keys", json={"label": "x"}, headers=token(reader))
    assert r.status_code == 401 and r.json()["err_code"] == "INSUFFICIENT_PERMISSIONS"


def test_callback_delivers_the_v2_shape(server, files, pair):
    receiver = CallbackReceiver()
    try:
        r = listen(server, basic(*pair), {"callback": receiver.url}, json={"url": f"{files.url}/audio/cards_001.wav"})
        assert r.status_code == 200 and set(r.json()) == {"request_id"}
        delivered = receiver.wait_for(1)[0]["body"]
    finally:
        receiver.close()
    assert delivered["metadata"]["request_id"] == r.json()["request_id"]
    assert set(delivered["metadata"]) == {"request_id", "transaction_key", "sha256", "created", "duration", "channels"}
    assert audio.wer("ten of clubs", delivered["results"]["channels"][0]["alternatives"][0]["transcript"]) <= 0.34


def stream_v2(server, auth: dict, query: str = "encoding=linear16&sample_rate=16000", path: str = "/v2"):
    """Seed 003's v2 stream: raw audio in real time, an empty binary message to finish; every message back."""
    pcm = audio.pcm16(CLIP)
    step = 16000 * 2 // 4  # 250 ms
    with connect(f"{server.ws_url}{path}?{query}", additional_headers=auth) as ws:
        for i in range(0, len(pcm), step):
            ws.send(pcm[i : i + step])
            time.sleep(0.25)
        ws.send(b"")
        messages = []
        with pytest.raises(ConnectionClosed):
            while True:
                messages.append(json.loads(ws.recv(timeout=60)))
        return messages, ws.close_code


def test_stream_in_the_v2_shape(server, tenant, pair):
    messages, code = stream_v2(server, basic(*pair))
    assert code == 1000
    *results, summary = messages
    assert set(summary) == {"request_id", "transaction_key", "sha256", "created", "duration", "channels"}
    assert summary["duration"] == pytest.approx(3.5, abs=0.05) and summary["channels"] == 1
    assert results and all(
        set(r) == {"channel_index", "duration", "start", "is_final", "speech_final", "channel", "metadata"}
        and r["metadata"] == {"request_id": summary["request_id"]}
        and r["channel_index"] == [0, 1]
        for r in results
    )
    assert any(not r["is_final"] for r in results)  # v2 sent interim results unless told not to
    finals = [r["channel"]["alternatives"][0] for r in results if r["is_final"]]
    assert all(set(a) == {"transcript", "confidence", "words"} for a in finals)
    assert all(set(w) == {"word", "start", "end", "confidence"} for a in finals for w in a["words"])
    assert audio.wer(audio.reference(CLIP), " ".join(a["transcript"] for a in finals)) <= 0.25
    row = server.request_row(summary["request_id"])
    assert (row.path, row.method, row.api_key_id, row.code) == ("/v2", "streaming", pair[0], 200)
    assert row.duration == pytest.approx(3.5, abs=0.05)


def test_stream_without_interims_and_bad_credentials(server, pair):
    messages, _ = stream_v2(
        server, basic(*pair), "encoding=linear16&sample_rate=16000&interim_results=false", "/v2/listen"
    )
    assert all(m["is_final"] for m in messages[:-1])
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{server.ws_url}/v2?encoding=linear16&sample_rate=16000", additional_headers=basic(pair[0], "wrong"))
    assert refused.value.response.status_code == 401
    assert refused.value.response.headers["WWW-Authenticate"].startswith("Basic")

"""Every way a /v1/listen request can be wrong gets Deepgram's body and status, and the server lives on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from deepgram.core.api_error import ApiError

from opengram.accounts.keys import create_key
from opengram.accounts.models import ApiKey
from tests import audio
from tests.conftest import sdk_client

INVALID_AUTH = {"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials."}
CORRUPT = {"err_code": "Bad Request", "err_msg": "Bad Request: failed to process audio: corrupt or unsupported data"}
BAD_JSON = {
    "err_code": "Bad Request",
    "err_msg": "Content-type was application/json, but we could not process the JSON payload.",
}
NO_MODEL = {"err_code": "Bad Request", "err_msg": "Bad Request: No such model/language/tier combination found."}


def post(server, *, headers=None, auth=True, params=None, **kw) -> httpx.Response:
    headers = dict(headers or {})
    if auth:
        headers.setdefault("Authorization", f"Token {server.key}")
    return httpx.post(f"{server.url}/v1/listen", params=params, headers=headers, timeout=60, **kw)


def assert_error(r: httpx.Response, status: int, expected: dict):
    assert r.status_code == status, r.text
    body = r.json()
    assert {k: body[k] for k in expected} == expected
    assert body["request_id"] == r.headers["dg-request-id"]


def _key(server, **fields) -> str:
    async def make(session):
        from sqlalchemy import select

        from opengram.accounts.models import Membership

        membership = (await session.scalars(select(Membership))).first()
        key, secret = await create_key(session, project_id=membership.project_id, member_id=membership.member_id)
        for name, value in fields.items():
            setattr(key, name, value)
        return secret

    return server.db.run(make)


@pytest.mark.parametrize(
    "authorization",
    [None, "Token", "Token nope", "Basic abc", "Bearer not-a-jwt", "tokennope"],
)
def test_bad_credentials(server, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    assert_error(post(server, auth=False, headers=headers, content=audio.read("jfk.mp3")), 401, INVALID_AUTH)


def test_scheme_is_case_insensitive(server):
    for scheme in ("token", "TOKEN", "Token"):
        r = post(server, headers={"Authorization": f"{scheme} {server.key}"}, content=audio.read("cards_001.wav"))
        assert r.status_code == 200, r.text


def test_expired_key(server):
    secret = _key(server, expiration_date=datetime.now(UTC) - timedelta(seconds=1))
    assert_error(post(server, headers={"Authorization": f"Token {secret}"}, content=b"x"), 401, INVALID_AUTH)


def test_deleted_key(server):
    secret = _key(server)
    assert (
        post(server, headers={"Authorization": f"Token {secret}"}, content=audio.read("cards_001.wav")).status_code
        == 200
    )

    async def delete(session):
        from sqlalchemy import update

        from opengram.accounts.keys import hash_secret

        await session.execute(
            update(ApiKey).where(ApiKey.secret_hash == hash_secret(secret)).values(deleted_at=datetime.now(UTC))
        )

    server.db.run(delete)
    assert_error(post(server, headers={"Authorization": f"Token {secret}"}, content=b"x"), 401, INVALID_AUTH)


def test_sdk_sees_401(server):
    with pytest.raises(ApiError) as err:
        sdk_client(server, "0" * 40).listen.v1.media.transcribe_file(request=audio.read("jfk.mp3"))
    assert err.value.status_code == 401
    assert err.value.body["err_code"] == "INVALID_AUTH"


@pytest.mark.parametrize(
    "body",
    [
        b"this is plain text, not audio at all" * 10,
        b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 100,  # a WAV header with nothing valid inside
        bytes(range(256)) * 40,
        audio.read("jfk.mp3")[:400],  # a truncated file
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 500,
    ],
    ids=["text", "bad-wav", "noise-bytes", "truncated-mp3", "png"],
)
def test_corrupt_audio(server, body):
    assert_error(post(server, content=body, headers={"Content-Type": "audio/wav"}), 400, CORRUPT)


def test_empty_body(server):
    assert_error(post(server, content=b""), 400, CORRUPT)


def test_json_without_json_content_type_is_audio(server):
    # Deepgram's documented pitfall: a URL body sent as audio fails as audio.
    assert_error(post(server, content=b'{"url": "http://example.com/a.wav"}'), 400, CORRUPT)


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"uri": "http://x/a.wav"}', b'{"url": 5}', b""])
def test_bad_json(server, body):
    assert_error(post(server, content=body, headers={"Content-Type": "application/json"}), 400, BAD_JSON)


@pytest.mark.parametrize(
    "params",
    [
        {"model": "no-such-model"},
        {"model": "whisper-large"},
        {"language": "xx"},
        {"model": "whisper-tiny", "language": "de"},
    ],
)
def test_unknown_model_or_language(server, params):
    assert_error(post(server, params=params, content=audio.read("cards_001.wav")), 400, NO_MODEL)


@pytest.mark.parametrize(
    "params,name",
    [
        ({"punctuate": "maybe"}, "punctuate"),
        ({"alternatives": "two"}, "alternatives"),
        ({"utt_split": "soon"}, "utt_split"),
        ({"encoding": "linear16", "sample_rate": "fast"}, "sample_rate"),
    ],
)
def test_invalid_query_parameter(server, params, name):
    r = post(server, params=params, content=audio.read("cards_001.wav"))
    assert r.status_code == 400
    assert r.json()["err_code"] == "INVALID_QUERY_PARAMETER"
    assert name in r.json()["err_msg"]


def test_raw_audio_needs_sample_rate(server):
    r = post(server, params={"encoding": "linear16"}, content=audio.pcm16("cards_001.wav"))
    assert r.status_code == 400
    assert r.json()["err_code"] == "INVALID_QUERY_PARAMETER"
    assert "sample_rate" in r.json()["err_msg"]


@pytest.mark.parametrize("model", ["nova-3", "nova-2-phonecall", "base", "enhanced-meeting", "whisper-tiny", "general"])
def test_deepgram_model_names(server, model):
    r = post(server, params={"model": model, "language": "en-US"}, content=audio.read("cards_001.wav"))
    assert r.status_code == 200, r.text
    info = r.json()["metadata"]["model_info"]
    assert [m["name"] for m in info.values()] == ["whisper-tiny.en"]


def test_unknown_parameters_are_tolerated(server):
    r = post(server, params={"some_future_flag": "true", "diarize": "true"}, content=audio.read("cards_001.wav"))
    assert r.status_code == 200, r.text


def test_server_survives_bad_input(server):
    # After every error above the same worker still transcribes.
    r = post(server, content=audio.read("jfk_16k.wav"))
    assert r.status_code == 200
    assert server.process.poll() is None

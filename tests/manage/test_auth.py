"""Temporary tokens (`auth.v1.tokens.grant`) and the key self-check, through the official SDK."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest
from deepgram import DeepgramClient, DeepgramClientEnvironment

from tests import audio
from tests.conftest import sdk_client
from tests.manage.conftest import api_error, listen_status
from tests.tenants import add_key


def token_client(server, token: str) -> DeepgramClient:
    env = DeepgramClientEnvironment(
        base=server.url, production=server.ws_url, agent=server.ws_url, agent_rest=server.url
    )
    return DeepgramClient(access_token=token, environment=env)


def test_grant_default_ttl_and_claims(tenant, as_role):
    granted = as_role("member").auth.v1.tokens.grant()
    assert granted.expires_in == 30
    claims = jwt.decode(granted.access_token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 30
    assert claims["accessor"] == tenant.key_ids["member"] and claims["scopes"] == ["usage:write"]


def test_token_transcribes_with_the_sdk(server, tenant, as_role):
    token = as_role("member").auth.v1.tokens.grant(ttl_seconds=60).access_token
    # The SDK sends `Authorization: bearer <jwt>` (lowercase).
    response = token_client(server, token).listen.v1.media.transcribe_file(request=audio.read("cards_001.wav"))
    assert response.metadata.request_id and response.results.channels[0].alternatives[0].transcript
    # The request is attributed to the key that minted the token.
    logged = as_role("owner").manage.v1.projects.requests.get(tenant.project_id, response.metadata.request_id)
    assert logged.request.api_key_id == tenant.key_ids["member"]
    # `Bearer` with a capital works too (older SDKs, curl).
    assert listen_status(server, token, scheme="Bearer") == 200


def test_tokens_are_refused_on_management(server, as_role):
    token = as_role("owner").auth.v1.tokens.grant(ttl_seconds=60).access_token
    err = api_error(lambda: token_client(server, token).manage.v1.projects.list())
    assert err.status_code == 401 and err.body["err_code"] == "INVALID_AUTH"
    err = api_error(lambda: token_client(server, token).auth.v1.tokens.grant())
    assert err.status_code == 401


def test_token_expires(server, as_role):
    token = as_role("member").auth.v1.tokens.grant(ttl_seconds=1).access_token
    assert listen_status(server, token, scheme="Bearer") == 200  # it lives at least the second asked for
    time.sleep(2.1)  # and at most one more (whole-second claims)
    assert listen_status(server, token, scheme="Bearer") == 401


def test_token_dies_with_its_key(server, tenant, as_role):
    token = as_role("admin").auth.v1.tokens.grant(ttl_seconds=600).access_token
    as_role("owner").manage.v1.projects.keys.delete(tenant.project_id, tenant.key_ids["admin"])
    assert listen_status(server, token, scheme="Bearer") == 401


def test_forged_or_garbage_tokens_fail(server, tenant, as_role):
    token = as_role("member").auth.v1.tokens.grant().access_token
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode({**claims, "exp": claims["exp"] + 3600}, "not-the-server-key", algorithm="HS256")
    for bad in (forged, "not.a.jwt", token[:-4] + "AAAA"):
        assert listen_status(server, bad, scheme="Bearer") == 401


@pytest.mark.parametrize("ttl", [0, 3601, -5])
def test_ttl_bounds(as_role, ttl):
    err = api_error(lambda: as_role("member").auth.v1.tokens.grant(ttl_seconds=ttl))
    assert err.status_code == 400


def test_grant_needs_usage_write(server, tenant):
    reader = add_key(server.db, tenant, "admin", ["usage:read"])
    err = api_error(lambda: sdk_client(server, reader).auth.v1.tokens.grant())
    assert err.status_code == 403
    assert err.body["err_code"] == "FORBIDDEN" and err.body["err_msg"] == "Insufficient permissions."


def test_token_self_check(server, tenant, as_role):
    r = httpx.get(f"{server.url}/v1/auth/token", headers={"Authorization": f"Token {tenant.keys['admin']}"})
    assert r.status_code == 200
    assert r.json()["accessor"] == tenant.key_ids["admin"] and r.json()["project_id"] == tenant.project_id
    assert r.json()["scopes"] == ["admin"] and r.json()["temporary"] is False
    token = as_role("admin").auth.v1.tokens.grant().access_token
    r = httpx.get(f"{server.url}/v1/auth/token", headers={"Authorization": f"Bearer {token}"})
    assert r.json()["temporary"] is True and r.json()["scopes"] == ["usage:write"]
    r = httpx.get(f"{server.url}/v1/auth/token", headers={"Authorization": "Token nope"})
    assert r.status_code == 401 and r.json()["err_code"] == "INVALID_AUTH"


def test_keys_without_usage_write_cannot_transcribe(server, tenant):
    reader = add_key(server.db, tenant, "admin", ["usage:read"])
    r = httpx.post(
        f"{server.url}/v1/listen", content=audio.read("cards_001.wav"), headers={"Authorization": f"Token {reader}"}
    )
    assert r.status_code == 401 and r.json()["err_code"] == "INSUFFICIENT_PERMISSIONS"

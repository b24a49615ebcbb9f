"""WebSocket /v1/listen: keys and temporary tokens are checked at the handshake, with the REST rules."""

from __future__ import annotations

from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect


def handshake(server, headers=None, subprotocols=None) -> int:
    try:
        with connect(
            f"{server.ws_url}/v1/listen", additional_headers=headers, subprotocols=subprotocols, open_timeout=10
        ) as ws:
            ws.send('{"type": "CloseStream"}')
            return 101
    except InvalidStatus as err:
        return err.response.status_code


def test_deleted_and_expired_keys_fail_at_the_handshake(server, tenant, as_role):
    owner = as_role("owner")
    made = owner.manage.v1.projects.keys.create(tenant.project_id, request={"comment": "ws", "scopes": ["member"]})
    assert handshake(server, {"Authorization": f"Token {made.key}"}) == 101
    owner.manage.v1.projects.keys.delete(tenant.project_id, made.api_key_id)
    assert handshake(server, {"Authorization": f"Token {made.key}"}) == 401
    past = owner.manage.v1.projects.keys.create(
        tenant.project_id, request={"comment": "old", "scopes": ["member"], "expiration_date": "2020-01-01T00:00:00Z"}
    )
    assert handshake(server, {"Authorization": f"Token {past.key}"}) == 401


def test_temporary_tokens_open_streams(server, tenant, as_role):
    token = as_role("member").auth.v1.tokens.grant(ttl_seconds=60).access_token
    assert handshake(server, {"Authorization": f"bearer {token}"}) == 101
    assert handshake(server, subprotocols=["bearer", token]) == 101  # browsers
    as_role("owner").manage.v1.projects.keys.delete(tenant.project_id, tenant.key_ids["member"])
    assert handshake(server, {"Authorization": f"Bearer {token}"}) == 401

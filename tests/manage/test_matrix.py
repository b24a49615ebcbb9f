"""The whole role x endpoint matrix, through the official SDK.

Expectations are written out here by hand from the spec's roles (section 8.9), not derived from the
server's table, so a change to either shows up. A call is *refused* when it answers 401
INSUFFICIENT_PERMISSIONS (403 FORBIDDEN for auth/grant); anything else (a 2xx, or a 404 for the made-up
ids that keep destructive calls harmless) means the permission check let it through.
"""

from __future__ import annotations

import uuid

import httpx
import pytest
from deepgram.core.api_error import ApiError

from opengram.accounts import scopes
from tests import audio
from tests.conftest import sdk_client
from tests.tenants import add_key, make_tenant

# Who calls: a key of each role, an admin's key narrowed to `usage:read`, and a member's key that claims
# `admin` (a key never does more than its member).
PRINCIPALS = ("owner", "admin", "member", "reader", "capped")
ALL = set(PRINCIPALS)
MEMBERS = {"owner", "admin", "member", "capped"}  # member-level permissions
ADMINS = {"owner", "admin"}
READERS = {"owner", "admin", "member", "reader", "capped"}  # usage:read

EXPECTED: dict[str, set[str]] = {
    "auth.grant": MEMBERS,
    "auth.token": ALL,
    "listen": MEMBERS,
    "projects.list": ALL,
    "projects.get": MEMBERS,
    "projects.update": MEMBERS,
    "projects.delete": {"owner"},
    "projects.leave": MEMBERS,
    "models.list": ALL,
    "models.get": ALL,
    "projects.models.list": MEMBERS,
    "projects.models.get": MEMBERS,
    "keys.list": MEMBERS,
    "keys.get": MEMBERS,
    "keys.create": MEMBERS,
    "keys.delete": MEMBERS,
    "members.list": ADMINS,
    "members.remove": ADMINS,
    "members.scopes.get": ADMINS,
    "members.scopes.update": ADMINS,
    "invites.list": ADMINS,
    "invites.create": ADMINS,
    "invites.delete": ADMINS,
    "requests.list": READERS,
    "requests.get": READERS,
    "usage.get": READERS,
    "usage.fields": READERS,
    "usage.breakdown": READERS,
    "balances.list": ADMINS,
    "balances.get": ADMINS,
    "billing.breakdown": ADMINS,
    "billing.fields": ADMINS,
    "billing.purchases": ADMINS,
    "credentials.list": ADMINS,
    "credentials.get": ADMINS,
    "credentials.create": ADMINS,
    "credentials.delete": ADMINS,
}

NOBODY = str(uuid.UUID(int=1))  # an id nothing has


def calls(pid: str, model_id: str) -> dict:
    m = lambda c: c.manage.v1  # noqa: E731
    creds = lambda c: c.self_hosted.v1.distribution_credentials  # noqa: E731
    return {
        "auth.grant": lambda c: c.auth.v1.tokens.grant(),
        # The SDK has no call for this one (the JS SDK's getTokenDetails): plain HTTP with the same key.
        "auth.token": lambda c: c.token_check(),
        "listen": lambda c: c.listen.v1.media.transcribe_file(request=audio.read("cards_001.wav")),
        "projects.list": lambda c: m(c).projects.list(),
        "projects.get": lambda c: m(c).projects.get(pid),
        "projects.update": lambda c: m(c).projects.update(pid, name="Matrix"),
        "projects.delete": None,  # on a tenant of its own, below
        "projects.leave": None,
        "models.list": lambda c: m(c).models.list(),
        "models.get": lambda c: m(c).models.get(model_id),
        "projects.models.list": lambda c: m(c).projects.models.list(pid),
        "projects.models.get": lambda c: m(c).projects.models.get(pid, model_id),
        "keys.list": lambda c: m(c).projects.keys.list(pid),
        "keys.get": lambda c: m(c).projects.keys.get(pid, NOBODY),
        "keys.create": lambda c: m(c).projects.keys.create(pid, request={"comment": "m", "scopes": ["usage:read"]}),
        "keys.delete": lambda c: m(c).projects.keys.delete(pid, NOBODY),
        "members.list": lambda c: m(c).projects.members.list(pid),
        "members.remove": lambda c: m(c).projects.members.delete(pid, NOBODY),
        "members.scopes.get": lambda c: m(c).projects.members.scopes.list(pid, NOBODY),
        "members.scopes.update": lambda c: m(c).projects.members.scopes.update(pid, NOBODY, scope="member"),
        "invites.list": lambda c: m(c).projects.members.invites.list(pid),
        "invites.create": lambda c: m(c).projects.members.invites.create(
            pid, email="matrix@example.com", scope="member"
        ),
        "invites.delete": lambda c: m(c).projects.members.invites.delete(pid, "nobody@example.com"),
        "requests.list": lambda c: m(c).projects.requests.list(pid),
        "requests.get": lambda c: m(c).projects.requests.get(pid, NOBODY),
        "usage.get": lambda c: m(c).projects.usage.get(pid),
        "usage.fields": lambda c: m(c).projects.usage.fields.list(pid),
        "usage.breakdown": lambda c: m(c).projects.usage.breakdown.get(pid),
        "balances.list": lambda c: m(c).projects.billing.balances.list(pid),
        "balances.get": lambda c: m(c).projects.billing.balances.get(pid, NOBODY),
        "billing.breakdown": lambda c: m(c).projects.billing.breakdown.list(pid),
        "billing.fields": lambda c: m(c).projects.billing.fields.list(pid),
        "billing.purchases": lambda c: m(c).projects.billing.purchases.list(pid),
        "credentials.list": lambda c: creds(c).list(pid),
        "credentials.get": lambda c: creds(c).get(pid, NOBODY),
        "credentials.create": lambda c: creds(c).create(pid, comment="m"),
        "credentials.delete": lambda c: creds(c).delete(pid, NOBODY),
    }


def check_token(server, key: str) -> None:
    r = httpx.get(f"{server.url}/v1/auth/token", headers={"Authorization": f"Token {key}"})
    if r.status_code >= 400:
        raise ApiError(status_code=r.status_code, body=r.json())


def refused(endpoint: str, call) -> bool:
    try:
        call()
    except ApiError as err:
        body = err.body if isinstance(err.body, dict) else {}
        if endpoint == "auth.grant" and err.status_code == 403:
            return body.get("err_code") == "FORBIDDEN"
        if err.status_code == 401:
            assert body.get("err_code") == "INSUFFICIENT_PERMISSIONS", (endpoint, err.body)
            return True
        assert err.status_code in (400, 404), (endpoint, err.status_code, err.body)
    return False


def principals(server, tenant) -> dict[str, str]:
    keys = dict(tenant.keys)
    keys["reader"] = add_key(server.db, tenant, "admin", ["usage:read"])
    keys["capped"] = add_key(server.db, tenant, "member", ["admin"])
    return keys


def test_the_table_covers_every_endpoint():
    # speak and read are in the server's table ahead of their endpoints.
    assert set(EXPECTED) == set(scopes.ENDPOINTS) - {"speak", "read"}


def test_role_by_endpoint_matrix(server):
    tenant = make_tenant(server.db, "Matrix")
    keys = principals(server, tenant)
    model_id = sdk_client(server, keys["owner"]).manage.v1.models.list().stt[0].uuid_
    table = calls(tenant.project_id, model_id)
    clients = {who: sdk_client(server, keys[who]) for who in PRINCIPALS}
    for who, client in clients.items():
        client.token_check = lambda key=keys[who]: check_token(server, key)
    got: dict[str, set[str]] = {}
    for endpoint, call in table.items():
        if call is None:
            continue
        got[endpoint] = {
            who for who in PRINCIPALS if not refused(endpoint, lambda call=call, who=who: call(clients[who]))
        }
    for endpoint, allowed in got.items():
        assert allowed == EXPECTED[endpoint], endpoint


@pytest.mark.parametrize("endpoint", ["projects.delete", "projects.leave"])
def test_destructive_project_endpoints(server, endpoint):
    allowed = set()
    for who in PRINCIPALS:
        tenant = make_tenant(server.db, "Doomed")
        keys = principals(server, tenant)
        client = sdk_client(server, keys[who]).manage.v1.projects
        call = (
            (lambda client=client, tenant=tenant: client.delete(tenant.project_id))
            if endpoint == "projects.delete"
            else (lambda client=client, tenant=tenant: client.leave(tenant.project_id))
        )
        if not refused(endpoint, call):
            allowed.add(who)
    assert allowed == EXPECTED[endpoint]

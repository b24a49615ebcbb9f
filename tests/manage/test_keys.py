"""API keys through the official SDK: create (secret once, stored hashed), list, get, delete, expiry."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from opengram.accounts.models import ApiKey
from tests.conftest import sdk_client
from tests.manage.conftest import api_error, listen_status


def test_create_shows_the_secret_once_and_stores_only_its_hash(server, tenant, as_role):
    owner = as_role("owner")
    created = owner.manage.v1.projects.keys.create(
        tenant.project_id, request={"comment": "ci key", "scopes": ["member"], "tags": ["prod", "west"]}
    )
    assert len(created.key) == 40 and created.comment == "ci key"
    assert created.scopes == ["member"] and created.tags == ["prod", "west"]
    assert created.api_key_id and created.created.endswith("Z")

    async def stored(session):
        return (await session.execute(select(ApiKey).where(ApiKey.api_key_id == created.api_key_id))).scalar_one()

    row = server.db.run(stored)
    assert created.key not in (row.secret_hash, row.comment) and len(row.secret_hash) == 64
    # The secret works, and is never shown again.
    assert listen_status(server, created.key) == 200
    got = owner.manage.v1.projects.keys.get(tenant.project_id, created.api_key_id)
    assert created.key not in got.json()
    listed = owner.manage.v1.projects.keys.list(tenant.project_id)
    assert created.key not in listed.json()


def test_list_and_get_shapes(tenant, as_role):
    owner = as_role("owner")
    listed = owner.manage.v1.projects.keys.list(tenant.project_id).api_keys
    assert {k.api_key.api_key_id for k in listed} == set(tenant.key_ids.values())
    mine = next(k for k in listed if k.api_key.api_key_id == tenant.key_ids["owner"])
    assert mine.member.member_id == tenant.members["owner"] and mine.member.email == tenant.emails["owner"]
    assert mine.api_key.scopes == ["owner"] and mine.api_key.comment == "owner key"

    got = owner.manage.v1.projects.keys.get(tenant.project_id, tenant.key_ids["admin"])
    # The spec's `item` form ...
    assert got.item.member.member_id == tenant.members["admin"]
    assert got.item.member.api_key.api_key_id == tenant.key_ids["admin"]
    assert got.item.member.api_key.scopes == ["admin"]
    # ... and the flat form older SDKs read (spec 12.1), both in one body.
    body = got.dict()
    assert body["member"]["email"] == tenant.emails["admin"]
    assert body["api_key"]["api_key_id"] == tenant.key_ids["admin"]


def test_members_see_only_their_own_keys(server, tenant, as_role):
    member = as_role("member")
    listed = member.manage.v1.projects.keys.list(tenant.project_id).api_keys
    assert [k.api_key.api_key_id for k in listed] == [tenant.key_ids["member"]]
    err = api_error(lambda: member.manage.v1.projects.keys.get(tenant.project_id, tenant.key_ids["owner"]))
    assert err.status_code == 404 and err.body["category"] == "NOT_FOUND"
    err = api_error(lambda: member.manage.v1.projects.keys.delete(tenant.project_id, tenant.key_ids["admin"]))
    assert err.status_code == 404
    assert listen_status(server, tenant.keys["admin"]) == 200
    # An admin reaches every member's keys.
    assert len(as_role("admin").manage.v1.projects.keys.list(tenant.project_id).api_keys) == 3


def test_deleted_key_fails_at_once(server, tenant, as_role):
    owner = as_role("owner")
    created = owner.manage.v1.projects.keys.create(
        tenant.project_id, request={"comment": "doomed", "scopes": ["member"]}
    )
    assert listen_status(server, created.key) == 200
    assert owner.manage.v1.projects.keys.delete(tenant.project_id, created.api_key_id).message == (
        "Successfully deleted the API key!"
    )
    assert listen_status(server, created.key) == 401
    err = api_error(lambda: sdk_client(server, created.key).manage.v1.projects.list())
    assert err.status_code == 401 and err.body["err_code"] == "INVALID_AUTH"
    assert created.api_key_id not in [
        k.api_key.api_key_id for k in owner.manage.v1.projects.keys.list(tenant.project_id).api_keys
    ]
    err = api_error(lambda: owner.manage.v1.projects.keys.get(tenant.project_id, created.api_key_id))
    assert err.status_code == 404


def test_expiration_date_and_time_to_live(server, tenant, as_role):
    owner = as_role("owner")
    past = owner.manage.v1.projects.keys.create(
        tenant.project_id,
        request={"comment": "past", "scopes": ["member"], "expiration_date": "2020-01-01T00:00:00Z"},
    )
    assert past.expiration_date == datetime(2020, 1, 1, tzinfo=UTC)  # the SDK parses it
    assert listen_status(server, past.key) == 401

    future = datetime.now(UTC) + timedelta(days=30)
    later = owner.manage.v1.projects.keys.create(
        tenant.project_id,
        request={"comment": "later", "scopes": ["member"], "expiration_date": future.isoformat()},
    )
    short = owner.manage.v1.projects.keys.create(
        tenant.project_id, request={"comment": "short", "scopes": ["member"], "time_to_live_in_seconds": 2}
    )
    expires = short.expiration_date
    assert timedelta(seconds=0) < expires - datetime.now(UTC) <= timedelta(seconds=3)
    assert listen_status(server, short.key) == 200
    assert listen_status(server, later.key) == 200

    active = {
        k.api_key.api_key_id for k in owner.manage.v1.projects.keys.list(tenant.project_id, status="active").api_keys
    }
    expired = {
        k.api_key.api_key_id for k in owner.manage.v1.projects.keys.list(tenant.project_id, status="expired").api_keys
    }
    assert later.api_key_id in active and past.api_key_id in expired and past.api_key_id not in active

    # `expiration_date` is shown to the second; the key lapses within the second after it.
    time.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 1.1)
    assert listen_status(server, short.key) == 401
    expired = {
        k.api_key.api_key_id for k in owner.manage.v1.projects.keys.list(tenant.project_id, status="expired").api_keys
    }
    assert short.api_key_id in expired


def test_create_refuses_bad_requests(tenant, as_role):
    owner = as_role("owner")
    pid = tenant.project_id
    err = api_error(lambda: owner.manage.v1.projects.keys.create(pid, request={"scopes": ["member"]}))
    assert err.status_code == 400
    assert err.body["category"] == "INVALID_JSON"
    assert err.body["details"] == "Json deserialize error: missing field `comment`"
    err = api_error(lambda: owner.manage.v1.projects.keys.create(pid, request={"comment": "x", "scopes": ["wizard"]}))
    assert err.status_code == 400 and "wizard" in err.body["details"]
    both = {
        "comment": "x",
        "scopes": ["member"],
        "expiration_date": "2030-01-01T00:00:00Z",
        "time_to_live_in_seconds": 60,
    }
    err = api_error(lambda: owner.manage.v1.projects.keys.create(pid, request=both))
    assert err.status_code == 400 and err.body["category"] == "INVALID_REQUEST"


def test_a_key_never_exceeds_its_maker(tenant, as_role):
    # An admin may not mint an owner key, nor a member an admin key.
    for role, too_much in (("admin", "owner"), ("member", "admin")):
        err = api_error(
            lambda role=role, too_much=too_much: as_role(role).manage.v1.projects.keys.create(
                tenant.project_id, request={"comment": "x", "scopes": [too_much]}
            )
        )
        assert err.status_code == 401 and err.body["err_code"] == "INSUFFICIENT_PERMISSIONS"
    # Narrower keys are fine, and they carry only what they name.
    narrow = as_role("admin").manage.v1.projects.keys.create(
        tenant.project_id, request={"comment": "reader", "scopes": ["usage:read"]}
    )
    assert narrow.scopes == ["usage:read"]

"""Projects (update, delete, leave), members and their scopes, through the official SDK."""

from __future__ import annotations

import uuid

import httpx

from tests.conftest import sdk_client
from tests.manage.conftest import api_error, listen_status


def test_update_project(tenant, as_role):
    owner = as_role("owner")
    assert owner.manage.v1.projects.update(tenant.project_id, name="Renamed").message == (
        "Successfully updated project info."
    )
    got = owner.manage.v1.projects.get(tenant.project_id, limit=5, page=0)
    assert got.name == "Renamed" and got.mip_opt_out is False
    assert [p.name for p in owner.manage.v1.projects.list().projects] == ["Renamed"]
    err = api_error(lambda: owner.manage.v1.projects.update(tenant.project_id, name=""))
    assert err.status_code == 400


def test_update_refuses_bad_json(server, tenant):
    r = httpx.patch(
        f"{server.url}/v1/projects/{tenant.project_id}",
        content=b'{"name": ',
        headers={"Authorization": f"Token {tenant.keys['owner']}", "Content-Type": "application/json"},
    )
    assert r.status_code == 400
    body = r.json()
    assert body["category"] == "INVALID_JSON" and body["message"] == "Invalid JSON submitted."
    assert body["details"].startswith("Json deserialize error: ") and body["request_id"]


def test_delete_project_stops_every_key(server, tenant, as_role):
    # Only an owner may delete: an admin is refused.
    err = api_error(lambda: as_role("admin").manage.v1.projects.delete(tenant.project_id))
    assert err.status_code == 401 and err.body["err_code"] == "INSUFFICIENT_PERMISSIONS"
    assert as_role("owner").manage.v1.projects.delete(tenant.project_id).message == "Successfully deleted a project."
    for role in ("owner", "admin", "member"):
        assert listen_status(server, tenant.keys[role]) == 401


def test_leave_project(server, tenant, as_role):
    member = as_role("member")
    assert member.manage.v1.projects.leave(tenant.project_id).message == "Successfully left the project."
    assert listen_status(server, tenant.keys["member"]) == 401
    ids = [m.member_id for m in as_role("owner").manage.v1.projects.members.list(tenant.project_id).members]
    assert tenant.members["member"] not in ids and len(ids) == 2
    # The only owner cannot leave: the project would have nobody to run it.
    err = api_error(lambda: as_role("owner").manage.v1.projects.leave(tenant.project_id))
    assert err.status_code == 400 and err.body["category"] == "INVALID_REQUEST"
    assert listen_status(server, tenant.keys["owner"]) == 200


def test_members_list(tenant, as_role):
    listed = as_role("admin").manage.v1.projects.members.list(tenant.project_id).members
    by_id = {m.member_id: m for m in listed}
    assert set(by_id) == set(tenant.members.values())
    owner = by_id[tenant.members["owner"]]
    assert owner.scopes == ["owner"] and owner.email == tenant.emails["owner"] and owner.first_name == "Owner"


def test_member_scopes_get_and_update(server, tenant, as_role):
    owner, pid = as_role("owner"), tenant.project_id
    mid = tenant.members["member"]
    assert owner.manage.v1.projects.members.scopes.list(pid, mid).scopes == ["member"]
    assert owner.manage.v1.projects.members.scopes.update(pid, mid, scope="admin").message == (
        "Successfully updated the account scopes."
    )
    assert owner.manage.v1.projects.members.scopes.list(pid, mid).scopes == ["admin"]
    # A key never exceeds its own scopes: the promoted member's `member` key still sees only its own keys.
    assert len(as_role("member").manage.v1.projects.keys.list(pid).api_keys) == 1
    # Demotion applies at once as well: the admin's key loses member management.
    owner.manage.v1.projects.members.scopes.update(pid, tenant.members["admin"], scope="member")
    err = api_error(lambda: as_role("admin").manage.v1.projects.members.list(pid))
    assert err.status_code == 401 and err.body["err_code"] == "INSUFFICIENT_PERMISSIONS"


def test_scope_update_refusals(tenant, as_role):
    pid = tenant.project_id
    err = api_error(
        lambda: as_role("owner").manage.v1.projects.members.scopes.update(pid, tenant.members["member"], scope="god")
    )
    assert err.status_code == 400
    assert err.body == "Invalid request: scope must be either 'member', 'admin' or 'owner'."
    # An admin cannot make anyone owner, nor touch an owner.
    admin = as_role("admin")
    for target, scope in (("member", "owner"), ("owner", "member")):
        err = api_error(
            lambda target=target, scope=scope: admin.manage.v1.projects.members.scopes.update(
                pid, tenant.members[target], scope=scope
            )
        )
        assert err.status_code == 401 and err.body["err_code"] == "INSUFFICIENT_PERMISSIONS"
    # The only owner cannot step down.
    err = api_error(
        lambda: as_role("owner").manage.v1.projects.members.scopes.update(pid, tenant.members["owner"], scope="admin")
    )
    assert err.status_code == 400 and err.body["category"] == "INVALID_REQUEST"
    err = api_error(lambda: as_role("owner").manage.v1.projects.members.scopes.list(pid, "no-such-member"))
    assert err.status_code == 404 and err.body["category"] == "NOT_FOUND"


def test_remove_member(server, tenant, as_role):
    pid = tenant.project_id
    # An admin may not remove an owner ...
    err = api_error(lambda: as_role("admin").manage.v1.projects.members.delete(pid, tenant.members["owner"]))
    assert err.status_code == 401
    # ... but may remove a member, whose keys stop at once.
    assert as_role("admin").manage.v1.projects.members.delete(pid, tenant.members["member"]).message == (
        "Successfully removed account from project."
    )
    assert listen_status(server, tenant.keys["member"]) == 401
    err = api_error(lambda: as_role("owner").manage.v1.projects.members.delete(pid, tenant.members["owner"]))
    assert err.status_code == 400  # the last owner stays


def test_other_tenants_are_invisible_everywhere(server, tenant):
    from tests.tenants import make_tenant

    other = make_tenant(server.db, "Other")
    mine = sdk_client(server, tenant.keys["owner"])
    pid = other.project_id
    calls = [
        lambda: mine.manage.v1.projects.get(pid),
        lambda: mine.manage.v1.projects.keys.list(pid),
        lambda: mine.manage.v1.projects.keys.get(pid, other.key_ids["owner"]),
        lambda: mine.manage.v1.projects.keys.delete(pid, other.key_ids["owner"]),
        lambda: mine.manage.v1.projects.members.list(pid),
        lambda: mine.manage.v1.projects.members.delete(pid, other.members["member"]),
        lambda: mine.manage.v1.projects.requests.list(pid),
        lambda: mine.manage.v1.projects.usage.get(pid),
        lambda: mine.manage.v1.projects.billing.balances.list(pid),
        lambda: mine.manage.v1.projects.delete(pid),
    ]
    for call in calls:
        err = api_error(call)
        assert err.status_code == 404 and err.body["err_code"] == "PROJECT_NOT_FOUND", err.body
    assert listen_status(server, other.keys["member"]) == 200  # nothing was touched


def test_the_first_start_key_is_its_owners_and_may_set_any_scope(server):
    """The key printed on first start is the owner's: with it the owner confirms their own `owner` scope
    (it was an `admin` key, refused with 401) and sets any scope on any member."""
    from opengram.accounts.models import Member, Membership

    owner = sdk_client(server)
    project_id = owner.manage.v1.projects.list().projects[0].project_id
    [me] = [m for m in owner.manage.v1.projects.members.list(project_id).members if m.email == "owner@localhost"]
    assert owner.manage.v1.projects.members.scopes.update(project_id, me.member_id, scope="owner").message == (
        "Successfully updated the account scopes."
    )
    keys = owner.manage.v1.projects.keys.list(project_id).api_keys  # other tests add keys to this project too
    assert [k.api_key.scopes for k in keys if k.api_key.comment == "bootstrap owner key"] == [["owner"]]

    async def join(session):
        member = Member(email=f"second-{uuid.uuid4().hex[:8]}@example.com")
        session.add(member)
        await session.flush()
        session.add(Membership(project_id=project_id, member_id=member.member_id, scopes=["member"]))
        return member.member_id

    other = server.db.run(join)
    for scope in ("owner", "owner", "admin", "member", "member"):  # the same scope twice succeeds as well
        assert owner.manage.v1.projects.members.scopes.update(project_id, other, scope=scope).message == (
            "Successfully updated the account scopes."
        )
        assert owner.manage.v1.projects.members.scopes.list(project_id, other).scopes == [scope]
    owner.manage.v1.projects.members.delete(project_id, other)

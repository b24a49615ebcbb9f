"""Invitations through the SDK, and joining with `opengram invites accept TOKEN`."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import sdk_client
from tests.manage.conftest import api_error, listen_status


def opengram(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "opengram", *args], capture_output=True, text=True, timeout=120, check=check
    )


def test_send_list_delete(tenant, as_role):
    invites = as_role("admin").manage.v1.projects.members.invites
    pid = tenant.project_id
    sent = invites.create(pid, email="New.Person@Example.com", scope="member")
    assert "new.person@example.com" in sent.message and len(sent.dict()["token"]) > 20
    invites.create(pid, email="second@example.com", scope="admin")
    listed = invites.list(pid).invites
    assert [(i.email, i.scope) for i in listed] == [
        ("new.person@example.com", "member"),
        ("second@example.com", "admin"),
    ]
    # Inviting again replaces the invitation.
    invites.create(pid, email="second@example.com", scope="member")
    assert [(i.email, i.scope) for i in invites.list(pid).invites][-1] == ("second@example.com", "member")
    assert invites.delete(pid, "second@example.com").message == "Successfully deleted the invitation."
    assert [i.email for i in invites.list(pid).invites] == ["new.person@example.com"]
    err = api_error(lambda: invites.delete(pid, "second@example.com"))
    assert err.status_code == 404


def test_invite_refusals(tenant, as_role):
    pid = tenant.project_id
    admin = as_role("admin").manage.v1.projects.members.invites
    err = api_error(lambda: admin.create(pid, email="boss@example.com", scope="owner"))
    assert err.status_code == 401 and err.body["err_code"] == "INSUFFICIENT_PERMISSIONS"  # admins cannot make owners
    err = api_error(lambda: admin.create(pid, email="x@example.com", scope="emperor"))
    assert err.status_code == 400 and err.body.startswith("Invalid request: scope must be")
    err = api_error(lambda: admin.create(pid, email=tenant.emails["member"], scope="member"))
    assert err.status_code == 400 and err.body["category"] == "INVALID_REQUEST"
    err = api_error(lambda: as_role("member").manage.v1.projects.members.invites.list(pid))
    assert err.status_code == 401


def test_accept_with_the_cli(server, tenant, as_role):
    pid = tenant.project_id
    sent = as_role("owner").manage.v1.projects.members.invites.create(pid, email="joiner@example.com", scope="admin")
    token = sent.dict()["token"]
    out = opengram("invites", "accept", token, "--first-name", "Jo", "--database-url", server.db.url).stdout
    secret = out.strip().splitlines()[-1]
    assert re.fullmatch(r"[0-9a-f]{40}", secret) and f"joined project {pid} as admin" in out
    # The new member is listed, their key works and has their role, and the invitation is gone.
    members = as_role("owner").manage.v1.projects.members.list(pid).members
    joined = next(m for m in members if m.email == "joiner@example.com")
    assert joined.scopes == ["admin"] and joined.first_name == "Jo"
    assert listen_status(server, secret) == 200
    assert len(sdk_client(server, secret).manage.v1.projects.members.list(pid).members) == 4
    assert as_role("owner").manage.v1.projects.members.invites.list(pid).invites == []
    # A token works once.
    again = opengram("invites", "accept", token, "--database-url", server.db.url, check=False)
    assert again.returncode == 1 and "no such invitation" in again.stdout

"""GET /v1/projects and /v1/projects/{id} through the official SDK, and tenant isolation."""

from __future__ import annotations

import pytest
from deepgram.core.api_error import ApiError

from opengram.accounts.keys import create_key
from opengram.accounts.models import Member, Membership, Project
from tests.conftest import sdk_client


@pytest.fixture(scope="module")
def other_tenant(server):
    """A second project with its own owner and key."""

    async def make(session):
        member = Member(email="other@example.com")
        project = Project(name="Other Tenant")
        session.add_all([member, project])
        await session.flush()
        session.add(Membership(project_id=project.project_id, member_id=member.member_id, scopes=["owner"]))
        _key, secret = await create_key(session, project_id=project.project_id, member_id=member.member_id)
        return project.project_id, secret

    return server.db.run(make)


def test_list_and_get(client):
    projects = client.manage.v1.projects.list().projects
    assert len(projects) == 1
    assert projects[0].name == "Default Project"
    project = client.manage.v1.projects.get(projects[0].project_id)
    assert project.project_id == projects[0].project_id
    assert project.mip_opt_out is False


def test_other_tenant_is_invisible(server, client, other_tenant):
    other_id, other_secret = other_tenant
    mine = client.manage.v1.projects.list().projects[0].project_id
    assert other_id not in [p.project_id for p in client.manage.v1.projects.list().projects]
    with pytest.raises(ApiError) as err:
        client.manage.v1.projects.get(other_id)
    assert err.value.status_code == 404
    assert err.value.body["err_code"] == "PROJECT_NOT_FOUND"
    # And the other way round.
    theirs = sdk_client(server, other_secret)
    assert [p.project_id for p in theirs.manage.v1.projects.list().projects] == [other_id]
    with pytest.raises(ApiError) as err:
        theirs.manage.v1.projects.get(mine)
    assert err.value.status_code == 404


def test_malformed_project_id(client):
    with pytest.raises(ApiError) as err:
        client.manage.v1.projects.get("proj-123")
    assert err.value.status_code == 404
    assert err.value.body == (
        "UUID parsing failed: invalid character: expected an optional prefix of `urn:uuid:` "
        "followed by [0-9a-zA-Z], found `p` at 1"
    )


def test_projects_need_a_key(server):
    with pytest.raises(ApiError) as err:
        sdk_client(server, "f" * 40).manage.v1.projects.list()
    assert err.value.status_code == 401

"""Models from the registry, and self-hosted distribution credentials under all three path spellings."""

from __future__ import annotations

import httpx
import pytest

from tests.manage.conftest import api_error


def test_models_global_and_per_project(tenant, as_role):
    client = as_role("member")
    models = client.manage.v1.models.list()
    assert "aura-2-thalia-en" in {m.canonical_name for m in models.tts}  # TTS voices: tests/e2e/test_speak_rest.py
    names = [m.name for m in models.stt]
    assert "whisper-tiny.en" in names
    tiny = next(m for m in models.stt if m.name == "whisper-tiny.en")
    assert tiny.languages == ["en"] and tiny.architecture == "whisper" and tiny.batch and tiny.streaming
    assert tiny.uuid_  # the SDK's name for `uuid`
    assert client.manage.v1.models.get(tiny.uuid_).name == "whisper-tiny.en"
    per_project = client.manage.v1.projects.models.list(tenant.project_id)
    assert [m.uuid_ for m in per_project.stt] == [m.uuid_ for m in models.stt]
    assert client.manage.v1.projects.models.get(tenant.project_id, tiny.uuid_).version == tiny.version
    err = api_error(lambda: client.manage.v1.models.get("00000000-0000-0000-0000-000000000000"))
    assert err.status_code == 404 and err.body["category"] == "NOT_FOUND"


def test_distribution_credentials_through_the_sdk(tenant, as_role):
    creds = as_role("admin").self_hosted.v1.distribution_credentials
    pid = tenant.project_id
    made = creds.create(pid, comment="k8s cluster", scopes=["self-hosted:product:api", "self-hosted:product:engine"])
    cid = made.distribution_credentials.distribution_credentials_id
    assert made.member.member_id == tenant.members["admin"]
    assert made.distribution_credentials.provider == "quay"
    assert made.distribution_credentials.scopes == ["self-hosted:product:api", "self-hosted:product:engine"]
    default = creds.create(pid, comment="defaults")
    assert default.distribution_credentials.scopes == ["self-hosted:products"]
    listed = creds.list(pid).distribution_credentials
    assert [c.distribution_credentials.comment for c in listed] == ["k8s cluster", "defaults"]
    assert creds.get(pid, cid).distribution_credentials.comment == "k8s cluster"
    deleted = creds.delete(pid, cid)
    assert deleted.distribution_credentials.distribution_credentials_id == cid
    assert len(creds.list(pid).distribution_credentials) == 1
    err = api_error(lambda: creds.get(pid, cid))
    assert err.status_code == 404
    err = api_error(lambda: creds.create(pid, comment="x", scopes=["self-hosted:everything"]))
    assert err.status_code == 400
    # Members may not manage them.
    err = api_error(lambda: as_role("member").self_hosted.v1.distribution_credentials.list(pid))
    assert err.status_code == 401


@pytest.mark.parametrize("spelling", ["self-hosted", "selfhosted", "onprem"])
def test_older_path_spellings(server, tenant, spelling):
    base = f"{server.url}/v1/projects/{tenant.project_id}/{spelling}/distribution/credentials"
    auth = {"Authorization": f"Token {tenant.keys['owner']}"}
    # The JS SDK puts everything in the body; SDK 3.x posts to a trailing slash.
    r = httpx.post(base + "/", json={"comment": spelling, "scopes": ["self-hosted:product:dgtools"]}, headers=auth)
    assert r.status_code == 200, r.text
    cid = r.json()["distribution_credentials"]["distribution_credentials_id"]
    assert r.json()["distribution_credentials"]["scopes"] == ["self-hosted:product:dgtools"]
    assert cid in httpx.get(base, headers=auth).text
    assert httpx.get(f"{base}/{cid}", headers=auth).json()["distribution_credentials"]["comment"] == spelling
    assert httpx.delete(f"{base}/{cid}", headers=auth).status_code == 200
    assert httpx.get(f"{base}/{cid}", headers=auth).status_code == 404

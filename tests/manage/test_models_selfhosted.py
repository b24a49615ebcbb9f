"""Models from the registry, and self-hosted distribution credentials under all three path spellings."""

from __future__ import annotations

import shutil

import httpx
import pytest
from deepgram.types import GetModelV1ResponseBatch, GetModelV1ResponseMetadata, ListModelsV1Response

from tests.manage.conftest import api_error
from tests.wire import strictly

DEEPGRAM_NAMES = (
    "nova-3", "nova-3-general", "nova-3-medical", "nova-2", "nova-2-phonecall", "nova", "enhanced", "enhanced-meeting",
    "base", "base-voicemail", "general", "phonecall", "whisper", "whisper-tiny", "whisper-tiny.en", "whisper-base",
)  # fmt: skip


def test_models_global_and_per_project(server, tenant, as_role):
    client = as_role("member")
    models = client.manage.v1.models.list()
    canonical = {m.canonical_name for m in models.stt}
    assert set(DEEPGRAM_NAMES) <= canonical, set(DEEPGRAM_NAMES) - canonical  # every name /v1/listen accepts
    assert "aura-2-thalia-en" in {m.canonical_name for m in models.tts}  # and every Aura name /v1/speak does
    tiny = next(m for m in models.stt if m.name == "whisper-tiny.en")
    assert tiny.languages == ["en"] and tiny.architecture == "whisper" and tiny.batch and tiny.streaming
    assert tiny.uuid_  # the SDK's name for `uuid`
    assert client.manage.v1.models.get(tiny.uuid_).name == "whisper-tiny.en"
    # A Deepgram name says its architecture and, in `version`, the installed engine that answers to it:
    # English to tiny.en, other languages (and `multi`) to the multilingual base.
    nova3 = [m for m in models.stt if m.canonical_name == "nova-3"]
    assert [m.version.split("@")[0] for m in nova3] == ["whisper-tiny.en", "whisper-base"]
    assert all(m.architecture == "nova-3" and m.formatted_output for m in nova3)
    assert nova3[0].languages == ["en"] and {"fr", "ja", "multi"} <= set(nova3[1].languages)
    medical = next(m for m in models.stt if m.canonical_name == "nova-3-medical")
    assert (medical.name, medical.architecture) == ("medical", "nova-3")
    thalia = next(m for m in models.tts if m.canonical_name == "aura-2-thalia-en")
    assert thalia.architecture == "aura-2" and "piper-en_US-joe-medium" in thalia.metadata.tags
    per_project = client.manage.v1.projects.models.list(tenant.project_id)
    assert [m.uuid_ for m in per_project.stt] == [m.uuid_ for m in models.stt]
    assert client.manage.v1.projects.models.get(tenant.project_id, tiny.uuid_).version == tiny.version
    err = api_error(lambda: client.manage.v1.models.get("00000000-0000-0000-0000-000000000000"))
    assert err.status_code == 404 and err.body["category"] == "NOT_FOUND"

    # Strictly in the SDK's shapes, and every entry found again by its UUID.
    auth = {"Authorization": f"Token {tenant.keys['member']}"}
    listed = httpx.get(f"{server.url}/v1/models", headers=auth).json()
    strictly(ListModelsV1Response, listed)
    uuids = [m["uuid"] for m in listed["stt"] + listed["tts"]]
    assert len(set(uuids)) == len(uuids)
    for kind, shape in (("stt", GetModelV1ResponseBatch), ("tts", GetModelV1ResponseMetadata)):
        for entry in listed[kind]:
            got = httpx.get(f"{server.url}/v1/models/{entry['uuid']}", headers=auth).json()
            assert got == entry
            strictly(shape, got)


def test_models_follow_what_is_installed(tmp_path):
    """Another Whisper directory (`OPENGRAM_MODEL`) or Piper voice (`OPENGRAM_TTS_VOICE`) is listed at once, and
    the Deepgram names it now serves say so."""
    from opengram.engines.registry import bundled_tiny_en
    from opengram.engines.tts import bundled_joe
    from tests.server import TempDatabase, start_server

    model = tmp_path / "my-whisper.en"
    model.mkdir()
    for f in bundled_tiny_en().path.iterdir():
        (model / f.name).symlink_to(f)
    joe = bundled_joe()
    voice = tmp_path / "en_US-other-medium.onnx"
    shutil.copyfile(joe.model_path, voice)  # a copy: a voice is named after its resolved file
    shutil.copyfile(joe.config_path, tmp_path / "en_US-other-medium.onnx.json")
    db = TempDatabase(tmp_path)
    srv = start_server(tmp_path, db, OPENGRAM_MODEL=str(model), OPENGRAM_TTS_VOICE=str(voice))
    try:
        listed = httpx.get(f"{srv.url}/v1/models", headers={"Authorization": f"Token {srv.key}"}).json()
        strictly(ListModelsV1Response, listed)
        stt = {(m["canonical_name"], m["version"].split("@")[0]) for m in listed["stt"]}
        assert ("my-whisper.en", "my-whisper.en") in stt and ("nova-3", "my-whisper.en") in stt
        first_nova3 = next(m for m in listed["stt"] if m["canonical_name"] == "nova-3")
        assert first_nova3["version"].startswith("my-whisper.en@")  # the operator's model is routed to first
        tts = {m["canonical_name"]: m for m in listed["tts"]}
        assert "piper-en_US-other-medium" in tts
        assert "piper-en_US-other-medium" in tts["aura-2-thalia-en"]["metadata"]["tags"]
    finally:
        srv.stop()
        db.drop()


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

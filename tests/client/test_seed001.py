"""Seed 001's README, example by example, through `opengram.client` against the real server, model and audio."""

from __future__ import annotations

import json
import shutil

import pytest

from opengram.accounts.billing import add_credit
from opengram.client import Deepgram, DeepgramApiError
from tests import audio
from tests.client import seed001
from tests.tenants import make_tenant

CLIP = "cards_005.wav"  # 3.5 s, "eight of spades four of clubs seven of hearts"


def printed_json(out: str) -> dict:
    return json.loads(out[out.index("{") :])


def transcript_of(response: dict) -> str:
    return response["results"]["channels"][0]["alternatives"][0]["transcript"]


@pytest.fixture(scope="module")
def tenant(server):
    """A fresh project (owner, admin, member) so the management examples disturb no other test."""
    return make_tenant(server.db, "Seed 001")


@pytest.fixture(autouse=True)
def at_server(server, monkeypatch):
    # `Deepgram(DEEPGRAM_API_KEY)` without an api_url goes to $OPENGRAM_URL.
    monkeypatch.setenv("OPENGRAM_URL", server.url)


def test_remote_files(server, files, tenant, capsys):
    seed001.run(seed001.REMOTE_FILES, DEEPGRAM_API_KEY=tenant.keys["owner"], FILE_URL=f"{files.url}/audio/{CLIP}")
    response = printed_json(capsys.readouterr().out)
    assert audio.wer(audio.reference(CLIP), transcript_of(response)) <= 0.2
    assert response["metadata"]["duration"] == pytest.approx(3.5, abs=0.05)


def test_local_files(server, tmp_path, monkeypatch, capsys):
    (tmp_path / "some").mkdir()
    shutil.copy(audio.path("jfk_16k.wav"), tmp_path / "some" / "file.wav")
    monkeypatch.chdir(tmp_path)  # the README's own PATH_TO_FILE = 'some/file.wav'
    seed001.run(seed001.LOCAL_FILES, DEEPGRAM_API_KEY=server.key)
    response = printed_json(capsys.readouterr().out)
    assert audio.wer(audio.reference("jfk_16k.wav"), transcript_of(response)) <= 0.15
    words = response["results"]["channels"][0]["alternatives"][0]["words"]
    assert words[0]["punctuated_word"] == "And"  # punctuate=True reached the server


def test_live_audio(server, files, capsys):
    url = f"{files.url}/audio/{CLIP}"
    seed001.run(seed001.LIVE_AUDIO.replace("URL = ''", f"URL = {url!r}"), DEEPGRAM_API_KEY=server.key)
    out = capsys.readouterr().out
    assert "Could not open socket" not in out
    assert out.rstrip().endswith("Connection closed with code 1000.")
    messages = [eval(line) for line in out.splitlines() if line.startswith("{")]  # `print` of each dict
    results = [m for m in messages if m["type"] == "Results"]
    assert results and all(r["is_final"] for r in results)  # interim_results False
    said = " ".join(r["channel"]["alternatives"][0]["transcript"] for r in results)
    assert audio.wer(audio.reference(CLIP), said) <= 0.25
    assert "sha256" in messages[-1]  # the summary metadata object comes last


def test_custom_endpoint_and_both_forms_of_options(server, files, tenant):
    scope = seed001.run(
        seed001.CUSTOM_ENDPOINT.replace("http://localhost:8080", server.url), DEEPGRAM_API_KEY=tenant.keys["admin"]
    )
    dg_client = scope["dg_client"]
    source = {"url": f"{files.url}/audio/cards_001.wav"}
    ids = []
    for example in (seed001.OPTIONS_DICT, seed001.OPTIONS_KWARGS):
        response = seed001.run_statement(example, dg_client=dg_client, source=source)["response"]
        assert audio.wer("ten of clubs", transcript_of(response)) <= 0.34
        ids.append(response["metadata"]["request_id"])
    # Both forms sent the same query: the request log kept the same config for each.
    configs = [
        seed001.run_statement(
            "r = await dg_client.usage.get_request(PROJECT_ID, RID)",
            dg_client=dg_client,
            PROJECT_ID=tenant.project_id,
            RID=rid,
        )["r"]["response"]["details"]["config"]
        for rid in ids
    ]
    assert configs[0] == configs[1]
    assert configs[0]["punctuate"] is True and configs[0]["keywords"] == ["first:5", "second"]


def test_the_management_examples_in_order(server, files, tenant):
    """Every management example of the README, in its order, on one project."""
    pid = tenant.project_id
    deepgram = Deepgram(tenant.keys["owner"])

    def run(example: str, client=deepgram, **names):
        return seed001.run_statement(example, deepgram=client, PROJECT_ID=pid, **names)

    # A request to find in the log, and a balance to read.
    Deepgram(tenant.keys["owner"]).transcription.sync_prerecorded({"url": f"{files.url}/audio/cards_001.wav"})
    _purchase, balance = server.db.run(lambda session: add_credit(session, pid, 10.0))

    projects = run(seed001.PROJECTS_LIST)["projects"]
    assert projects == {"projects": [{"project_id": pid, "name": projects["projects"][0]["name"]}]}
    project = run(seed001.PROJECTS_GET)["project"]
    assert project["project_id"] == pid
    project["name"] = "Renamed by the README"
    assert "message" in run(seed001.PROJECTS_UPDATE, project=project)["updateResponse"]
    assert run(seed001.PROJECTS_GET)["project"]["name"] == "Renamed by the README"

    keys = run(seed001.KEYS_LIST)["response"]["api_keys"]
    assert {k["api_key"]["api_key_id"] for k in keys} == set(tenant.key_ids.values())
    created = run(seed001.KEYS_CREATE, COMMENT_FOR_KEY="from the README", SCOPES=["member"])["response"]
    assert created["comment"] == "from the README" and created["scopes"] == ["member"] and len(created["key"]) == 40
    heard = Deepgram(created["key"]).transcription.sync_prerecorded(
        {"buffer": audio.read("cards_001.wav"), "mimetype": "audio/wav"}
    )
    assert audio.wer("ten of clubs", transcript_of(heard)) <= 0.34  # the new key works
    assert run(seed001.KEYS_DELETE, KEY_ID=created["api_key_id"]) == {}
    with pytest.raises(DeepgramApiError) as refused:
        Deepgram(created["key"]).transcription.sync_prerecorded({"buffer": b"\0" * 100, "mimetype": "audio/wav"})
    assert refused.value.status == 401

    members = run(seed001.MEMBERS_LIST)["response"]["members"]
    assert {m["email"] for m in members} == set(tenant.emails.values())
    member = tenant.members["member"]
    assert run(seed001.SCOPES_GET, MEMBER_ID=member)["response"] == {"scopes": ["member"]}
    assert "message" in run(seed001.SCOPES_UPDATE, MEMBER_ID=member)["response"]

    assert run(seed001.INVITES_LIST)["response"] == {"invites": []}
    sent = run(seed001.INVITES_SEND, EMAIL="new@example.com")["response"]
    assert sent["token"] and sent["message"]
    assert [i["email"] for i in run(seed001.INVITES_LIST)["response"]["invites"]] == ["new@example.com"]
    assert "message" in run(seed001.INVITES_REMOVE, EMAIL="new@example.com")["response"]
    assert run(seed001.INVITES_LIST)["response"] == {"invites": []}

    requests = run(seed001.USAGE_REQUESTS)["response"]
    assert requests["limit"] == 10 and requests["requests"][0]["path"] == "/v1/listen"
    rid = requests["requests"][0]["request_id"]
    one = run(seed001.USAGE_REQUEST, REQUEST_ID=rid)["response"]
    assert one["request_id"] == rid and one["response"]["details"]["duration"] > 0
    usage = run(seed001.USAGE_GET)["response"]
    assert usage["start"] == "2020-01-01" and sum(r["requests"] for r in usage["results"]) >= 2
    assert "sync" in run(seed001.USAGE_FIELDS)["response"]["processing_methods"]

    balances = run(seed001.BALANCES_LIST)["response"]["balances"]
    assert [b["balance_id"] for b in balances] == [balance.balance_id]
    assert run(seed001.BALANCE_GET, BALANCE_ID=balance.balance_id)["response"]["amount"] == pytest.approx(10.0)

    # Members leave and are removed last: their keys stop working.
    assert "message" in run(seed001.LEAVE_PROJECT, client=Deepgram(tenant.keys["admin"]))["response"]
    assert "message" in run(seed001.MEMBERS_REMOVE, MEMBER_ID=member)["response"]
    left = {m["email"] for m in run(seed001.MEMBERS_LIST)["response"]["members"]}
    assert left == {tenant.emails["owner"]}

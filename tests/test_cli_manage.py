"""`opengram projects|keys|members|invites|usage|billing` on a live server's database.

The commands run in-process through Typer's runner (the real CLI, minus a Python start-up per command);
tests/test_cli.py and tests/manage/test_invites.py run `python -m opengram` as a subprocess."""

from __future__ import annotations

import re
from types import SimpleNamespace

import httpx
from typer.testing import CliRunner

from opengram.cli import app
from tests import audio

runner = CliRunner()


def opengram(db_url: str, *args: str, check: bool = True) -> SimpleNamespace:
    result = runner.invoke(app, [*args, "--database-url", db_url])
    if check:
        assert result.exit_code == 0, (args, result.output, result.exception)
    return SimpleNamespace(stdout=result.stdout, returncode=result.exit_code)


def listen(url: str, key: str) -> httpx.Response:
    return httpx.post(f"{url}/v1/listen", content=audio.read("cards_001.wav"), headers={"Authorization": f"Token {key}"}, timeout=60)


def test_a_tenant_from_creation_to_deletion(server):
    db = server.db.url
    out = opengram(db, "projects", "create", "Acme", "--owner", "boss@acme.test").stdout
    project = re.search(r"project (\S+)", out).group(1)
    owner_key = out.strip().splitlines()[-1]
    assert listen(server.url, owner_key).status_code == 200
    assert "Acme" in opengram(db, "projects", "list").stdout

    # Keys: create for a member, list, delete.
    out = opengram(db, "keys", "create", "-p", project, "--comment", "ci", "--scope", "member", "--tag", "x").stdout
    key_id = re.search(r"api_key_id (\S+)", out).group(1)
    secret = out.strip().splitlines()[-1]
    assert listen(server.url, secret).status_code == 200
    listed = opengram(db, "keys", "list", "-p", project).stdout
    assert key_id in listed and "boss@acme.test" in listed and secret not in listed
    opengram(db, "keys", "delete", key_id)
    assert listen(server.url, secret).status_code == 401

    # Invitations and members.
    out = opengram(db, "invites", "send", "dev@acme.test", "--scope", "member", "-p", project).stdout
    token = re.search(r"invites accept (\S+)", out).group(1)
    assert "dev@acme.test" in opengram(db, "invites", "list", "-p", project).stdout
    dev_key = opengram(db, "invites", "accept", token).stdout.strip().splitlines()[-1]
    assert listen(server.url, dev_key).status_code == 200
    opengram(db, "invites", "send", "gone@acme.test", "-p", project)
    opengram(db, "invites", "delete", "gone@acme.test", "-p", project)
    assert "gone@acme.test" not in opengram(db, "invites", "list", "-p", project).stdout
    members = opengram(db, "members", "list", "-p", project).stdout
    assert "dev@acme.test" in members and "boss@acme.test" in members
    opengram(db, "members", "role", "dev@acme.test", "admin", "-p", project)
    assert re.search(r"dev@acme\.test.*admin", opengram(db, "members", "list", "-p", project).stdout)
    refused = opengram(db, "members", "remove", "boss@acme.test", "-p", project, check=False)
    assert refused.returncode == 1 and "only owner" in refused.stdout
    opengram(db, "members", "remove", "dev@acme.test", "-p", project)
    assert listen(server.url, dev_key).status_code == 401

    # Usage and billing.
    requests = opengram(db, "usage", "requests", "-p", project).stdout
    assert "/v1/listen" in requests and requests.count("200") >= 3
    assert "requests" in opengram(db, "usage", "summary", "-p", project).stdout
    out = opengram(db, "billing", "credit", "25", "-p", project).stdout
    balance = re.search(r"balance (\S+)", out).group(1)
    assert balance in opengram(db, "billing", "balances", "-p", project).stdout
    opengram(db, "projects", "set", project, "--prerecorded", "3", "--overage")
    assert re.search(r"Acme.*3/-/-.*yes", opengram(db, "projects", "list").stdout)

    opengram(db, "projects", "delete", project)
    assert listen(server.url, owner_key).status_code == 401
    assert "Acme" not in opengram(db, "projects", "list").stdout

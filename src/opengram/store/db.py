"""Database engines and sessions: SQLite by default, PostgreSQL by URL.

Users write plain URLs (`sqlite:///var/x.db`, `postgresql://u@h/db`); we pick the drivers: aiosqlite and
psycopg (async) for the server, pysqlite and psycopg (sync) for Alembic migrations.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def _url(url: str, *, sync: bool) -> URL:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return parsed.set(drivername="sqlite" if sync else "sqlite+aiosqlite")
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///path or postgresql://...")


def sync_url(url: str) -> URL:
    return _url(url, sync=True)


def async_url(url: str) -> URL:
    return _url(url, sync=False)


def ensure_sqlite_dir(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers proceed while one writer commits; busy_timeout waits instead of failing.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def create_engine_for(url: str) -> AsyncEngine:
    ensure_sqlite_dir(url)
    target = async_url(url)
    kwargs = {}
    if target.get_backend_name() == "postgresql":
        kwargs = {"pool_size": 10, "max_overflow": 20, "pool_pre_ping": True}
    engine = create_async_engine(target, **kwargs)
    if target.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)

"""What every command shares. Most talk to a server through `opengram.client` (`--url`, `--key`); the few
an operator runs where no API exists (a new tenant, limits, credit, joining by invitation) work on the
database (`--database-url`), through the same services as the API."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import typer
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from opengram.config import Settings

# Piped output (scripts, tests) gets wide tables rather than cells wrapped at 80 columns.
console = Console(width=None if sys.stdout.isatty() else 200)

DatabaseUrl = typer.Option(
    None, "--database-url", envvar="OPENGRAM_DATABASE_URL", help="sqlite:///path or postgresql://…"
)
ProjectOption = typer.Option(None, "--project", "-p", help="Project id (default: the key's project).")
ServerUrl = typer.Option(
    "http://localhost:8080", "--url", envvar="OPENGRAM_URL", help="The Opengram (or Deepgram) server to talk to."
)
ServerKey = typer.Option(None, "--key", envvar="OPENGRAM_KEY", help="An API key of that server.", show_default=False)


def connect(url: str, key: str | None):
    """A client for the server; without a key, say where one comes from."""
    from opengram.client import Deepgram

    if not key:
        fail("no API key: pass --key or set OPENGRAM_KEY (a server prints one on its first start)")
    return Deepgram({"api_key": key, "api_url": url})


def call(coroutine: Awaitable[Any]) -> Any:
    """Run a client call; a refusal or an unreachable server is one line and exit status 1."""
    from opengram.client import DeepgramApiError

    try:
        return asyncio.run(coroutine)  # type: ignore[arg-type]
    except DeepgramApiError as exc:
        fail(f"{exc.status}: {exc.err_msg}" if exc.status else str(exc).removeprefix("DG: "))


async def key_project(client, project: str | None) -> str:
    """The named project, or the key's own (a key belongs to exactly one project)."""
    if project:
        return project
    projects = (await client.projects.list())["projects"]
    if not projects:
        fail("this key sees no project")
    return projects[0]["project_id"]


def run(database_url: str | None, fn: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
    """Run `fn(session)` in one committed transaction on an up-to-date schema. Errors from the services
    are printed, not raised as tracebacks."""
    from opengram.errors import DeepgramError
    from opengram.store import migrate
    from opengram.store.db import create_engine_for, session_factory

    url = Settings(**({"database_url": database_url} if database_url else {})).database_url

    async def go():
        await asyncio.to_thread(migrate.upgrade, url)
        engine = create_engine_for(url)
        try:
            async with session_factory(engine).begin() as session:
                return await fn(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(go())
    except DeepgramError as exc:
        fail(str(exc.message) + (f" {exc.details}" if getattr(exc, "details", "") else ""))


def fail(message: str) -> None:
    console.print(f"[red]error:[/] {message}", highlight=False)
    raise typer.Exit(1)


async def project_id(session: AsyncSession, project: str | None) -> str:
    """The named live project, or the first one."""
    from opengram.accounts.projects import first_project_id, live_project

    if project is None:
        found = await first_project_id(session)
        if found is None:
            fail("no project yet: start the server once, or `opengram projects create`")
        return found
    if await live_project(session, project) is None:
        fail(f"no such project: {project}")
    return project


async def member_of(session: AsyncSession, project: str, who: str):
    """A member of `project` by member id or email, with their membership."""
    from opengram.accounts.members import get_membership, normalize_email
    from opengram.accounts.models import Member

    member = await session.get(Member, who) or await session.scalar(
        select(Member).where(Member.email == normalize_email(who))
    )
    membership = await get_membership(session, project, member.member_id) if member else None
    if membership is None:
        fail(f"{who} is not a member of project {project}")
    return member, membership


def when(value: datetime | str | None) -> str:
    """A timestamp for a table cell, from the database (datetime) or the API (ISO text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""

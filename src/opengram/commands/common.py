"""What every management command shares: the database option, a session, project and member lookup."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from typing import Any, Awaitable, Callable, Optional

import typer
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from opengram.config import Settings

# Piped output (scripts, tests) gets wide tables rather than cells wrapped at 80 columns.
console = Console(width=None if sys.stdout.isatty() else 200)

DatabaseUrl = typer.Option(None, "--database-url", envvar="OPENGRAM_DATABASE_URL", help="sqlite:///path or postgresql://…")
ProjectOption = typer.Option(None, "--project", "-p", help="Project id (default: the first project).")


def run(database_url: Optional[str], fn: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
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


async def project_id(session: AsyncSession, project: Optional[str]) -> str:
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


def when(value: Optional[datetime]) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""

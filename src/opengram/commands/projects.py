"""`opengram projects`: list, create (a new tenant with its owner key), rename, set limits, delete."""

from __future__ import annotations

from typing import Optional

import typer
from rich.table import Table
from sqlalchemy import func, select

from opengram.commands.common import DatabaseUrl, console, project_id, run, when

app = typer.Typer(help="Projects (tenants).", no_args_is_help=True)


@app.command("list")
def list_projects(database_url: Optional[str] = DatabaseUrl) -> None:
    """List projects with their member and key counts."""
    from opengram.accounts.models import ApiKey, Membership
    from opengram.accounts.projects import all_projects

    async def go(session):
        rows = []
        for p in await all_projects(session):
            members = await session.scalar(select(func.count()).where(Membership.project_id == p.project_id))
            keys = await session.scalar(
                select(func.count()).where(ApiKey.project_id == p.project_id, ApiKey.deleted_at.is_(None))
            )
            rows.append((p, members, keys))
        return rows

    table = Table("project_id", "name", "members", "keys", "limits (pre/stream/tts)", "overage", "created")
    for p, members, keys in run(database_url, go):
        limits = "/".join(str(v) if v is not None else "-" for v in (p.limit_prerecorded, p.limit_streaming, p.limit_tts))
        table.add_row(p.project_id, p.name, str(members), str(keys), limits, "yes" if p.overage else "no", when(p.created))
    console.print(table)


@app.command("create")
def create(
    name: str = typer.Argument(..., help="The project's name."),
    owner: str = typer.Option(..., "--owner", help="Email of its owner (created if new)."),
    database_url: Optional[str] = DatabaseUrl,
) -> None:
    """Create a project for a new tenant and print its owner's first key (shown once)."""
    from opengram.accounts.projects import create_project

    async def go(session):
        return await create_project(session, name, owner)

    project, key, secret = run(database_url, go)
    console.print(f"[bold]project[/] {project.project_id}  [bold]owner[/] {owner}  [bold]api_key_id[/] {key.api_key_id}", highlight=False)
    print(secret)


@app.command("rename")
def rename(project: str, name: str, database_url: Optional[str] = DatabaseUrl) -> None:
    """Rename a project."""
    from opengram.accounts.projects import live_project, update_project

    async def go(session):
        await update_project(session, await live_project(session, await project_id(session, project)), name=name, company=None)

    run(database_url, go)
    console.print(f"renamed {project} to {name}", highlight=False)


@app.command("set")
def set_limits(
    project: str,
    prerecorded: Optional[int] = typer.Option(None, help="Concurrent pre-recorded requests (0 = server default)."),
    streaming: Optional[int] = typer.Option(None, help="Concurrent streams (0 = server default)."),
    tts: Optional[int] = typer.Option(None, help="Concurrent TTS requests (0 = server default)."),
    overage: Optional[bool] = typer.Option(None, "--overage/--no-overage", help="Keep serving when the balance is spent."),
    database_url: Optional[str] = DatabaseUrl,
) -> None:
    """Set a project's concurrency limits and overage agreement."""
    from opengram.accounts.projects import live_project

    async def go(session):
        p = await live_project(session, await project_id(session, project))
        for column, value in (("limit_prerecorded", prerecorded), ("limit_streaming", streaming), ("limit_tts", tts)):
            if value is not None:
                setattr(p, column, value or None)
        if overage is not None:
            p.overage = overage

    run(database_url, go)
    console.print(f"updated {project}", highlight=False)


@app.command("delete")
def delete(project: str, database_url: Optional[str] = DatabaseUrl) -> None:
    """Delete a project: every key of it stops working at once."""
    from opengram.accounts.projects import delete_project, live_project

    async def go(session):
        await delete_project(session, await live_project(session, await project_id(session, project)))

    run(database_url, go)
    console.print(f"deleted {project}", highlight=False)

"""`opengram projects`: list, show, rename, leave and delete on a server; create a tenant and set its
limits on the database (no API does those, as with Deepgram, whose Console does)."""

from __future__ import annotations

import typer
from rich.table import Table

from opengram.commands.common import (
    DatabaseUrl,
    ServerKey,
    ServerUrl,
    call,
    connect,
    console,
    key_project,
    project_id,
    run,
)

app = typer.Typer(help="Projects (tenants).", no_args_is_help=True)


@app.command("list")
def list_projects(url: str = ServerUrl, key: str | None = ServerKey) -> None:
    """The projects the key sees."""
    table = Table("project_id", "name")
    for p in call(connect(url, key).projects.list())["projects"]:
        table.add_row(p["project_id"], p["name"])
    console.print(table)


@app.command("show")
def show(
    project: str | None = typer.Argument(None, help="Default: the key's project."),
    url: str = ServerUrl,
    key: str | None = ServerKey,
) -> None:
    """A project's details."""
    client = connect(url, key)

    async def go():
        return await client.projects.get(await key_project(client, project))

    for name, value in call(go()).items():
        console.print(f"[bold]{name}[/] {value}", highlight=False)


@app.command("rename")
def rename(project: str, name: str, url: str = ServerUrl, key: str | None = ServerKey) -> None:
    """Rename a project."""
    call(connect(url, key).projects.update({"project_id": project, "name": name}))
    console.print(f"renamed {project} to {name}", highlight=False)


@app.command("leave")
def leave(project: str, url: str = ServerUrl, key: str | None = ServerKey) -> None:
    """Leave a project (the key's member does); their keys in it stop working."""
    call(connect(url, key).projects.leave(project))
    console.print(f"left {project}", highlight=False)


@app.command("delete")
def delete(project: str, url: str = ServerUrl, key: str | None = ServerKey) -> None:
    """Delete a project (owners only): every key of it stops working at once."""
    call(connect(url, key).projects.delete(project))
    console.print(f"deleted {project}", highlight=False)


@app.command("create")
def create(
    name: str = typer.Argument(..., help="The project's name."),
    owner: str = typer.Option(..., "--owner", help="Email of its owner (created if new)."),
    database_url: str | None = DatabaseUrl,
) -> None:
    """On the database: create a project for a new tenant and print its owner's first key (shown once)."""
    from opengram.accounts.projects import create_project
    from opengram.config import Settings

    async def go(session):
        return await create_project(session, name, owner, starting_credit=Settings().starting_credit)

    project, key, secret = run(database_url, go)
    console.print(
        f"[bold]project[/] {project.project_id}  [bold]owner[/] {owner}  [bold]api_key_id[/] {key.api_key_id}",
        highlight=False,
    )
    print(secret)


@app.command("set")
def set_limits(
    project: str,
    prerecorded: int | None = typer.Option(None, help="Concurrent pre-recorded requests (0 = server default)."),
    streaming: int | None = typer.Option(None, help="Concurrent streams (0 = server default)."),
    tts: int | None = typer.Option(None, help="Concurrent TTS requests (0 = server default)."),
    overage: bool | None = typer.Option(None, "--overage/--no-overage", help="Keep serving when the balance is spent."),
    database_url: str | None = DatabaseUrl,
) -> None:
    """On the database: a project's concurrency limits and overage agreement, shown after the change."""
    from opengram.accounts.projects import live_project

    async def go(session):
        p = await live_project(session, await project_id(session, project))
        for column, value in (("limit_prerecorded", prerecorded), ("limit_streaming", streaming), ("limit_tts", tts)):
            if value is not None:
                setattr(p, column, value or None)
        if overage is not None:
            p.overage = overage
        return p

    p = run(database_url, go)
    limits = "/".join(str(v) if v is not None else "-" for v in (p.limit_prerecorded, p.limit_streaming, p.limit_tts))
    console.print(
        f"{p.project_id} {p.name}: limits (pre/stream/tts) {limits}, overage {'yes' if p.overage else 'no'}",
        highlight=False,
    )

"""`opengram keys`: list, create (the secret is printed once), delete, on a server. `keys create
--database-url` writes a key straight into the database, for when no key works (a lost one)."""

from __future__ import annotations

from datetime import timedelta

import typer
from rich.table import Table

from opengram.commands.common import (
    ProjectOption,
    ServerKey,
    ServerUrl,
    call,
    connect,
    console,
    fail,
    key_project,
    member_of,
    project_id,
    run,
    when,
)

app = typer.Typer(help="API keys.", no_args_is_help=True)


@app.command("list")
def list_keys(
    project: str | None = ProjectOption,
    status: str | None = typer.Option(None, help="active or expired"),
    url: str = ServerUrl,
    key: str | None = ServerKey,
) -> None:
    """A project's keys (never their secrets); members see their own, admins everyone's."""
    client = connect(url, key)

    async def go():
        return await client.keys.list(await key_project(client, project), status=status)

    table = Table("api_key_id", "member", "comment", "scopes", "tags", "created", "expires")
    for entry in call(go())["api_keys"]:
        k, m = entry["api_key"], entry["member"]
        table.add_row(
            k["api_key_id"],
            m["email"],
            k["comment"],
            " ".join(k["scopes"]),
            " ".join(k.get("tags", [])),
            when(k.get("created")),
            when(k.get("expiration_date")),
        )
    console.print(table)


@app.command("create")
def create(
    project: str | None = ProjectOption,
    comment: str = typer.Option("", help="A note to recognise the key by."),
    scope: list[str] = typer.Option(["member"], "--scope", help="Scopes; repeat for several."),
    tag: list[str] = typer.Option([], "--tag", help="Tags; repeat for several."),
    ttl: int | None = typer.Option(None, help="Seconds until the key expires."),
    url: str = ServerUrl,
    key: str | None = ServerKey,
    database_url: str | None = typer.Option(
        None, "--database-url", help="Write the key into this database instead of asking a server (no key needed)."
    ),
    member: str | None = typer.Option(None, help="With --database-url: member id or email (default: the first)."),
) -> None:
    """Create an API key for the key's member and print its secret (shown once)."""
    if database_url:
        return _create_offline(database_url, project, member, comment, scope, tag, ttl)
    client = connect(url, key)

    async def go():
        pid = await key_project(client, project)
        return await client.keys.create(pid, comment, scope, time_to_live_in_seconds=ttl, tags=tag)

    created = call(go())
    console.print(
        f"[bold]api_key_id[/] {created['api_key_id']}  [bold]scopes[/] {' '.join(created['scopes'])}", highlight=False
    )
    print(created["key"])


def _create_offline(database_url, project, member, comment, scope, tag, ttl) -> None:
    from sqlalchemy import select

    from opengram.accounts import scopes
    from opengram.accounts.keys import create_key
    from opengram.accounts.models import Membership
    from opengram.store.orm import utcnow

    unknown = scopes.unknown_scopes(scope)
    if unknown:
        fail(f"unknown scopes: {', '.join(unknown)}")

    async def go(session):
        pid = await project_id(session, project)
        if member is not None:
            owner = (await member_of(session, pid, member))[0].member_id
        else:
            owner = await session.scalar(
                select(Membership.member_id).where(Membership.project_id == pid).order_by(Membership.created)
            )
        expires = utcnow() + timedelta(seconds=ttl) if ttl else None
        return await create_key(
            session, project_id=pid, member_id=owner, comment=comment, scopes=scope, tags=tag, expiration_date=expires
        )

    created, secret = run(database_url, go)
    console.print(f"[bold]api_key_id[/] {created.api_key_id}  [bold]project[/] {created.project_id}", highlight=False)
    print(secret)


@app.command("delete")
def delete(key_id: str, project: str | None = ProjectOption, url: str = ServerUrl, key: str | None = ServerKey) -> None:
    """Delete a key: it fails at once."""
    client = connect(url, key)

    async def go():
        await client.keys.delete(await key_project(client, project), key_id)

    call(go())
    console.print(f"deleted {key_id}", highlight=False)

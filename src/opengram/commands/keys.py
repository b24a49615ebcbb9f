"""`opengram keys`: list, create (the secret is printed once), delete."""

from __future__ import annotations

from datetime import timedelta
from typing import Optional

import typer
from rich.table import Table

from opengram.commands.common import DatabaseUrl, ProjectOption, console, fail, member_of, project_id, run, when

app = typer.Typer(help="API keys.", no_args_is_help=True)


@app.command("list")
def list_keys(
    project: Optional[str] = ProjectOption,
    status: Optional[str] = typer.Option(None, help="active or expired"),
    database_url: Optional[str] = DatabaseUrl,
) -> None:
    """List a project's keys (never their secrets)."""
    from opengram.accounts import keys

    async def go(session):
        return await keys.list_keys(session, await project_id(session, project), status=status)

    table = Table("api_key_id", "member", "comment", "scopes", "tags", "created", "expires")
    for key, member in run(database_url, go):
        table.add_row(key.api_key_id, member.email, key.comment, " ".join(key.scopes), " ".join(key.tags),
                      when(key.created), when(key.expiration_date))  # fmt: skip
    console.print(table)


@app.command("create")
def create(
    project: Optional[str] = ProjectOption,
    member: Optional[str] = typer.Option(None, help="Member id or email (default: the project's first member)."),
    comment: str = typer.Option("", help="A note to recognise the key by."),
    scope: list[str] = typer.Option(["member"], "--scope", help="Scopes; repeat for several."),
    tag: list[str] = typer.Option([], "--tag", help="Tags; repeat for several."),
    ttl: Optional[int] = typer.Option(None, help="Seconds until the key expires."),
    database_url: Optional[str] = DatabaseUrl,
) -> None:
    """Create an API key and print its secret (shown once)."""
    from sqlalchemy import select

    from opengram.accounts import scopes
    from opengram.accounts.keys import create_key
    from opengram.accounts.models import Membership, utcnow

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

    key, secret = run(database_url, go)
    console.print(f"[bold]api_key_id[/] {key.api_key_id}  [bold]project[/] {key.project_id}", highlight=False)
    print(secret)


@app.command("delete")
def delete(key_id: str, database_url: Optional[str] = DatabaseUrl) -> None:
    """Delete a key: it fails at once."""
    from opengram.accounts.models import ApiKey
    from opengram.accounts.keys import delete_key

    async def go(session):
        key = await session.get(ApiKey, key_id)
        if key is None or key.deleted_at is not None:
            fail(f"no such key: {key_id}")
        await delete_key(session, key)

    run(database_url, go)
    console.print(f"deleted {key_id}", highlight=False)

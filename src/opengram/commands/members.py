"""`opengram members`: list, change a role, remove."""

from __future__ import annotations

from typing import Optional

import typer
from rich.table import Table

from opengram.commands.common import DatabaseUrl, ProjectOption, console, fail, member_of, project_id, run, when

app = typer.Typer(help="Project members and their roles.", no_args_is_help=True)


@app.command("list")
def list_members(project: Optional[str] = ProjectOption, database_url: Optional[str] = DatabaseUrl) -> None:
    """List a project's members."""
    from opengram.accounts import members

    async def go(session):
        return await members.list_members(session, await project_id(session, project))

    table = Table("member_id", "email", "name", "scopes", "since")
    for m, ms in run(database_url, go):
        name = " ".join(filter(None, (m.first_name, m.last_name)))
        table.add_row(m.member_id, m.email, name, " ".join(ms.scopes), when(ms.created))
    console.print(table)


@app.command("role")
def role(
    member: str = typer.Argument(..., help="Member id or email."),
    new_role: str = typer.Argument(..., metavar="ROLE", help="member, admin or owner"),
    project: Optional[str] = ProjectOption,
    database_url: Optional[str] = DatabaseUrl,
) -> None:
    """Give a member another role (a project keeps at least one owner)."""
    from opengram.accounts import members, scopes

    if new_role not in scopes.ROLES:
        fail("the role must be member, admin or owner")

    async def go(session):
        _m, membership = await member_of(session, await project_id(session, project), member)
        await members.set_role(session, membership, new_role)

    run(database_url, go)
    console.print(f"{member} is now {new_role}", highlight=False)


@app.command("remove")
def remove(
    member: str = typer.Argument(..., help="Member id or email."),
    project: Optional[str] = ProjectOption,
    database_url: Optional[str] = DatabaseUrl,
) -> None:
    """Remove a member from a project, with their keys in it."""
    from opengram.accounts import members

    async def go(session):
        _m, membership = await member_of(session, await project_id(session, project), member)
        await members.remove_member(session, membership)

    run(database_url, go)
    console.print(f"removed {member}", highlight=False)

"""`opengram members`: list, change a role, remove, on a server."""

from __future__ import annotations

import typer
from rich.table import Table

from opengram.commands.common import ProjectOption, ServerKey, ServerUrl, call, connect, console, fail, key_project

app = typer.Typer(help="Project members and their roles.", no_args_is_help=True)


async def _member_id(client, pid: str, who: str) -> str:
    """A member by id or email."""
    for m in (await client.members.list_members(pid))["members"]:
        if who in (m["member_id"], m["email"]) or who.lower() == m["email"].lower():
            return m["member_id"]
    fail(f"{who} is not a member of project {pid}")


@app.command("list")
def list_members(project: str | None = ProjectOption, url: str = ServerUrl, key: str | None = ServerKey) -> None:
    """List a project's members."""
    client = connect(url, key)

    async def go():
        return await client.members.list_members(await key_project(client, project))

    table = Table("member_id", "email", "name", "scopes")
    for m in call(go())["members"]:
        name = " ".join(filter(None, (m.get("first_name"), m.get("last_name"))))
        table.add_row(m["member_id"], m["email"], name, " ".join(m["scopes"]))
    console.print(table)


@app.command("role")
def role(
    member: str = typer.Argument(..., help="Member id or email."),
    new_role: str = typer.Argument(..., metavar="ROLE", help="member, admin or owner"),
    project: str | None = ProjectOption,
    url: str = ServerUrl,
    key: str | None = ServerKey,
) -> None:
    """Give a member another role (a project keeps at least one owner)."""
    client = connect(url, key)

    async def go():
        pid = await key_project(client, project)
        await client.scopes.update_scope(pid, await _member_id(client, pid, member), new_role)

    call(go())
    console.print(f"{member} is now {new_role}", highlight=False)


@app.command("remove")
def remove(
    member: str = typer.Argument(..., help="Member id or email."),
    project: str | None = ProjectOption,
    url: str = ServerUrl,
    key: str | None = ServerKey,
) -> None:
    """Remove a member from a project, with their keys in it."""
    client = connect(url, key)

    async def go():
        pid = await key_project(client, project)
        await client.members.remove_member(pid, await _member_id(client, pid, member))

    call(go())
    console.print(f"removed {member}", highlight=False)

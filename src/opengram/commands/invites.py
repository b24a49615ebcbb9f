"""`opengram invites`: list, send (prints the token to hand over), delete, and accept."""

from __future__ import annotations

from typing import Optional

import typer
from rich.table import Table

from opengram.commands.common import DatabaseUrl, ProjectOption, console, fail, project_id, run, when

app = typer.Typer(help="Invitations: no mail goes out, the invitee joins with a token.", no_args_is_help=True)


@app.command("list")
def list_invites(project: Optional[str] = ProjectOption, database_url: Optional[str] = DatabaseUrl) -> None:
    """List a project's pending invitations."""
    from opengram.accounts import invites

    async def go(session):
        return await invites.list_invites(session, await project_id(session, project))

    table = Table("email", "scope", "created", "expires")
    for i in run(database_url, go):
        table.add_row(i.email, i.scope, when(i.created), when(i.expires))
    console.print(table)


@app.command("send")
def send(
    email: str,
    scope: str = typer.Option("member", help="member, admin or owner"),
    project: Optional[str] = ProjectOption,
    database_url: Optional[str] = DatabaseUrl,
) -> None:
    """Invite someone and print the token they join with."""
    from opengram.accounts import invites, members, scopes

    if scope not in scopes.ROLES:
        fail("the scope must be member, admin or owner")

    async def go(session):
        pid = await project_id(session, project)
        if await members.is_member(session, pid, email):
            fail(f"{email} is already a member of {pid}")
        return await invites.send_invite(session, pid, email, scope, invited_by=None)

    invite, token = run(database_url, go)
    console.print(f"invited {invite.email} as {invite.scope} to {invite.project_id}; they join with:", highlight=False)
    print(f"opengram invites accept {token}")


@app.command("delete")
def delete(email: str, project: Optional[str] = ProjectOption, database_url: Optional[str] = DatabaseUrl) -> None:
    """Withdraw an invitation."""
    from opengram.accounts import invites

    async def go(session):
        invite = await invites.get_invite(session, await project_id(session, project), email)
        if invite is None:
            fail(f"no invitation for {email}")
        await invites.delete_invite(session, invite)

    run(database_url, go)
    console.print(f"deleted the invitation for {email}", highlight=False)


@app.command("accept")
def accept(
    token: str,
    first_name: Optional[str] = typer.Option(None, help="Your first name, if you are new here."),
    last_name: Optional[str] = typer.Option(None, help="Your last name, if you are new here."),
    database_url: Optional[str] = DatabaseUrl,
) -> None:
    """Join the project of an invitation, and print your first key for it (shown once)."""
    from opengram.accounts import invites

    async def go(session):
        try:
            return await invites.accept_invite(session, token, first_name=first_name, last_name=last_name)
        except invites.InviteError as exc:
            fail(str(exc))

    membership, key, secret = run(database_url, go)
    console.print(
        f"joined project {membership.project_id} as {membership.scopes[0]}  [bold]member[/] {membership.member_id}  "
        f"[bold]api_key_id[/] {key.api_key_id}",
        highlight=False,
    )
    print(secret)

"""`opengram invites`: list, send (prints the token to hand over) and delete on a server; accept a token
on the database (the invitee has no key yet, and Deepgram's API has no such call)."""

from __future__ import annotations

import typer
from rich.table import Table

from opengram.commands.common import (
    DatabaseUrl,
    ProjectOption,
    ServerKey,
    ServerUrl,
    call,
    connect,
    console,
    fail,
    key_project,
    run,
    when,
)

app = typer.Typer(help="Invitations: no mail goes out, the invitee joins with a token.", no_args_is_help=True)


@app.command("list")
def list_invites(project: str | None = ProjectOption, url: str = ServerUrl, key: str | None = ServerKey) -> None:
    """List a project's pending invitations."""
    client = connect(url, key)

    async def go():
        return await client.invitations.list_invitations(await key_project(client, project))

    table = Table("email", "scope", "created", "expires")
    for i in call(go())["invites"]:
        table.add_row(i["email"], i["scope"], when(i.get("created")), when(i.get("expires")))
    console.print(table)


@app.command("send")
def send(
    email: str,
    scope: str = typer.Option("member", help="member, admin or owner"),
    project: str | None = ProjectOption,
    url: str = ServerUrl,
    key: str | None = ServerKey,
) -> None:
    """Invite someone and print the token they join with."""
    client = connect(url, key)

    async def go():
        pid = await key_project(client, project)
        return pid, await client.invitations.send_invitation(pid, {"email": email, "scope": scope})

    pid, sent = call(go())
    console.print(f"invited {email} as {scope} to {pid}; they join with:", highlight=False)
    print(f"opengram invites accept {sent['token']}")


@app.command("delete")
def delete(email: str, project: str | None = ProjectOption, url: str = ServerUrl, key: str | None = ServerKey) -> None:
    """Withdraw an invitation."""
    client = connect(url, key)

    async def go():
        await client.invitations.remove_invitation(await key_project(client, project), email)

    call(go())
    console.print(f"deleted the invitation for {email}", highlight=False)


@app.command("accept")
def accept(
    token: str,
    first_name: str | None = typer.Option(None, help="Your first name, if you are new here."),
    last_name: str | None = typer.Option(None, help="Your last name, if you are new here."),
    database_url: str | None = DatabaseUrl,
) -> None:
    """On the database: join the project of an invitation, and print your first key for it (shown once)."""
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

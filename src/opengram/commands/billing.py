"""`opengram billing`: a project's balances from a server; credit one on the database (a purchase: no
API does that)."""

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
    key_project,
    project_id,
    run,
)

app = typer.Typer(help="Balances and purchases.", no_args_is_help=True)


@app.command("credit")
def credit(
    amount: float = typer.Argument(..., help="USD to add."),
    project: str | None = ProjectOption,
    order_type: str = typer.Option("prepaid", help="What kind of order this is."),
    database_url: str | None = DatabaseUrl,
) -> None:
    """On the database: record a purchase that opens a balance. A project with balances stops at zero
    unless it has overage (`opengram projects set PROJECT --overage`)."""
    from opengram.accounts.billing import add_credit

    async def go(session):
        return await add_credit(session, await project_id(session, project), amount, order_type=order_type)

    purchase, balance = run(database_url, go)
    console.print(
        f"[bold]balance[/] {balance.balance_id}  [bold]order[/] {purchase.order_id}  {amount:.2f} usd", highlight=False
    )


@app.command("balances")
def balances(project: str | None = ProjectOption, url: str = ServerUrl, key: str | None = ServerKey) -> None:
    """A project's balances (admins and owners)."""
    client = connect(url, key)

    async def go():
        return await client.billing.list_balance(await key_project(client, project))

    table = Table("balance_id", "amount", "units", "purchase_order_id")
    for b in call(go())["balances"]:
        table.add_row(b["balance_id"], f"{b['amount']:.4f}", b["units"], b.get("purchase_order_id") or "")
    console.print(table)

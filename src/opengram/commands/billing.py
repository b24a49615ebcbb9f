"""`opengram billing`: credit a project, and show its balances."""

from __future__ import annotations

from typing import Optional

import typer
from rich.table import Table

from opengram.commands.common import DatabaseUrl, ProjectOption, console, project_id, run, when

app = typer.Typer(help="Balances and purchases.", no_args_is_help=True)


@app.command("credit")
def credit(
    amount: float = typer.Argument(..., help="USD to add."),
    project: Optional[str] = ProjectOption,
    order_type: str = typer.Option("prepaid", help="What kind of order this is."),
    database_url: Optional[str] = DatabaseUrl,
) -> None:
    """Record a purchase that opens a balance. A project with balances stops at zero unless it has overage
    (`opengram projects set PROJECT --overage`)."""
    from opengram.accounts.billing import add_credit

    async def go(session):
        return await add_credit(session, await project_id(session, project), amount, order_type=order_type)

    purchase, balance = run(database_url, go)
    console.print(f"[bold]balance[/] {balance.balance_id}  [bold]order[/] {purchase.order_id}  {amount:.2f} usd", highlight=False)


@app.command("balances")
def balances(project: Optional[str] = ProjectOption, database_url: Optional[str] = DatabaseUrl) -> None:
    """A project's balances."""
    from opengram.accounts.billing import list_balances

    async def go(session):
        return await list_balances(session, await project_id(session, project))

    table = Table("balance_id", "amount", "units", "purchase_order_id", "created")
    for b in run(database_url, go):
        table.add_row(b.balance_id, f"{b.amount:.4f}", b.units, b.purchase_order_id or "", when(b.created))
    console.print(table)

"""Prices, balances and purchases.

Each request costs its audio minutes times its model's price per minute (`OPENGRAM_PRICES`, empty by
default: everything is free and nothing draws down). An operator credits a project with a purchase, which
opens a balance; requests draw balances down, oldest first. A project that has balances, no overage
agreement and nothing left is refused with 402 before any work is done. Projects without balances are
never refused.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from opengram.accounts.models import Balance, Project, Purchase, utcnow


class Pricing:
    """Prices in USD per audio minute, by model name; `*` is the price of any other model."""

    def __init__(self, per_minute: dict[str, float] | None = None):
        self.per_minute = {k.strip().lower(): float(v) for k, v in (per_minute or {}).items()}

    def price(self, model: str | None) -> float:
        # `nova-3-phonecall` falls back to `nova-3`, then `nova`, then `*`.
        name = (model or "").strip().lower()
        while name:
            if name in self.per_minute:
                return self.per_minute[name]
            name = name.rsplit("-", 1)[0] if "-" in name else ""
        return self.per_minute.get("*", 0.0)

    def cost(self, model: str | None, seconds: float) -> float:
        return round(self.price(model) * max(seconds, 0.0) / 60.0, 8)


async def has_credit(session: AsyncSession, project: Project) -> bool:
    """False only for a project with balances, none of them positive, and no overage agreement."""
    if project.overage:
        return True
    count, positive = (
        await session.execute(
            select(func.count(Balance.balance_id), func.count(Balance.balance_id).filter(Balance.amount > 0))
            .where(Balance.project_id == project.project_id)
        )
    ).one()  # fmt: skip
    return count == 0 or positive > 0


async def draw_down(session: AsyncSession, project_id: str, usd: float) -> None:
    """Take `usd` from the project's balances, oldest first; what no balance covers (overage, or a request
    that cost more than was left) takes the newest one below zero. Updates are relative, so concurrent
    requests never lose each other's draw-downs."""
    if usd <= 0:
        return
    balances = (
        await session.execute(
            select(Balance.balance_id, Balance.amount)
            .where(Balance.project_id == project_id)
            .order_by(Balance.created, Balance.balance_id)
        )
    ).all()
    if not balances:
        return
    left = usd
    for balance_id, amount in balances:
        take = min(left, amount) if amount > 0 else 0.0
        if take > 0:
            await session.execute(
                update(Balance).where(Balance.balance_id == balance_id).values(amount=Balance.amount - take)
            )
            left -= take
        if left <= 0:
            return
    await session.execute(
        update(Balance).where(Balance.balance_id == balances[-1][0]).values(amount=Balance.amount - left)
    )


async def add_credit(
    session: AsyncSession,
    project_id: str,
    amount: float,
    *,
    units: str = "usd",
    order_type: str = "prepaid",
    expiration: datetime | None = None,
) -> tuple[Purchase, Balance]:
    """Record a purchase and open the balance it pays for."""
    now = utcnow()
    purchase = Purchase(
        project_id=project_id, amount=amount, units=units, order_type=order_type, created=now, expiration=expiration
    )
    session.add(purchase)
    await session.flush()
    balance = Balance(
        project_id=project_id, amount=amount, units=units, purchase_order_id=purchase.order_id, created=now
    )
    session.add(balance)
    await session.flush()
    return purchase, balance


async def list_balances(session: AsyncSession, project_id: str) -> list[Balance]:
    rows = await session.scalars(
        select(Balance).where(Balance.project_id == project_id).order_by(Balance.created, Balance.balance_id)
    )
    return list(rows)


async def get_balance(session: AsyncSession, project_id: str, balance_id: str) -> Balance | None:
    return await session.scalar(
        select(Balance).where(Balance.project_id == project_id, Balance.balance_id == balance_id)
    )


async def list_purchases(session: AsyncSession, project_id: str, limit: int) -> list[Purchase]:
    rows = await session.scalars(
        select(Purchase)
        .where(Purchase.project_id == project_id)
        .order_by(Purchase.created.desc(), Purchase.order_id)
        .limit(limit)
    )
    return list(rows)

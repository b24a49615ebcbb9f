"""Prices, balances and purchases.

Each request costs its audio minutes times its model's price per minute (`OPENGRAM_PRICES`), and speech its
characters at the voice's price per 1000 (`OPENGRAM_TTS_PRICES`); both are empty by default: everything is
free and nothing draws down. Every project has one balance, opened at zero when the
project is created; a starting credit (`OPENGRAM_STARTING_CREDIT`) and an operator's purchases add to it,
and requests draw it down. A project that was credited, has nothing left and no overage agreement is
refused with 402 before any work is done; a project never credited is never refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from opengram.accounts.models import BILLING_UNITS, Balance, Project, Purchase, RequestLog
from opengram.store.orm import utcnow


class PriceList:
    """Prices in USD per unit (an audio minute, 1000 characters) by model name; `*` is any other model's."""

    def __init__(self, prices: dict[str, float] | None = None):
        self.prices = {k.strip().lower(): float(v) for k, v in (prices or {}).items()}

    def price(self, model: str | None) -> float:
        # `nova-3-phonecall` falls back to `nova-3`, then `nova`, then `*`.
        name = (model or "").strip().lower()
        while name:
            if name in self.prices:
                return self.prices[name]
            name = name.rsplit("-", 1)[0] if "-" in name else ""
        return self.prices.get("*", 0.0)


@dataclass(frozen=True)
class Pricing:
    """What a request costs: its audio minutes at `audio` prices (`OPENGRAM_PRICES`; listen, read), or for
    speech its characters at `speech` prices per 1000 (`OPENGRAM_TTS_PRICES`). Failed requests cost nothing."""

    audio: PriceList = field(default_factory=PriceList)
    speech: PriceList = field(default_factory=PriceList)

    def cost(self, row: RequestLog) -> float:
        if row.code is None or row.code >= 300:
            return 0.0
        if row.endpoint == "speak":
            return round(self.speech.price(row.model) * max(row.characters or 0, 0) / 1000.0, 8)
        return round(self.audio.price(row.model) * max(row.duration or 0.0, 0.0) / 60.0, 8)


async def has_credit(session: AsyncSession, project: Project) -> bool:
    """False only for a project that was credited (a purchase or a starting credit), has nothing left and no
    overage agreement. A project never credited runs free, as every project did before balances."""
    if project.overage:
        return True
    amount = await session.scalar(select(Balance.amount).where(Balance.project_id == project.project_id))
    if amount is None or amount > 0:
        return True
    credited = await session.scalar(
        select(func.count(Purchase.order_id)).where(Purchase.project_id == project.project_id)
    )
    return not credited


async def draw_down(session: AsyncSession, project_id: str, usd: float) -> None:
    """Take `usd` from the project's balance; with an overage agreement (or a request that cost more than
    was left) it goes below zero. The update is relative, so concurrent requests never lose each other's."""
    if usd > 0:
        await session.execute(
            update(Balance).where(Balance.project_id == project_id).values(amount=Balance.amount - usd)
        )


async def add_credit(
    session: AsyncSession,
    project_id: str,
    amount: float,
    *,
    order_type: str = "prepaid",
    expiration: datetime | None = None,
) -> tuple[Purchase, Balance]:
    """Record a purchase and add it to the project's balance (which then names it as its latest order)."""
    purchase = Purchase(
        project_id=project_id,
        amount=amount,
        units=BILLING_UNITS,
        order_type=order_type,
        created=utcnow(),
        expiration=expiration,
    )
    session.add(purchase)
    await session.flush()
    await session.execute(
        update(Balance)
        .where(Balance.project_id == project_id)
        .values(amount=Balance.amount + amount, purchase_order_id=purchase.order_id)
    )
    balance = await session.scalar(
        select(Balance).where(Balance.project_id == project_id).execution_options(populate_existing=True)
    )
    assert balance is not None  # opened with the project (models._open_balance)
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

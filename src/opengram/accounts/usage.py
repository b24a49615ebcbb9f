"""The request log: one row per request, written in the transaction that produces its result.

A successful request is priced (the `Pricing` the server put in `session.info["pricing"]`) and its cost
drawn from the project's balances in that same transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from opengram.accounts.billing import Pricing, draw_down
from opengram.accounts.models import RequestLog
from opengram.store.orm import utcnow

if TYPE_CHECKING:
    from opengram.accounts.keys import Principal


def open_row(request_id: str, caller: Principal, *, path: str, endpoint: str, method: str, **fields: Any) -> RequestLog:
    """The log row of `caller`'s request, begun now; `record_request` completes and writes it."""
    return RequestLog(
        request_id=request_id,
        project_id=caller.project_id,
        api_key_id=caller.api_key_id,
        path=path,
        endpoint=endpoint,
        method=method,
        created=utcnow(),
        **fields,
    )


async def record_request(session: AsyncSession, row: RequestLog) -> None:
    if row.completed is None:
        row.completed = utcnow()
    pricing: Pricing | None = session.info.get("pricing")
    if row.usd is None:
        succeeded = row.code is not None and row.code < 300
        row.usd = pricing.cost(row.model, row.duration or 0.0) if pricing and succeeded else 0.0
    session.add(row)
    await session.flush()
    await draw_down(session, row.project_id, row.usd)

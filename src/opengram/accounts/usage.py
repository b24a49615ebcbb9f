"""The request log: one row per request, written in the transaction that produces its result."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from opengram.accounts.models import RequestLog, utcnow


async def record_request(session: AsyncSession, row: RequestLog) -> None:
    if row.completed is None:
        row.completed = utcnow()
    session.add(row)
    await session.flush()

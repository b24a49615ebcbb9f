"""The request log: one row per request, written once, in the transaction that produces its result.

`RequestRecord` is the row of one request from the moment it is admitted until it is written: the route
fills in what is its own (model, features, audio seconds, characters, tokens), and the record writes itself
when the request ends, as a success (200 unless the route set another code) or as the failure that ended
it. A request accepted for later (`callback=`) hands its record over: the job worker writes the row with the
result. A successful request is priced (`Pricing`, given explicitly) and its cost drawn from the project's
balance in the same transaction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from opengram.accounts.billing import Pricing, draw_down
from opengram.accounts.keys import Principal
from opengram.accounts.models import RequestLog
from opengram.errors import DeepgramError, InternalError
from opengram.store.orm import utcnow


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


async def record_request(session: AsyncSession, row: RequestLog, pricing: Pricing) -> None:
    """Complete `row` (its end, its cost) and write it, drawing the cost from the project's balance."""
    if row.completed is None:
        row.completed = utcnow()
    if row.usd is None:
        row.usd = pricing.cost(row)
    session.add(row)
    await session.flush()
    await draw_down(session, row.project_id, row.usd)


class RequestRecord:
    """The request-log row of one admitted request, written exactly once (see the module's docstring)."""

    def __init__(self, row: RequestLog, sessions: async_sessionmaker[AsyncSession], pricing: Pricing):
        self.row = row
        self._sessions = sessions
        self._pricing = pricing
        self._closed = False  # written, or being written
        self._handed_over = False
        self._deferred: Callable[[], Awaitable[object]] | None = None

    @classmethod
    def open(
        cls,
        sessions: async_sessionmaker[AsyncSession],
        pricing: Pricing,
        request_id: str,
        caller: Principal,
        *,
        path: str,
        endpoint: str,
        method: str,
        **fields: Any,
    ) -> RequestRecord:
        return cls(
            open_row(request_id, caller, path=path, endpoint=endpoint, method=method, **fields), sessions, pricing
        )

    @property
    def pending(self) -> bool:
        """Whether the row is still this request's to write."""
        return not (self._closed or self._handed_over)

    def update(self, **fields: Any) -> None:
        """Set columns of the row (`model`, `features`, `tags`, `config`... as options' `log_fields()` give them)."""
        for name, value in fields.items():
            setattr(self.row, name, value)

    def asynchronous(self, callback: str) -> None:
        """The request asked for a callback: it is logged as `async`, with its callback URL."""
        self.row.method, self.row.callback = "async", callback

    def failed(self, error: DeepgramError) -> None:
        self.row.code, self.row.message = error.status, error.message

    def hand_over(self) -> None:
        """The request was accepted as a job: the job worker writes its row, with its result."""
        self._handed_over = True

    def defer(self, finish: Callable[[], Awaitable[object]]) -> None:
        """The response outlives the route (audio streamed out): its end closes the record. `finish` ends the
        response where it stands (an async generator's `aclose`); the record's final block calls it first,
        so a response the client abandoned still closes the record as its own code says."""
        self._deferred = finish

    async def save(self) -> None:
        """Write the row now, in a transaction of its own."""
        self._closed = True  # before the first await: whoever closes first writes, once
        async with self._sessions.begin() as session:
            await record_request(session, self.row, self._pricing)

    async def close(self, error: BaseException | None = None) -> None:
        """The request ended, by `error` or normally; write the row unless it was written or handed over."""
        if not self.pending:
            return
        if error is not None:
            self.failed(error if isinstance(error, DeepgramError) else InternalError())
        elif self.row.code is None:
            self.row.code = 200
        await self.save()

    @asynccontextmanager
    async def closing(self, *, final: bool = True) -> AsyncIterator[RequestRecord]:
        """Close the record when the block ends, with the exception that ends it if any. `final=False` is the
        route's own block, which leaves a deferred record open for its response to close."""
        try:
            yield self
        except Exception as exc:
            if final and self._deferred is not None:
                await self._deferred()
            await self.close(exc)
            raise
        if final and self._deferred is not None:
            await self._deferred()
        if final or self._deferred is None:
            await self.close()

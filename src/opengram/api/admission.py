"""Admission to inference endpoints: who is calling (key or temporary token), whether they may
(`usage:write`), whether their project can pay (402), and a concurrency slot (429) held until the request is
done; and the request's log row (`accounts.usage.RequestRecord`), opened here so that no route can forget it.

    @router.post("/v1/listen")
    async def listen(request: Request, admitted: Admitted = admitted("prerecorded")):
        admitted.record.update(model=...)  # the route states what is its own

A refused request (402, 429) leaves its row at once. An admitted one leaves it when the route returns (200
unless the route set another code) or raises (the error's status and message); unless the route hands it
over to a job (`callback=`), or defers it to the end of a streamed response. WebSocket routes take the same
admission through `api.handshake.admit`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from starlette.requests import HTTPConnection

from opengram.accounts import billing, scopes
from opengram.accounts.keys import Principal
from opengram.accounts.models import Project
from opengram.accounts.usage import RequestRecord
from opengram.api.context import request_id
from opengram.api.deps import inference_principal
from opengram.api.services import Services, services
from opengram.errors import DeepgramError, InsufficientPermissions, PaymentRequired
from opengram.jobs.accept import Accepted, Upload

# kind -> (the permission table's endpoint, the request log's endpoint, the project's limit column)
KINDS = {
    "prerecorded": ("listen", "listen", "limit_prerecorded"),
    "streaming": ("listen", "listen", "limit_streaming"),
    "flux": ("listen", "listen", "limit_streaming"),  # Flux's own pool (/v2/listen), under the streaming limit
    "tts": ("speak", "speak", "limit_tts"),
    "read": ("read", "read", "limit_prerecorded"),
}

Authenticate = Callable[..., Awaitable[Principal]]  # (connection, services) -> the caller, or 401


@dataclass(frozen=True)
class Admitted:
    caller: Principal
    record: RequestRecord  # the request's log row


def _open(conn: HTTPConnection, services: Services, caller: Principal, kind: str, **fields: Any) -> RequestRecord:
    """The row of `caller`'s request to `conn`: its path, and the request log's endpoint of `kind`."""
    _, endpoint, _ = KINDS[kind]
    method = "streaming" if conn.scope["type"] == "websocket" else "sync"
    fields = {"method": method, **fields}
    return RequestRecord.open(
        services.sessions, services.pricing, request_id(conn), caller, path=conn.url.path, endpoint=endpoint, **fields
    )


async def _refuse(conn: HTTPConnection, services: Services, caller: Principal, kind: str, error: DeepgramError) -> None:
    callback = conn.query_params.get("callback")
    record = _open(conn, services, caller, kind, callback=callback)
    if callback and conn.scope["type"] != "websocket":
        record.asynchronous(callback)
    record.failed(error)
    await record.save()
    raise error


@asynccontextmanager
async def admission(conn: HTTPConnection, services: Services, caller: Principal, kind: str) -> AsyncIterator[Admitted]:
    """Admit `caller` to an endpoint of `kind`, or raise (401 permissions; 402 and 429, their rows written).
    While admitted the caller holds a slot of its project's limit; when the block ends the request's row
    is written if it still is the request's to write (with the exception that ended the block, if any)."""
    permission_endpoint, _, limit_column = KINDS[kind]
    if not scopes.allows(caller.permissions, permission_endpoint):
        raise InsufficientPermissions()
    async with services.sessions() as session:
        project = await session.get(Project, caller.project_id)
        can_pay = project is not None and await billing.has_credit(session, project)
    if not can_pay:
        await _refuse(conn, services, caller, kind, PaymentRequired())
    try:
        services.limits.acquire(caller.project_id, kind, getattr(project, limit_column))
    except DeepgramError as error:
        await _refuse(conn, services, caller, kind, error)
    try:
        with ExitStack() as server:
            if kind in ("streaming", "flux"):  # and the server's own live capacity (speech/live/capacity.py)
                try:
                    server.enter_context(services.capacity.admit())
                except DeepgramError as error:
                    await _refuse(conn, services, caller, kind, error)
            record = _open(conn, services, caller, kind)
            async with record.closing():
                yield Admitted(caller, record)
    finally:
        services.limits.release(caller.project_id, kind)


def admitted(kind: str, authenticate: Authenticate = inference_principal) -> Any:
    """The admission of an HTTP route, as its dependency. `authenticate` says who is calling (the legacy /v2
    API passes its Basic-auth dependency). The slot is held until the response has been sent (a streamed
    one too); the row is written as the route returns or raises, before the response goes out."""

    async def for_the_request(
        conn: HTTPConnection, caller: Principal = Depends(authenticate), services: Services = Depends(services)
    ) -> AsyncIterator[Admitted]:
        async with admission(conn, services, caller, kind) as admitted:
            yield admitted

    async def for_the_route(admitted: Admitted = Depends(for_the_request)) -> AsyncIterator[Admitted]:
        async with admitted.record.closing(final=False):
            yield admitted

    return Depends(for_the_route, scope="function")


async def accept_job(
    request: Request,
    admitted: Admitted,
    services: Services,
    callback: str,
    callback_method: str,
    *,
    path: str,
    params: list[tuple[str, str]] | None = None,
    url: str | None = None,
    upload: Upload | None = None,
    text: str | None = None,
) -> JSONResponse:
    """`callback=`: keep the request's job (its input on disk first; `params`, the query by default, are
    parsed again by its runner), hand its row over to the job, and answer `{"request_id"}` at once."""
    rid = request_id(request)
    query = request.query_params.multi_items() if params is None else params
    accepted = Accepted(admitted.caller, rid, query, path, callback, callback_method, url, upload, text)
    await services.jobs.enqueue(accepted)
    admitted.record.hand_over()  # its row comes with the job's result
    return JSONResponse({"request_id": rid})

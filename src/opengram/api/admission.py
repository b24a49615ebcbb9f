"""Admission to inference endpoints, as one dependency: who is calling (key or temporary token), whether
they may (`usage:write`), whether their project can pay (402), and a concurrency slot (429) held until
the request is done.

    @router.post("/v1/listen")
    async def listen(request: Request, caller: Principal = Depends(admitted("prerecorded"))): ...

Works on WebSocket routes alike. A refused request still leaves its row in the request log.
"""

from __future__ import annotations

from typing import AsyncIterator, Awaitable, Callable

from fastapi import Depends
from starlette.requests import HTTPConnection

from opengram.accounts import billing, scopes
from opengram.accounts.keys import Principal
from opengram.accounts.limits import ConcurrencyLimits
from opengram.accounts.models import Project
from opengram.accounts.usage import open_row, record_request
from opengram.api.deps import inference_principal
from opengram.errors import DeepgramError, InsufficientPermissions, PaymentRequired

# kind -> (the permission table's endpoint, the request log's endpoint, the project's limit column)
KINDS = {
    "prerecorded": ("listen", "listen", "limit_prerecorded"),
    "streaming": ("listen", "listen", "limit_streaming"),
    "flux": ("listen", "listen", "limit_streaming"),  # Flux's own pool (/v2/listen), under the streaming limit
    "tts": ("speak", "speak", "limit_tts"),
    "read": ("read", "read", "limit_prerecorded"),
}


async def _refuse(conn: HTTPConnection, caller: Principal, kind: str, error: DeepgramError) -> None:
    _, endpoint, _ = KINDS[kind]
    callback = conn.query_params.get("callback")
    row = open_row(
        conn.scope["state"]["request_id"],
        caller,
        path=conn.url.path,
        endpoint=endpoint,
        method="streaming" if conn.scope["type"] == "websocket" else ("async" if callback else "sync"),
        code=error.status,
        message=error.message,
        callback=callback,
    )
    async with conn.app.state.sessions.begin() as session:
        await record_request(session, row)
    raise error


def admitted(
    kind: str, authenticate: Callable[[HTTPConnection], Awaitable[Principal]] = inference_principal
) -> Callable[..., AsyncIterator[Principal]]:
    """`authenticate` says who is calling (the legacy /v2 API passes its Basic-auth dependency)."""
    permission_endpoint, _, limit_column = KINDS[kind]

    async def admit(conn: HTTPConnection, caller: Principal = Depends(authenticate)) -> AsyncIterator[Principal]:
        if not scopes.allows(caller.permissions, permission_endpoint):
            raise InsufficientPermissions()
        async with conn.app.state.sessions() as session:
            project = await session.get(Project, caller.project_id)
            can_pay = project is not None and await billing.has_credit(session, project)
        if not can_pay:
            await _refuse(conn, caller, kind, PaymentRequired())
        limits: ConcurrencyLimits = conn.app.state.limits
        try:
            limits.acquire(caller.project_id, kind, getattr(project, limit_column))
        except DeepgramError as error:
            await _refuse(conn, caller, kind, error)
        try:
            yield caller
        finally:
            limits.release(caller.project_id, kind)

    return admit

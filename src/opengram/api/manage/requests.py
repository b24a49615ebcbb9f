"""The request log (spec 8.6, seed 000): list with filters and pages, and get one."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession

from opengram.accounts import requests as log
from opengram.accounts.keys import Principal
from opengram.accounts.models import RequestLog
from opengram.accounts.requests import RequestFilter
from opengram.api.manage.access import db_session, project_access
from opengram.api.manage.wire import iso, parse_when
from opengram.errors import InvalidQueryParameter, NotFound

router = APIRouter(tags=["usage"])

Deployment = Literal["hosted", "beta", "self-hosted"]
Endpoint = Literal["listen", "read", "speak", "agent"]
Method = Literal["sync", "async", "streaming"]


def request_body(row: RequestLog) -> dict[str, Any]:
    """One logged request, with both the spec's fields and the `accessor`/`response.details` of older SDKs."""
    response: dict[str, Any] = {
        "details": {
            "usd": row.usd,
            "duration": row.duration,
            "total_audio": row.duration * max(row.channels, 1),
            "channels": row.channels,
            "streams": row.streams,
            "method": row.method,
            "models": list(row.models),
            "model": row.model,
            "tier": None,
            "tags": list(row.tags),
            "features": list(row.features),
            "config": dict(row.config),
        },
        "code": row.code,
        "completed": iso(row.completed),
    }
    if row.message:
        response["message"] = row.message
    if row.endpoint == "speak":
        response["tts_details"] = {"characters": row.characters, "model": row.model}
    return {
        "request_id": row.request_id,
        "project_uuid": row.project_id,
        "created": iso(row.created),
        "path": row.path,
        "api_key_id": row.api_key_id,
        "accessor": row.api_key_id,
        "response": response,
        "code": row.code,
        "deployment": row.deployment,
        # The spec's string; older SDKs typed an object here (spec 12.3).
        "callback": row.callback,
        "endpoint": row.endpoint,
        "method": row.method,
    }


def _whole(name: str, value: float | None, default: int, low: int, high: int | None) -> int:
    # The SDK types `limit` and `page` as floats, so `10.0` may arrive.
    if value is None:
        return default
    if not float(value).is_integer() or value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise InvalidQueryParameter(f"`{name}` must be a whole number {bounds}, got {value}")
    return int(value)


@router.get("/v1/projects/{project_id}/requests")
async def list_requests(
    start: str | None = None,
    end: str | None = None,
    limit: float | None = None,
    page: float | None = None,
    accessor: str | None = None,
    request_id: str | None = None,
    deployment: Deployment | None = None,
    endpoint: Endpoint | None = None,
    method: Method | None = None,
    status: Literal["succeeded", "failed"] | None = None,
    caller: Principal = Depends(project_access("requests.list")),
    session: AsyncSession = db_session,
) -> dict[str, Any]:
    size = _whole("limit", limit, 10, 1, 1000)
    index = _whole("page", page, 0, 0, None)
    where = RequestFilter(
        start=parse_when("start", start),
        end=parse_when("end", end, end=True),
        accessor=accessor,
        request_id=request_id,
        deployment=deployment,
        endpoint=endpoint,
        method=method,
        status=status,
    )
    rows = await log.list_requests(session, caller.project_id, where, limit=size, page=index)
    return {"page": index, "limit": size, "requests": [request_body(r) for r in rows]}


@router.get("/v1/projects/{project_id}/requests/{request_id}")
async def get_request(
    request_id: str, caller: Principal = Depends(project_access("requests.get")), session: AsyncSession = db_session
) -> dict[str, Any]:
    row = await log.get_request(session, caller.project_id, request_id)
    if row is None:
        raise NotFound("A request")
    body = request_body(row)
    # Flat for older SDKs and seed 001, and under `request` as the spec has it (spec 12.2).
    return {**body, "request": body}

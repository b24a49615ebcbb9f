"""Usage reports (spec 8.6): summary, fields and breakdown, with every filter. Hours and requests count
successful requests, summed per time bucket (`resolution`: `hour`, `day` (default) or `month`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from opengram.accounts import projects, reports
from opengram.accounts.keys import Principal
from opengram.accounts.requests import FEATURE_FILTERS, RequestFilter
from opengram.api.manage.access import db_session, project_access
from opengram.api.manage.wire import parse_when
from opengram.api.services import Services, services
from opengram.errors import InvalidQueryParameter, ProjectNotFound

router = APIRouter(tags=["usage"])

Resolution = Literal["hour", "day", "month"]
Grouping = Literal["accessor", "endpoint", "feature_set", "models", "method", "tags", "deployment"]


def _bool(name: str, raw: str) -> bool:
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise InvalidQueryParameter(f"invalid value for `{name}`: {raw!r}")


def usage_filter(
    request: Request,
    start: str | None = None,
    end: str | None = None,
    accessor: str | None = None,
    tag: list[str] = Query(default=[]),
    deployment: Literal["hosted", "beta", "self-hosted"] | None = None,
    endpoint: Literal["listen", "read", "speak", "agent"] | None = None,
    method: Literal["sync", "async", "streaming"] | None = None,
    model: str | None = None,
) -> RequestFilter:
    """The filters of /usage and /usage/breakdown; the boolean feature filters are read by name."""
    features = {name: _bool(name, value) for name, value in request.query_params.items() if name in FEATURE_FILTERS}
    return RequestFilter(
        start=parse_when("start", start),
        end=parse_when("end", end, end=True),
        accessor=accessor,
        tag=tag,
        deployment=deployment,
        endpoint=endpoint,
        method=method,
        model=model,
        features=features,
        only_succeeded=True,
    )


async def report_range(session: AsyncSession, caller: Principal, where: RequestFilter) -> tuple[str, str]:
    """The dates a report covers, filling in defaults: from the project's creation to today."""
    project = await projects.live_project(session, caller.project_id)
    if project is None:
        raise ProjectNotFound()
    first = (where.start or project.created).astimezone(UTC).date()
    last = (where.end - timedelta(microseconds=1)) if where.end else datetime.now(UTC)
    return first.isoformat(), last.astimezone(UTC).date().isoformat()


def _hours(seconds: float) -> float:
    return round(seconds / 3600.0, 6)


@router.get("/v1/projects/{project_id}/usage")
async def usage_summary(
    resolution: Resolution = "day",
    where: RequestFilter = Depends(usage_filter),
    caller: Principal = Depends(project_access("usage.get")),
    session: AsyncSession = db_session,
) -> dict[str, Any]:
    first, last = await report_range(session, caller, where)
    buckets = await reports.aggregate(session, caller.project_id, where, resolution=resolution, groups=[])
    results = []
    for (label,), t in sorted(buckets.items()):
        b_start, b_end = reports.bucket_bounds(label, resolution)
        results.append(
            {
                "start": b_start,
                "end": b_end,
                "hours": _hours(t.seconds),
                "total_hours": _hours(t.total_seconds),
                "requests": t.requests,
                "tokens": {"in": t.tokens_in, "out": t.tokens_out},
                "tts": {"characters": t.tts_characters, "requests": t.tts_requests},
            }
        )
    return {"start": first, "end": last, "resolution": {"units": resolution, "amount": 1}, "results": results}


@router.get("/v1/projects/{project_id}/usage/fields")
async def usage_fields(
    start: str | None = None,
    end: str | None = None,
    caller: Principal = Depends(project_access("usage.fields")),
    session: AsyncSession = db_session,
    services: Services = Depends(services),
) -> dict[str, Any]:
    where = RequestFilter(start=parse_when("start", start), end=parse_when("end", end, end=True))
    found = await reports.fields(session, caller.project_id, where)
    specs = {s.uuid: s for s in services.registry.specs}
    models = []
    for model_id in found.models:
        spec = specs.get(model_id)
        models.append(
            {
                "name": spec.key if spec else model_id,
                "language": ("multi" if "*" in spec.languages else spec.languages[0]) if spec else None,
                "version": spec.version if spec else None,
                "model_id": model_id,
            }
        )
    return {
        "tags": found.tags,
        "models": models,
        "processing_methods": found.methods,
        "features": found.features,
        "languages": found.languages,
    }


_GROUPING_KEYS = ("start", "end", "accessor", "endpoint", "feature_set", "models", "method", "tags", "deployment")


@router.get("/v1/projects/{project_id}/usage/breakdown")
async def usage_breakdown(
    grouping: Grouping | None = None,
    resolution: Resolution = "day",
    where: RequestFilter = Depends(usage_filter),
    caller: Principal = Depends(project_access("usage.breakdown")),
    session: AsyncSession = db_session,
) -> dict[str, Any]:
    first, last = await report_range(session, caller, where)
    groups = [grouping] if grouping else []
    buckets = await reports.aggregate(session, caller.project_id, where, resolution=resolution, groups=groups)
    results = []
    for key, t in sorted(buckets.items(), key=lambda kv: tuple(str(k) for k in kv[0])):
        b_start, b_end = reports.bucket_bounds(key[0], resolution)
        group: dict[str, Any] = dict.fromkeys(_GROUPING_KEYS)
        group.update(start=b_start, end=b_end)
        if grouping:
            value = key[1]
            group[grouping] = list(value) if isinstance(value, tuple) else value
        results.append(
            {
                "hours": _hours(t.seconds),
                "total_hours": _hours(t.total_seconds),
                "agent_hours": _hours(t.agent_seconds),
                "tokens_in": t.tokens_in,
                "tokens_out": t.tokens_out,
                "tts_characters": t.tts_characters,
                "requests": t.requests,
                "grouping": group,
            }
        )
    return {"start": first, "end": last, "resolution": {"units": resolution, "amount": 1}, "results": results}

"""Balances, billing breakdown and fields, purchases (spec 8.7)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from opengram.accounts import billing, reports
from opengram.accounts.keys import Principal
from opengram.accounts.models import Balance, RequestLog
from opengram.accounts.requests import RequestFilter
from opengram.api.manage.access import db_session, project_access
from opengram.api.manage.usage import Resolution, report_range
from opengram.api.manage.wire import iso, parse_when
from opengram.errors import InvalidQueryParameter, NotFound

router = APIRouter(tags=["billing"])

BillingGrouping = Literal["accessor", "deployment", "line_item", "tags"]


def balance_body(b: Balance) -> dict[str, Any]:
    # `purchase_order_id` today, `purchase` in older clients (spec 12.4): both.
    return {
        "balance_id": b.balance_id,
        "amount": round(b.amount, 6),
        "units": b.units,
        "purchase_order_id": b.purchase_order_id,
        "purchase": b.purchase_order_id,
    }


@router.get("/v1/projects/{project_id}/balances")
async def list_balances(
    caller: Principal = Depends(project_access("balances.list")), session: AsyncSession = db_session
) -> dict[str, Any]:
    return {"balances": [balance_body(b) for b in await billing.list_balances(session, caller.project_id)]}


@router.get("/v1/projects/{project_id}/balances/{balance_id}")
async def get_balance(
    balance_id: str, caller: Principal = Depends(project_access("balances.get")), session: AsyncSession = db_session
) -> dict[str, Any]:
    found = await billing.get_balance(session, caller.project_id, balance_id)
    if found is None:
        raise NotFound("A balance")
    return balance_body(found)


def _line_item_filter(line_item: str) -> list[ColumnElement[bool]]:
    """`prerecorded::nova-3` as SQL conditions on the request log."""
    kind, sep, model = line_item.partition("::")
    if not sep:
        raise InvalidQueryParameter(f"invalid value for `line_item`: {line_item!r}")
    r = RequestLog
    by_kind = {
        "prerecorded": [r.endpoint == "listen", r.method != "streaming"],
        "streaming": [r.endpoint == "listen", r.method == "streaming"],
        "tts": [r.endpoint == "speak"],
        "read": [r.endpoint == "read"],
        "agent": [r.endpoint == "agent"],
    }
    if kind not in by_kind:
        raise InvalidQueryParameter(f"invalid value for `line_item`: {line_item!r}")
    return [*by_kind[kind], r.model.is_(None) if model == "default" else r.model == model]


@router.get("/v1/projects/{project_id}/billing/breakdown")
async def billing_breakdown(
    start: str | None = None,
    end: str | None = None,
    accessor: str | None = None,
    deployment: Literal["hosted", "beta", "self-hosted"] | None = None,
    tag: list[str] = Query(default=[]),
    line_item: str | None = None,
    grouping: list[BillingGrouping] = Query(default=[]),
    resolution: Resolution = "day",
    caller: Principal = Depends(project_access("billing.breakdown")),
    session: AsyncSession = db_session,
) -> dict[str, Any]:
    where = RequestFilter(
        start=parse_when("start", start),
        end=parse_when("end", end, end=True),
        accessor=accessor,
        deployment=deployment,
        tag=tag,
        only_succeeded=True,
    )
    first, last = await report_range(session, caller, where)
    groups = list(dict.fromkeys(grouping))
    extra = _line_item_filter(line_item) if line_item else []
    buckets = await reports.aggregate(
        session, caller.project_id, where, resolution=resolution, groups=groups, extra=extra
    )
    results = []
    for key, t in sorted(buckets.items(), key=lambda kv: tuple(str(k) for k in kv[0])):
        b_start, b_end = reports.bucket_bounds(key[0], resolution)
        group: dict[str, Any] = {"start": b_start, "end": b_end, "accessor": None, "deployment": None,
                                 "line_item": None, "tags": None}  # fmt: skip
        for name, value in zip(groups, key[1:]):
            group[name] = list(value) if isinstance(value, tuple) else value
        results.append({"dollars": round(t.usd, 6), "grouping": group})
    return {"start": first, "end": last, "resolution": {"units": resolution, "amount": 1}, "results": results}


_KIND_NAMES = {
    "prerecorded": "pre-recorded",
    "streaming": "streaming",
    "tts": "text-to-speech",
    "read": "text intelligence",
    "agent": "voice agent",
}


@router.get("/v1/projects/{project_id}/billing/fields")
async def billing_fields(
    start: str | None = None,
    end: str | None = None,
    caller: Principal = Depends(project_access("billing.fields")),
    session: AsyncSession = db_session,
) -> dict[str, Any]:
    where = RequestFilter(start=parse_when("start", start), end=parse_when("end", end, end=True))
    found = await reports.fields(session, caller.project_id, where)
    line_items = {}
    for item in found.line_items:
        kind, _, model = item.partition("::")
        line_items[item] = f"{model} {_KIND_NAMES.get(kind, kind)}"
    return {
        "accessors": found.accessors,
        "deployments": found.deployments,
        "tags": found.tags,
        "line_items": line_items,
    }


@router.get("/v1/projects/{project_id}/purchases")
async def list_purchases(
    limit: float = 10,
    caller: Principal = Depends(project_access("billing.purchases")),
    session: AsyncSession = db_session,
) -> dict[str, Any]:
    if not float(limit).is_integer() or limit < 1 or limit > 1000:
        raise InvalidQueryParameter(f"`limit` must be a whole number between 1 and 1000, got {limit}")
    orders = await billing.list_purchases(session, caller.project_id, int(limit))
    return {
        "orders": [
            {
                "order_id": o.order_id,
                "expiration": iso(o.expiration),
                "created": iso(o.created),
                "amount": o.amount,
                "units": o.units,
                "order_type": o.order_type,
            }
            for o in orders
        ]
    }

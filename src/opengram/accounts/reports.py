"""Usage and billing reports: the request log summed by time bucket and by grouping, in SQL.

Time buckets are prefixes of the UTC timestamp written `YYYY-MM-DD HH:MM:SS` (13 characters for an hour,
10 for a day, 7 for a month), computed by the database so that 100 000 rows never leave it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Float, String, Text, and_, case, cast, distinct, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from opengram.accounts.models import RequestLog
from opengram.accounts.requests import RequestFilter

RESOLUTIONS = {"hour": 13, "day": 10, "month": 7}


class utc_prefix(FunctionElement[str]):
    """The first N characters of a UTC timestamp written `YYYY-MM-DD HH:MM:SS`."""

    type = String()
    name = "utc_prefix"
    inherit_cache = True


@compiles(utc_prefix, "sqlite")
def _utc_prefix_sqlite(element: utc_prefix, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLAlchemy stores SQLite datetimes as `YYYY-MM-DD HH:MM:SS.ffffff` text, here always in UTC.
    column, width = (compiler.process(c, **kw) for c in element.clauses)
    return f"substr({column}, 1, {width})"


@compiles(utc_prefix, "postgresql")
def _utc_prefix_postgresql(element: utc_prefix, compiler: SQLCompiler, **kw: Any) -> str:
    column, width = (compiler.process(c, **kw) for c in element.clauses)
    return f"left(to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), {width})"


def bucket_expr(resolution: str) -> ColumnElement[str]:
    return utc_prefix(RequestLog.created, literal_column(str(RESOLUTIONS[resolution])))


def bucket_bounds(label: str, resolution: str) -> tuple[str, str]:
    """A bucket's first and last day (or hour), inclusive, as Deepgram reports them."""
    if resolution == "hour":
        return f"{label[:10]}T{label[11:13]}:00:00Z", f"{label[:10]}T{label[11:13]}:59:59Z"
    if resolution == "month":
        first = date.fromisoformat(label + "-01")
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        return first.isoformat(), last.isoformat()
    return label, label


# Grouping dimensions: name -> column to group by in SQL.
GROUP_COLUMNS: dict[str, ColumnElement[Any] | InstrumentedAttribute[Any]] = {
    "accessor": RequestLog.api_key_id,
    "endpoint": RequestLog.endpoint,
    "method": RequestLog.method,
    "deployment": RequestLog.deployment,
    "feature_set": cast(RequestLog.features, Text),
    "models": cast(RequestLog.models, Text),
    "tags": cast(RequestLog.tags, Text),
    # A line item is `<kind>::<model>`; its parts are grouped here and joined in Python.
    "line_item": RequestLog.endpoint,
    "line_item_method": RequestLog.method,
    "line_item_model": RequestLog.model,
}


def _listen(expr: Any) -> ColumnElement[Any]:
    return case((RequestLog.endpoint == "listen", expr), else_=0.0)


_TOTALS = {
    "seconds": func.sum(_listen(RequestLog.duration)),
    "total_seconds": func.sum(
        _listen(RequestLog.duration * case((RequestLog.channels > 1, RequestLog.channels), else_=1))
    ),
    "agent_seconds": func.sum(case((RequestLog.endpoint == "agent", RequestLog.duration), else_=0.0)),
    "requests": func.count(),
    "tokens_in": func.sum(RequestLog.tokens_in),
    "tokens_out": func.sum(RequestLog.tokens_out),
    "tts_characters": func.sum(case((RequestLog.endpoint == "speak", RequestLog.characters), else_=0)),
    "tts_requests": func.sum(case((RequestLog.endpoint == "speak", 1), else_=0)),
    "usd": func.sum(cast(RequestLog.usd, Float)),
}


@dataclass
class Totals:
    seconds: float = 0.0
    total_seconds: float = 0.0
    agent_seconds: float = 0.0
    requests: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    tts_characters: int = 0
    tts_requests: int = 0
    usd: float = 0.0

    def add(self, other: Totals) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def line_item(endpoint: str, method: str, model: str | None) -> str:
    kind = {"speak": "tts", "read": "read", "agent": "agent"}.get(endpoint)
    if kind is None:
        kind = "streaming" if method == "streaming" else "prerecorded"
    return f"{kind}::{model or 'default'}"


def _decode(name: str, value: Any) -> Any:
    if name in ("feature_set",):
        return ",".join(sorted(json.loads(value))) if value else ""
    if name in ("models", "tags"):
        return tuple(sorted(json.loads(value))) if value else ()
    return value


async def aggregate(
    session: AsyncSession,
    project_id: str,
    where: RequestFilter,
    *,
    resolution: str,
    groups: Sequence[str],
    extra: list[ColumnElement[bool]] | None = None,
) -> dict[tuple[Any, ...], Totals]:
    """Totals keyed by (bucket label, *group values); group values are decoded and merged in Python,
    since one feature set or tag list may be written in several orders."""
    sql_groups = []
    for name in groups:
        sql_groups.extend(["line_item", "line_item_method", "line_item_model"] if name == "line_item" else [name])
    bucket = bucket_expr(resolution)
    group_cols = [GROUP_COLUMNS[g].label(f"g{i}") for i, g in enumerate(sql_groups)]
    query = (
        select(bucket.label("bucket"), *group_cols, *(expr.label(name) for name, expr in _TOTALS.items()))
        .where(and_(*where.where(project_id), *(extra or [])))
        .group_by(bucket, *(GROUP_COLUMNS[g] for g in sql_groups))
    )
    out: dict[tuple[Any, ...], Totals] = {}
    for row in (await session.execute(query)).mappings():
        values = [row[f"g{i}"] for i in range(len(sql_groups))]
        key_parts: list[Any] = [row["bucket"]]
        i = 0
        for name in groups:
            if name == "line_item":
                key_parts.append(line_item(values[i], values[i + 1], values[i + 2]))
                i += 3
            else:
                key_parts.append(_decode(name, values[i]))
                i += 1
        totals = Totals(**{name: row[name] or 0 for name in _TOTALS})
        out.setdefault(tuple(key_parts), Totals()).add(totals)
    return out


async def _distinct(session: AsyncSession, project_id: str, where: RequestFilter, expr: Any) -> list[Any]:
    rows = await session.scalars(select(distinct(expr)).where(and_(*where.where(project_id))))
    return [r for r in rows if r is not None]


@dataclass
class Fields:
    tags: list[str]
    models: list[str]  # model uuids that ran
    methods: list[str]
    features: list[str]
    languages: list[str]
    accessors: list[str]
    deployments: list[str]
    line_items: list[str]


async def fields(session: AsyncSession, project_id: str, where: RequestFilter) -> Fields:
    """Every value the reports' filters and groupings could take in this range."""
    r = RequestLog

    def union(values: list[str]) -> list[str]:
        return sorted({item for v in values for item in json.loads(v)})

    languages = set()
    for config in await _distinct(session, project_id, where, cast(r.config, Text)):
        languages.add(json.loads(config).get("language", "en"))
    items = {
        line_item(e, m, model)
        for e, m, model in (
            await session.execute(
                select(r.endpoint, r.method, r.model).where(and_(*where.where(project_id))).distinct()
            )
        ).all()
    }
    return Fields(
        tags=union(await _distinct(session, project_id, where, cast(r.tags, Text))),
        models=union(await _distinct(session, project_id, where, cast(r.models, Text))),
        methods=sorted(await _distinct(session, project_id, where, r.method)),
        features=union(await _distinct(session, project_id, where, cast(r.features, Text))),
        languages=sorted(languages),
        accessors=sorted(await _distinct(session, project_id, where, r.api_key_id)),
        deployments=sorted(await _distinct(session, project_id, where, r.deployment)),
        line_items=sorted(items),
    )

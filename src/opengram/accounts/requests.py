"""Reading the request log: the filters shared by the request list, usage and billing reports."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Text, and_, cast, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from opengram.accounts.models import RequestLog

# Boolean usage filters (spec 8.6): `diarize=true` keeps requests that used diarize, `diarize=false`
# drops them. Older clients send a few more names, accepted alike.
FEATURE_FILTERS = (
    "alternatives", "callback", "callback_method", "channels", "custom_intent", "custom_intent_mode",
    "custom_topic", "custom_topic_mode", "detect_entities", "detect_language", "diarize", "dictation",
    "encoding", "extra", "filler_words", "intents", "keyterm", "keywords", "language", "measurements",
    "multichannel", "numerals", "paragraphs", "profanity_filter", "punctuate", "redact", "replace",
    "sample_rate", "search", "sentiment", "smart_format", "summarize", "topics", "utt_split", "utterances",
    "version", "interim_results", "ner", "detect_topics", "analyze_sentiment", "numbers", "translate",
)  # fmt: skip


@dataclass
class RequestFilter:
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive
    accessor: str | None = None
    request_id: str | None = None
    deployment: str | None = None
    endpoint: str | None = None
    method: str | None = None
    status: str | None = None  # succeeded | failed
    tag: list[str] = field(default_factory=list)
    model: str | None = None
    features: dict[str, bool] = field(default_factory=dict)
    only_succeeded: bool = False  # usage and billing count what succeeded

    def where(self, project_id: str) -> list[ColumnElement[bool]]:
        r = RequestLog
        conds: list[ColumnElement[bool]] = [r.project_id == project_id]
        if self.start is not None:
            conds.append(r.created >= self.start)
        if self.end is not None:
            conds.append(r.created < self.end)
        for column, value in (
            (r.api_key_id, self.accessor),
            (r.request_id, self.request_id),
            (r.deployment, self.deployment),
            (r.endpoint, self.endpoint),
            (r.method, self.method),
        ):
            if value is not None:
                conds.append(column == value)
        if self.status == "succeeded" or self.only_succeeded:
            conds.append(r.code < 300)
        elif self.status == "failed":
            conds.append(r.code >= 400)
        if self.tag:
            conds.append(or_(*(json_contains(r.tags, t) for t in self.tag)))
        if self.model is not None:
            conds.append(or_(r.model == self.model, json_contains(r.models, self.model)))
        used = [feature_used(name) for name, on in self.features.items() if on]
        if used:
            conds.append(or_(*used))  # true filters combine with OR
        conds.extend(not_(feature_used(name)) for name, on in self.features.items() if not on)  # false: AND
        return conds


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def json_contains(column: Any, value: str) -> ColumnElement[bool]:
    """Whether a JSON list column holds `value`: a text match on the JSON, the same on SQLite and PostgreSQL."""
    return cast(column, Text).like(f"%{_like_escape(json.dumps(value))}%", escape="\\")


def feature_used(name: str) -> ColumnElement[bool]:
    """A feature turned on (in `features`) or a setting given (a key of `config`)."""
    key = _like_escape(json.dumps(name))
    return or_(
        cast(RequestLog.features, Text).like(f"%{key}%", escape="\\"),
        cast(RequestLog.config, Text).like(f"%{key}:%", escape="\\"),
    )


async def list_requests(
    session: AsyncSession, project_id: str, where: RequestFilter, *, limit: int, page: int
) -> list[RequestLog]:
    rows = await session.scalars(
        select(RequestLog)
        .where(and_(*where.where(project_id)))
        .order_by(RequestLog.created.desc(), RequestLog.request_id.desc())
        .limit(limit)
        .offset(page * limit)
    )
    return list(rows)


async def get_request(session: AsyncSession, project_id: str, request_id: str) -> RequestLog | None:
    return await session.scalar(
        select(RequestLog).where(RequestLog.project_id == project_id, RequestLog.request_id == request_id)
    )

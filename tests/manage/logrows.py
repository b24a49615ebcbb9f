"""Rows for the request log, written straight into the database, for tests of listing and reports."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from opengram.accounts.models import RequestLog


def row(project_id: str, created: datetime, **fields) -> RequestLog:
    defaults = dict(
        request_id=str(uuid.uuid4()),
        project_id=project_id,
        api_key_id=None,
        path="/v1/listen",
        endpoint="listen",
        method="sync",
        deployment="self-hosted",
        created=created,
        completed=created,
        code=200,
        duration=60.0,
        channels=1,
        streams=1,
        model="nova-3",
        models=["m-uuid-1"],
        features=[],
        tags=[],
        config={},
        usd=0.0,
    )
    defaults.update(fields)
    return RequestLog(**defaults)


def insert(db, rows: list[RequestLog]) -> None:
    async def go(session):
        session.add_all(rows)

    db.run(go)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)

"""Shared wire pieces of the management API: timestamps, date filters and confirmation messages."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from pydantic import BaseModel

from opengram.errors import InvalidQueryParameter


class Message(BaseModel):
    """What every mutation answers."""

    message: str


def iso(value: datetime | None) -> str | None:
    """`2024-01-15T09:30:00Z`, as Deepgram writes timestamps."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# An unencoded `+` in a query string arrives as a space: `2024-01-01T00:00:00 05:00`.
_LOST_PLUS = re.compile(r" (\d{2}:?\d{2})$")


def parse_when(name: str, raw: str | None, *, end: bool = False) -> datetime | None:
    """`start`/`end` in any of Deepgram's three forms (`YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SS`, the same with
    `+HH:MM`), or ISO 8601 with `Z` and fractions as the SDK sends them. Naive times are UTC. A bare
    date as `end` covers that whole day; the result is then an exclusive bound."""
    if raw is None or raw == "":
        return None
    text = _LOST_PLUS.sub(r"+\1", raw.strip())
    try:
        if _DATE_ONLY.match(text):
            day = date.fromisoformat(text)
            if end:
                day += timedelta(days=1)
            return datetime.combine(day, time(), tzinfo=UTC)
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidQueryParameter(f"invalid value for `{name}`: {raw!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    # An `end` with a time is inclusive; store it as the exclusive bound just after.
    return value + timedelta(microseconds=1) if end else value

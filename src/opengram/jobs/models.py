"""The durable job queue: a table, so an accepted job outlives the process that accepted it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from opengram.store.orm import Base, UTCDateTime, utcnow

QUEUED, RUNNING, DELIVERING, DONE, FAILED = "queued", "running", "delivering", "done", "failed"


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_due", "status", "due"),)

    request_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(36))
    api_key_id: Mapped[str | None] = mapped_column(String(36))
    # The query string as (key, value) pairs, parsed again by the worker exactly as the API parsed it.
    params: Mapped[list[Any]] = mapped_column(JSON)
    audio_path: Mapped[str | None] = mapped_column(Text)  # an upload, kept on disk until the job ends
    url: Mapped[str | None] = mapped_column(Text)  # or a URL, fetched by the worker
    sha256: Mapped[str | None] = mapped_column(String(64))
    callback: Mapped[str] = mapped_column(Text)
    callback_method: Mapped[str] = mapped_column(String(10), default="POST")
    status: Mapped[str] = mapped_column(String(20), default=QUEUED)
    due: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # when a worker may take it next
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a running job's claim expires
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # callback deliveries tried
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the body to deliver
    result_code: Mapped[int | None] = mapped_column(Integer)  # 200, or the error's status
    callback_code: Mapped[int | None] = mapped_column(Integer)  # the receiver's last answer
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The endpoint that accepted it (`/v2/listen` answers in the legacy shape); None for older rows: /v1/listen.
    path: Mapped[str | None] = mapped_column(String(200))

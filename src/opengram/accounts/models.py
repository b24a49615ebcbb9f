"""The store's tables: members, projects, memberships with scopes, API keys, the request log, invitations,
balances and purchases, self-hosted distribution credentials, and server-wide secrets."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Connection,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from opengram.store.orm import Base, UTCDateTime, new_id, utcnow

BILLING_UNITS = "usd"  # what balances and prices are counted in


class Member(Base):
    __tablename__ = "members"

    member_id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    first_name: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Project(Base):
    __tablename__ = "projects"

    project_id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(200))
    mip_opt_out: Mapped[bool] = mapped_column(default=False)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Billing: with a balance and no overage agreement, a project stops at zero (402).
    overage: Mapped[bool] = mapped_column(default=False)
    # Concurrency limits; None takes the server's default.
    limit_prerecorded: Mapped[int | None] = mapped_column(Integer)
    limit_streaming: Mapped[int | None] = mapped_column(Integer)
    limit_tts: Mapped[int | None] = mapped_column(Integer)


class Membership(Base):
    """A member's place in a project; `scopes` holds the role (owner, admin, member) and any extras."""

    __tablename__ = "memberships"

    project_id: Mapped[str] = mapped_column(ForeignKey("projects.project_id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.member_id", ondelete="CASCADE"), primary_key=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiKey(Base):
    """A project API key. Only the SHA-256 of the secret is kept: keys are random, so a fast hash is safe."""

    __tablename__ = "api_keys"

    api_key_id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.project_id", ondelete="CASCADE"), index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.member_id", ondelete="CASCADE"))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expiration_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RequestLog(Base):
    """One row per API request: what Deepgram's usage and request-log endpoints report."""

    __tablename__ = "requests"
    __table_args__ = (
        Index("ix_requests_project_created", "project_id", "created"),
        # The request list filtered by key (`accessor`), newest first.
        Index("ix_requests_project_key_created", "project_id", "api_key_id", "created"),
    )

    request_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.project_id", ondelete="CASCADE"))
    api_key_id: Mapped[str | None] = mapped_column(String(36), index=True)
    path: Mapped[str] = mapped_column(String(200))
    endpoint: Mapped[str] = mapped_column(String(20))  # listen, speak, read
    method: Mapped[str] = mapped_column(String(20))  # sync, async, streaming
    deployment: Mapped[str] = mapped_column(String(20), default="self-hosted")
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed: Mapped[datetime | None] = mapped_column(UTCDateTime)
    code: Mapped[int] = mapped_column(Integer)
    duration: Mapped[float] = mapped_column(Float, default=0.0)  # audio seconds
    channels: Mapped[int] = mapped_column(Integer, default=0)
    streams: Mapped[int] = mapped_column(Integer, default=1)
    model: Mapped[str | None] = mapped_column(String(100))  # model name as requested
    models: Mapped[list[str]] = mapped_column(JSON, default=list)  # model uuids that ran
    features: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    callback: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str | None] = mapped_column(Text)  # error text for failed requests
    usd: Mapped[float] = mapped_column(Float, default=0.0)  # what the request cost at the price of its day
    characters: Mapped[int] = mapped_column(Integer, default=0)  # TTS input characters
    tokens_in: Mapped[int] = mapped_column(Integer, default=0)  # text intelligence tokens
    tokens_out: Mapped[int] = mapped_column(Integer, default=0)


class Invite(Base):
    """A pending invitation. No mail goes out: the inviter hands the token over, and it is stored hashed."""

    __tablename__ = "invites"
    __table_args__ = (UniqueConstraint("project_id", "email"),)

    invite_id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.project_id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    scope: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[str | None] = mapped_column(ForeignKey("members.member_id", ondelete="SET NULL"))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires: Mapped[datetime] = mapped_column(UTCDateTime)


class Purchase(Base):
    """An order that credited a project (what `/purchases` lists), added to its balance."""

    __tablename__ = "purchases"

    order_id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.project_id", ondelete="CASCADE"), index=True)
    amount: Mapped[float] = mapped_column(Float)
    units: Mapped[str] = mapped_column(String(20), default="usd")
    order_type: Mapped[str] = mapped_column(String(40), default="prepaid")
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expiration: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Balance(Base):
    """A project's one balance: opened with the project, credited by purchases, drawn down by requests."""

    __tablename__ = "balances"

    balance_id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.project_id", ondelete="CASCADE"), index=True, unique=True
    )
    amount: Mapped[float] = mapped_column(Float)
    units: Mapped[str] = mapped_column(String(20), default="usd")
    purchase_order_id: Mapped[str | None] = mapped_column(String(36))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DistributionCredential(Base):
    """Self-hosted distribution credentials, kept for clients that manage them through the API."""

    __tablename__ = "distribution_credentials"

    distribution_credentials_id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.project_id", ondelete="CASCADE"), index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.member_id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(40), default="quay")
    comment: Mapped[str | None] = mapped_column(Text)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ServerSecret(Base):
    """Secrets every server process must share, such as the key that signs temporary tokens."""

    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


@event.listens_for(Project, "after_insert")
def _open_balance(_mapper: Any, connection: Connection, project: Project) -> None:
    """Every project has its one balance from the moment it exists, whoever creates it (clients read
    `balances[0]`); a starting credit is a purchase added to it (`billing.add_credit`)."""
    connection.execute(
        cast(Table, Balance.__table__)
        .insert()
        .values(balance_id=new_id(), project_id=project.project_id, amount=0.0, units=BILLING_UNITS, created=utcnow())
    )

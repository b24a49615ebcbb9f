"""API keys: create (the secret is returned once), hash, and authenticate."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from opengram.accounts.models import ApiKey, Project, utcnow


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    # Deepgram keys are 40 hex characters.
    return secrets.token_hex(20)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key, its member and its project."""

    api_key_id: str
    member_id: str
    project_id: str
    scopes: tuple[str, ...]


async def create_key(
    session: AsyncSession,
    *,
    project_id: str,
    member_id: str,
    comment: str = "",
    scopes: list[str] | None = None,
    tags: list[str] | None = None,
    expiration_date: datetime | None = None,
    secret: str | None = None,
) -> tuple[ApiKey, str]:
    """Store a new key and return it with its secret, which is not kept anywhere."""
    secret = secret or new_secret()
    key = ApiKey(
        project_id=project_id,
        member_id=member_id,
        secret_hash=hash_secret(secret),
        comment=comment,
        scopes=list(scopes or ["member"]),
        tags=list(tags or []),
        expiration_date=expiration_date,
    )
    session.add(key)
    await session.flush()
    return key, secret


async def authenticate(session: AsyncSession, secret: str) -> Principal | None:
    """The principal behind a secret, or None if it is unknown, deleted, expired or its project is gone."""
    row = (
        await session.execute(
            select(ApiKey, Project.deleted_at)
            .join(Project, Project.project_id == ApiKey.project_id)
            .where(ApiKey.secret_hash == hash_secret(secret))
        )
    ).first()
    if row is None:
        return None
    key, project_deleted = row
    if key.deleted_at is not None or project_deleted is not None:
        return None
    if key.expiration_date is not None and key.expiration_date <= utcnow():
        return None
    return Principal(key.api_key_id, key.member_id, key.project_id, tuple(key.scopes))

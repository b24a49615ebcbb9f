"""API keys: create (the secret is returned once), hash, authenticate, list and delete."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from opengram.accounts import scopes
from opengram.accounts.models import ApiKey, Member, Membership, Project
from opengram.store.orm import utcnow


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    # Deepgram keys are 40 hex characters.
    return secrets.token_hex(20)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key, its member and its project, and what the two together may do."""

    api_key_id: str
    member_id: str
    project_id: str
    scopes: tuple[str, ...]
    permissions: frozenset[str] = field(default=frozenset())
    # True when the caller presented a temporary token minted from this key rather than the key itself.
    temporary: bool = False


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
        created=utcnow(),
    )
    session.add(key)
    await session.flush()
    return key, secret


async def _principal(session: AsyncSession, which: ColumnElement[bool]) -> Principal | None:
    # One query: the key, its live project, and its member's place in that project. A key whose member
    # left or was removed fails like a deleted one.
    row = (
        await session.execute(
            select(
                ApiKey.api_key_id,
                ApiKey.member_id,
                ApiKey.project_id,
                ApiKey.scopes,
                ApiKey.expiration_date,
                Membership.scopes,
            )
            .join(Project, and_(Project.project_id == ApiKey.project_id, Project.deleted_at.is_(None)))
            .join(
                Membership, and_(Membership.project_id == ApiKey.project_id, Membership.member_id == ApiKey.member_id)
            )
            .where(which, ApiKey.deleted_at.is_(None))
        )
    ).first()
    if row is None:
        return None
    key_id, member_id, project_id, key_scopes, expiration, member_scopes = row
    if expiration is not None and expiration <= utcnow():
        return None
    return Principal(
        key_id, member_id, project_id, tuple(key_scopes), permissions=scopes.effective(key_scopes, member_scopes)
    )


async def authenticate(session: AsyncSession, secret: str) -> Principal | None:
    """The principal behind a secret, or None if it is unknown, deleted, expired, or its project or member is gone."""
    return await _principal(session, ApiKey.secret_hash == hash_secret(secret))


async def authenticate_pair(session: AsyncSession, api_key_id: str, secret: str) -> Principal | None:
    """The legacy v2 credentials (`Basic base64(key:secret)`): the key's id and its secret, both matching."""
    return await _principal(session, and_(ApiKey.api_key_id == api_key_id, ApiKey.secret_hash == hash_secret(secret)))


async def principal_for_key(session: AsyncSession, api_key_id: str) -> Principal | None:
    """The same checks for a key named by id (the accessor of a temporary token)."""
    return await _principal(session, ApiKey.api_key_id == api_key_id)


def is_expired(key: ApiKey) -> bool:
    return key.expiration_date is not None and key.expiration_date <= utcnow()


async def list_keys(
    session: AsyncSession, project_id: str, *, member_id: str | None = None, status: str | None = None
) -> list[tuple[ApiKey, Member]]:
    """Live (not deleted) keys of a project with their members; `member_id` narrows to one member's,
    `status` to `active` or `expired` ones."""
    query = (
        select(ApiKey, Member)
        .join(Member, Member.member_id == ApiKey.member_id)
        .where(ApiKey.project_id == project_id, ApiKey.deleted_at.is_(None))
        .order_by(ApiKey.created, ApiKey.api_key_id)
    )
    if member_id is not None:
        query = query.where(ApiKey.member_id == member_id)
    rows = [(key, member) for key, member in (await session.execute(query)).all()]
    if status == "active":
        rows = [r for r in rows if not is_expired(r[0])]
    elif status == "expired":
        rows = [r for r in rows if is_expired(r[0])]
    return rows


async def get_key(session: AsyncSession, project_id: str, api_key_id: str) -> tuple[ApiKey, Member] | None:
    row = (
        await session.execute(
            select(ApiKey, Member)
            .join(Member, Member.member_id == ApiKey.member_id)
            .where(ApiKey.project_id == project_id, ApiKey.api_key_id == api_key_id, ApiKey.deleted_at.is_(None))
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def delete_key(session: AsyncSession, key: ApiKey) -> None:
    """Keys are deleted softly, so the request log still names them; authentication ignores them at once."""
    key.deleted_at = utcnow()
    await session.flush()

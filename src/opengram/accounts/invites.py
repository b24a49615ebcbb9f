"""Invitations. No mail goes out: sending one returns a token that the inviter hands to the invitee, who
joins with `opengram invites accept TOKEN`. Tokens are stored hashed and expire."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from opengram.accounts.keys import create_key, hash_secret
from opengram.accounts.members import ensure_member, get_membership, normalize_email
from opengram.accounts.models import ApiKey, Invite, Membership, Project
from opengram.store.orm import utcnow

INVITE_TTL = timedelta(days=14)


async def list_invites(session: AsyncSession, project_id: str) -> list[Invite]:
    rows = await session.scalars(
        select(Invite).where(Invite.project_id == project_id, Invite.expires > utcnow()).order_by(Invite.created)
    )
    return list(rows)


async def get_invite(session: AsyncSession, project_id: str, email: str) -> Invite | None:
    return await session.scalar(
        select(Invite).where(Invite.project_id == project_id, Invite.email == normalize_email(email))
    )


async def send_invite(
    session: AsyncSession, project_id: str, email: str, scope: str, *, invited_by: str | None
) -> tuple[Invite, str]:
    """Store an invitation and return its token (shown once). Inviting the same address again replaces it."""
    email = normalize_email(email)
    await session.execute(delete(Invite).where(Invite.project_id == project_id, Invite.email == email))
    token = secrets.token_hex(24)  # hex: a token never starts with "-", which a command line takes for an option
    now = utcnow()
    invite = Invite(
        project_id=project_id,
        email=email,
        scope=scope,
        token_hash=hash_secret(token),
        invited_by=invited_by,
        created=now,
        expires=now + INVITE_TTL,
    )
    session.add(invite)
    await session.flush()
    return invite, token


async def delete_invite(session: AsyncSession, invite: Invite) -> None:
    await session.delete(invite)
    await session.flush()


class InviteError(Exception):
    pass


async def accept_invite(
    session: AsyncSession, token: str, *, first_name: str | None = None, last_name: str | None = None
) -> tuple[Membership, ApiKey, str]:
    """Join the project an invitation is for, with its role, and get a first key for it (shown once)."""
    invite = await session.scalar(select(Invite).where(Invite.token_hash == hash_secret(token.strip())))
    if invite is None or invite.expires <= utcnow():
        raise InviteError("no such invitation, or it has expired")
    project = await session.get(Project, invite.project_id)
    if project is None or project.deleted_at is not None:
        raise InviteError("the project of this invitation no longer exists")
    member = await ensure_member(session, invite.email, first_name=first_name, last_name=last_name)
    if await get_membership(session, invite.project_id, member.member_id) is not None:
        raise InviteError(f"{invite.email} is already a member of this project")
    membership = Membership(
        project_id=invite.project_id, member_id=member.member_id, scopes=[invite.scope], created=utcnow()
    )
    session.add(membership)
    key, secret = await create_key(
        session,
        project_id=invite.project_id,
        member_id=member.member_id,
        comment=f"{invite.email} (joined by invitation)",
        scopes=[invite.scope],
    )
    await session.delete(invite)
    await session.flush()
    return membership, key, secret

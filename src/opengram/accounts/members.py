"""Members of a project and their roles. A project always keeps at least one owner."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from opengram.accounts import scopes
from opengram.accounts.models import ApiKey, Member, Membership
from opengram.errors import InvalidRequest
from opengram.store.orm import utcnow


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def ensure_member(
    session: AsyncSession, email: str, *, first_name: str | None = None, last_name: str | None = None
) -> Member:
    """The member with this email, created if new (a member may belong to many projects)."""
    email = normalize_email(email)
    member = await session.scalar(select(Member).where(Member.email == email))
    if member is None:
        member = Member(email=email, first_name=first_name, last_name=last_name, created=utcnow())
        session.add(member)
        await session.flush()
    return member


async def list_members(session: AsyncSession, project_id: str) -> list[tuple[Member, Membership]]:
    rows = await session.execute(
        select(Member, Membership)
        .join(Membership, Membership.member_id == Member.member_id)
        .where(Membership.project_id == project_id)
        .order_by(Membership.created, Member.email)
    )
    return [(m, ms) for m, ms in rows.all()]


async def get_membership(session: AsyncSession, project_id: str, member_id: str) -> Membership | None:
    return await session.get(Membership, (project_id, member_id))


async def is_member(session: AsyncSession, project_id: str, email: str) -> bool:
    found = await session.scalar(
        select(Membership.member_id)
        .join(Member, Member.member_id == Membership.member_id)
        .where(Membership.project_id == project_id, Member.email == normalize_email(email))
    )
    return found is not None


async def _owners(session: AsyncSession, project_id: str) -> int:
    memberships = await session.scalars(select(Membership.scopes).where(Membership.project_id == project_id))
    return sum(1 for held in memberships if scopes.role_of(held) == "owner")


async def _keep_an_owner(session: AsyncSession, membership: Membership, action: str) -> None:
    if scopes.role_of(membership.scopes) == "owner" and await _owners(session, membership.project_id) <= 1:
        raise InvalidRequest(f"The project's only owner cannot {action}; make another member owner first.")


async def remove_member(session: AsyncSession, membership: Membership, *, action: str = "be removed") -> None:
    """Take a member out of a project, with their keys in it; the last owner stays."""
    await _keep_an_owner(session, membership, action)
    now = utcnow()
    for key in await session.scalars(
        select(ApiKey).where(
            ApiKey.project_id == membership.project_id,
            ApiKey.member_id == membership.member_id,
            ApiKey.deleted_at.is_(None),
        )
    ):
        key.deleted_at = now
    await session.delete(membership)
    await session.flush()


async def set_role(session: AsyncSession, membership: Membership, role: str) -> None:
    if role not in scopes.ROLES:
        raise ValueError(role)
    if role != "owner":
        await _keep_an_owner(session, membership, "step down")
    # The role replaces the old one; any extra scopes stay.
    membership.scopes = [role, *(s for s in membership.scopes if s not in scopes.ROLES)]
    await session.flush()

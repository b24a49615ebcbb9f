"""First start: an empty database gets an owner, a project and an admin key."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from opengram.accounts.keys import create_key
from opengram.accounts.models import Member, Membership, Project

OWNER_EMAIL = "owner@localhost"


async def bootstrap(session: AsyncSession, secret: str | None = None) -> tuple[Project, str] | None:
    """Create the first project and key if there is no project yet; returns them, or None if not empty."""
    if (await session.scalar(select(func.count()).select_from(Project))) > 0:
        return None
    owner = Member(email=OWNER_EMAIL, first_name="Owner")
    project = Project(name="Default Project")
    session.add_all([owner, project])
    await session.flush()
    session.add(Membership(project_id=project.project_id, member_id=owner.member_id, scopes=["owner"]))
    _key, secret = await create_key(
        session,
        project_id=project.project_id,
        member_id=owner.member_id,
        comment="bootstrap admin key",
        scopes=["admin"],
        secret=secret,
    )
    return project, secret

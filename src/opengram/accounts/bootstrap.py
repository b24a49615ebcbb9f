"""First start: an empty database gets an owner, a project and the owner's key (scope `owner`: the one who
runs the server holds every right of its first project, as a project's creator does with Deepgram)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from opengram.accounts.keys import create_key
from opengram.accounts.models import Member, Membership, Project
from opengram.accounts.projects import new_project

OWNER_EMAIL = "owner@localhost"


async def bootstrap(
    session: AsyncSession, secret: str | None = None, *, starting_credit: float = 0.0
) -> tuple[Project, str] | None:
    """Create the first project and its owner's key if there is no project yet; returns them, or None if
    not empty."""
    if (await session.scalar(select(func.count()).select_from(Project)) or 0) > 0:
        return None
    owner = Member(email=OWNER_EMAIL, first_name="Owner")
    session.add(owner)
    project = await new_project(session, "Default Project", starting_credit)
    session.add(Membership(project_id=project.project_id, member_id=owner.member_id, scopes=["owner"]))
    _key, secret = await create_key(
        session,
        project_id=project.project_id,
        member_id=owner.member_id,
        comment="bootstrap owner key",
        scopes=["owner"],
        secret=secret,
    )
    return project, secret

"""Projects as a key sees them: a key belongs to exactly one project."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from opengram.accounts.keys import Principal
from opengram.accounts.models import Project


async def visible_projects(session: AsyncSession, principal: Principal) -> list[Project]:
    rows = await session.scalars(
        select(Project).where(Project.project_id == principal.project_id, Project.deleted_at.is_(None))
    )
    return list(rows)


async def get_project(session: AsyncSession, principal: Principal, project_id: str) -> Project | None:
    """The project if this key may see it; another tenant's project is indistinguishable from none."""
    if project_id != principal.project_id:
        return None
    project = await session.get(Project, project_id)
    return project if project is not None and project.deleted_at is None else None


async def first_project_id(session: AsyncSession) -> str | None:
    return await session.scalar(select(Project.project_id).order_by(Project.created).limit(1))

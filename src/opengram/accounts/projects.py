"""Projects: a key sees exactly its own; operators create tenants from the command line."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from opengram.accounts.billing import add_credit
from opengram.accounts.keys import Principal, create_key
from opengram.accounts.members import ensure_member
from opengram.accounts.models import ApiKey, Membership, Project
from opengram.store.orm import utcnow


async def visible_projects(session: AsyncSession, principal: Principal) -> list[Project]:
    rows = await session.scalars(
        select(Project).where(Project.project_id == principal.project_id, Project.deleted_at.is_(None))
    )
    return list(rows)


async def get_project(session: AsyncSession, principal: Principal, project_id: str) -> Project | None:
    """The project if this key may see it; another tenant's project is indistinguishable from none."""
    if project_id != principal.project_id:
        return None
    return await live_project(session, project_id)


async def live_project(session: AsyncSession, project_id: str) -> Project | None:
    project = await session.get(Project, project_id)
    return project if project is not None and project.deleted_at is None else None


async def all_projects(session: AsyncSession) -> list[Project]:
    return list(await session.scalars(select(Project).where(Project.deleted_at.is_(None)).order_by(Project.created)))


async def first_project_id(session: AsyncSession) -> str | None:
    return await session.scalar(
        select(Project.project_id).where(Project.deleted_at.is_(None)).order_by(Project.created).limit(1)
    )


async def create_project(
    session: AsyncSession,
    name: str,
    owner_email: str,
    *,
    key_scopes: list[str] | None = None,
    starting_credit: float = 0.0,
) -> tuple[Project, ApiKey, str]:
    """A new tenant: the project (with its balance, credited with `starting_credit`), its owner (an existing
    member or a new one) and an owner key."""
    owner = await ensure_member(session, owner_email)
    project = await new_project(session, name, starting_credit)
    session.add(Membership(project_id=project.project_id, member_id=owner.member_id, scopes=["owner"]))
    key, secret = await create_key(
        session,
        project_id=project.project_id,
        member_id=owner.member_id,
        comment=f"owner key for {name}",
        scopes=key_scopes or ["owner"],
    )
    return project, key, secret


async def new_project(session: AsyncSession, name: str, starting_credit: float = 0.0) -> Project:
    """A project with its one balance (opened by the store), credited with `starting_credit` if any."""
    project = Project(name=name, created=utcnow())
    session.add(project)
    await session.flush()
    if starting_credit > 0:
        await add_credit(session, project.project_id, starting_credit, order_type="promotional")
    return project


async def update_project(session: AsyncSession, project: Project, *, name: str | None, company: str | None) -> None:
    if name is not None:
        project.name = name
    if company is not None:
        project.company = company
    await session.flush()


async def delete_project(session: AsyncSession, project: Project) -> None:
    """Soft delete: the request log stays; every key of the project stops working at once."""
    project.deleted_at = utcnow()
    await session.flush()

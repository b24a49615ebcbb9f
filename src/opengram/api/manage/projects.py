"""Projects: list, get, update, delete, and leave (spec 8.1)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from opengram.accounts import members, projects
from opengram.accounts.keys import Principal
from opengram.accounts.models import Project
from opengram.api.manage.access import access, db_session, project_access
from opengram.api.manage.wire import Message
from opengram.errors import InvalidRequest, ProjectNotFound

router = APIRouter(tags=["projects"])


class ProjectSummary(BaseModel):
    project_id: str
    name: str


class ProjectList(BaseModel):
    projects: list[ProjectSummary]


class ProjectBody(BaseModel):
    project_id: str
    name: str
    mip_opt_out: bool
    company: str | None = None


class ProjectUpdate(BaseModel):
    name: str | None = None
    company: str | None = None


@router.get("/v1/projects", response_model=ProjectList)
async def list_projects(
    caller: Principal = Depends(access("projects.list")), session: AsyncSession = db_session
) -> ProjectList:
    found = await projects.visible_projects(session, caller)
    return ProjectList(projects=[ProjectSummary(project_id=p.project_id, name=p.name) for p in found])


async def _project(session: AsyncSession, caller: Principal) -> Project:
    project = await projects.live_project(session, caller.project_id)
    if project is None:
        raise ProjectNotFound()
    return project


@router.get("/v1/projects/{project_id}", response_model=ProjectBody, response_model_exclude_none=True)
async def get_project(
    caller: Principal = Depends(project_access("projects.get")),
    session: AsyncSession = db_session,
    limit: float | None = None,  # accepted, as the spec lists them; a project has nothing to page
    page: float | None = None,
) -> ProjectBody:
    p = await _project(session, caller)
    return ProjectBody(project_id=p.project_id, name=p.name, mip_opt_out=p.mip_opt_out, company=p.company)


@router.patch("/v1/projects/{project_id}", response_model=Message)
async def update_project(
    body: ProjectUpdate,
    caller: Principal = Depends(project_access("projects.update")),
    session: AsyncSession = db_session,
) -> Message:
    if body.name is not None and not body.name.strip():
        raise InvalidRequest("A project's name cannot be empty.")
    await projects.update_project(session, await _project(session, caller), name=body.name, company=body.company)
    return Message(message="Successfully updated project info.")


@router.delete("/v1/projects/{project_id}", response_model=Message)
async def delete_project(
    caller: Principal = Depends(project_access("projects.delete")), session: AsyncSession = db_session
) -> Message:
    await projects.delete_project(session, await _project(session, caller))
    return Message(message="Successfully deleted a project.")


@router.delete("/v1/projects/{project_id}/leave", response_model=Message)
async def leave_project(
    caller: Principal = Depends(project_access("projects.leave")), session: AsyncSession = db_session
) -> Message:
    membership = await members.get_membership(session, caller.project_id, caller.member_id)
    if membership is None:
        raise ProjectNotFound()
    await members.remove_member(session, membership, action="leave")
    return Message(message="Successfully left the project.")

"""GET /v1/projects and /v1/projects/{id}; the rest of management comes with its own issue."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request

from opengram.accounts import projects
from opengram.accounts.keys import Principal
from opengram.api.deps import principal
from opengram.errors import ProjectNotFound, UuidParsingFailed

router = APIRouter()

_UUID_CHARS = set("0123456789abcdefABCDEF-")


def parse_project_id(raw: str) -> str:
    """Canonical UUID text, or the plain-text 404 Deepgram answers for a malformed id."""
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        pass
    for position, char in enumerate(raw, start=1):
        if char not in _UUID_CHARS:
            raise UuidParsingFailed(
                "UUID parsing failed: invalid character: expected an optional prefix of `urn:uuid:` "
                f"followed by [0-9a-zA-Z], found `{char}` at {position}"
            )
    raise UuidParsingFailed(f"UUID parsing failed: invalid length: expected 32 hex digits, found {len(raw.replace('-', ''))}")


def project_body(project) -> dict:
    return {"project_id": project.project_id, "name": project.name, "mip_opt_out": project.mip_opt_out}


@router.get("/v1/projects")
async def list_projects(request: Request, caller: Principal = Depends(principal)) -> dict:
    async with request.app.state.sessions() as session:
        found = await projects.visible_projects(session, caller)
    return {"projects": [{"project_id": p.project_id, "name": p.name} for p in found]}


@router.get("/v1/projects/{project_id}")
async def get_project(project_id: str, request: Request, caller: Principal = Depends(principal)) -> dict:
    pid = parse_project_id(project_id)
    async with request.app.state.sessions() as session:
        project = await projects.get_project(session, caller, pid)
    if project is None:
        raise ProjectNotFound()
    return project_body(project)

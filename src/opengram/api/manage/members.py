"""Members and their scopes (spec 8.4). Acting on a member also needs the permission named after their
role (and, for a new role, after that one): an admin may not remove an owner or make someone owner."""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from opengram.accounts import members, scopes
from opengram.accounts.keys import Principal
from opengram.accounts.models import Membership
from opengram.api.manage.access import db_session, project_access
from opengram.api.manage.wire import Message
from opengram.errors import InsufficientPermissions, InvalidMemberScope, NotFound

router = APIRouter(tags=["members"])


class MemberBody(BaseModel):
    member_id: str
    email: str
    first_name: str | None = None
    last_name: str | None = None
    scopes: list[str]


class MemberList(BaseModel):
    members: list[MemberBody]


class Scopes(BaseModel):
    scopes: list[str]


async def _membership(session: AsyncSession, caller: Principal, member_id: str) -> Membership:
    found = await members.get_membership(session, caller.project_id, member_id)
    if found is None:
        raise NotFound("A member")
    return found


def _may_act_on(caller: Principal, endpoint: str, role: str) -> None:
    if not scopes.allows_on(caller.permissions, endpoint, role):
        raise InsufficientPermissions()


@router.get("/v1/projects/{project_id}/members", response_model=MemberList)
async def list_members(
    caller: Principal = Depends(project_access("members.list")), session: AsyncSession = db_session
) -> MemberList:
    rows = await members.list_members(session, caller.project_id)
    return MemberList(
        members=[
            MemberBody(
                member_id=m.member_id,
                email=m.email,
                first_name=m.first_name,
                last_name=m.last_name,
                scopes=list(ms.scopes),
            )
            for m, ms in rows
        ]
    )


@router.delete("/v1/projects/{project_id}/members/{member_id}", response_model=Message)
async def remove_member(
    member_id: str, caller: Principal = Depends(project_access("members.remove")), session: AsyncSession = db_session
) -> Message:
    membership = await _membership(session, caller, member_id)
    _may_act_on(caller, "members.remove", scopes.role_of(membership.scopes))
    await members.remove_member(session, membership)
    return Message(message="Successfully removed account from project.")


@router.get("/v1/projects/{project_id}/members/{member_id}/scopes", response_model=Scopes)
async def get_scopes(
    member_id: str,
    caller: Principal = Depends(project_access("members.scopes.get")),
    session: AsyncSession = db_session,
) -> Scopes:
    return Scopes(scopes=list((await _membership(session, caller, member_id)).scopes))


@router.put("/v1/projects/{project_id}/members/{member_id}/scopes", response_model=Message)
async def update_scopes(
    member_id: str,
    scope: str = Body(embed=True),
    caller: Principal = Depends(project_access("members.scopes.update")),
    session: AsyncSession = db_session,
) -> Message:
    if scope not in scopes.ROLES:
        raise InvalidMemberScope()
    membership = await _membership(session, caller, member_id)
    _may_act_on(caller, "members.scopes.update", scopes.role_of(membership.scopes))
    _may_act_on(caller, "members.scopes.update", scope)
    await members.set_role(session, membership, scope)
    return Message(message="Successfully updated the account scopes.")

"""Invitations (spec 8.5). No mail goes out: the answer to sending one carries a `token` that the invitee
uses to join (`opengram invites accept TOKEN`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from opengram.accounts import invites, members, scopes
from opengram.accounts.keys import Principal
from opengram.api.manage.access import db_session, project_access
from opengram.api.manage.wire import Message, iso
from opengram.errors import InsufficientPermissions, InvalidMemberScope, InvalidRequest, NotFound

router = APIRouter(tags=["invitations"])


class InviteBody(BaseModel):
    email: str
    scope: str
    created: str | None = None
    expires: str | None = None


class InviteList(BaseModel):
    invites: list[InviteBody]


class InviteCreate(BaseModel):
    email: str
    scope: str


class InviteSent(Message):
    token: str


def _may_invite(caller: Principal, endpoint: str, role: str) -> None:
    if not scopes.allows_on(caller.permissions, endpoint, role):
        raise InsufficientPermissions()


@router.get("/v1/projects/{project_id}/invites", response_model=InviteList)
async def list_invites(
    caller: Principal = Depends(project_access("invites.list")), session: AsyncSession = db_session
) -> InviteList:
    rows = await invites.list_invites(session, caller.project_id)
    return InviteList(
        invites=[InviteBody(email=i.email, scope=i.scope, created=iso(i.created), expires=iso(i.expires)) for i in rows]
    )


@router.post("/v1/projects/{project_id}/invites", response_model=InviteSent)
async def send_invite(
    body: InviteCreate,
    caller: Principal = Depends(project_access("invites.create")),
    session: AsyncSession = db_session,
) -> InviteSent:
    if body.scope not in scopes.ROLES:
        raise InvalidMemberScope()
    if "@" not in body.email.strip()[1:-1]:
        raise InvalidRequest("Invalid email address.")
    _may_invite(caller, "invites.create", body.scope)
    if await members.is_member(session, caller.project_id, body.email):
        raise InvalidRequest(f"{body.email} is already a member of this project.")
    invite, token = await invites.send_invite(
        session, caller.project_id, body.email, body.scope, invited_by=caller.member_id
    )
    return InviteSent(
        message=f"Invitation for {invite.email} created. No mail is sent: hand them the token, to use with "
        "`opengram invites accept TOKEN`.",
        token=token,
    )


@router.delete("/v1/projects/{project_id}/invites/{email}", response_model=Message)
async def delete_invite(
    email: str, caller: Principal = Depends(project_access("invites.delete")), session: AsyncSession = db_session
) -> Message:
    invite = await invites.get_invite(session, caller.project_id, email)
    if invite is None:
        raise NotFound("An invitation")
    _may_invite(caller, "invites.delete", invite.scope)
    await invites.delete_invite(session, invite)
    return Message(message="Successfully deleted the invitation.")

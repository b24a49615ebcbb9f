"""API keys (spec 8.3): the secret is shown once, at creation. Members see and manage their own keys;
`keys:read:all` / `keys:write:all` (admins, owners) reach every member's."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from opengram.accounts import keys, scopes
from opengram.accounts.keys import Principal
from opengram.accounts.models import ApiKey, Member
from opengram.api.manage.access import db_session, project_access
from opengram.api.manage.wire import Message, iso
from opengram.errors import InsufficientPermissions, InvalidRequest, NotFound
from opengram.store.orm import utcnow

router = APIRouter(tags=["keys"])


class KeyMember(BaseModel):
    member_id: str
    email: str
    first_name: str | None = None
    last_name: str | None = None


class KeyBody(BaseModel):
    api_key_id: str
    comment: str
    scopes: list[str]
    tags: list[str]
    created: str
    expiration_date: str | None = None


class KeyEntry(BaseModel):
    member: KeyMember
    api_key: KeyBody


class KeyList(BaseModel):
    api_keys: list[KeyEntry]


class KeyItemMember(KeyMember):
    api_key: KeyBody


class KeyItem(BaseModel):
    member: KeyItemMember


class OneKey(BaseModel):
    """Sources disagree (spec 12.1): the spec's `item` form and the flat form of older SDKs, both."""

    item: KeyItem
    member: KeyMember
    api_key: KeyBody


class KeyCreate(BaseModel):
    comment: str
    scopes: list[str]
    tags: list[str] = []
    expiration_date: datetime | None = None
    time_to_live_in_seconds: int | None = Field(default=None, gt=0)


class CreatedKey(BaseModel):
    api_key_id: str
    key: str
    comment: str
    scopes: list[str]
    tags: list[str]
    created: str
    expiration_date: str | None = None


def key_body(key: ApiKey) -> KeyBody:
    return KeyBody(
        api_key_id=key.api_key_id,
        comment=key.comment,
        scopes=list(key.scopes),
        tags=list(key.tags),
        created=iso(key.created),
        expiration_date=iso(key.expiration_date),
    )


def key_member(member: Member) -> KeyMember:
    return KeyMember(
        member_id=member.member_id, email=member.email, first_name=member.first_name, last_name=member.last_name
    )


def _own_only(caller: Principal, everyone: str) -> str | None:
    """The member whose keys the caller is limited to, or None if they reach everyone's."""
    return None if everyone in caller.permissions else caller.member_id


async def _visible_key(session: AsyncSession, caller: Principal, key_id: str, everyone: str) -> tuple[ApiKey, Member]:
    found = await keys.get_key(session, caller.project_id, key_id)
    own = _own_only(caller, everyone)
    if found is None or (own is not None and found[0].member_id != own):
        raise NotFound("A key")
    return found


@router.get("/v1/projects/{project_id}/keys", response_model=KeyList, response_model_exclude_none=True)
async def list_keys(
    status: Literal["active", "expired"] | None = None,
    caller: Principal = Depends(project_access("keys.list")),
    session: AsyncSession = db_session,
) -> KeyList:
    rows = await keys.list_keys(session, caller.project_id, member_id=_own_only(caller, "keys:read:all"), status=status)
    return KeyList(api_keys=[KeyEntry(member=key_member(m), api_key=key_body(k)) for k, m in rows])


@router.get("/v1/projects/{project_id}/keys/{key_id}", response_model=OneKey, response_model_exclude_none=True)
async def get_key(
    key_id: str, caller: Principal = Depends(project_access("keys.get")), session: AsyncSession = db_session
) -> OneKey:
    key, member = await _visible_key(session, caller, key_id, "keys:read:all")
    body, owner = key_body(key), key_member(member)
    return OneKey(item=KeyItem(member=KeyItemMember(**owner.model_dump(), api_key=body)), member=owner, api_key=body)


@router.post("/v1/projects/{project_id}/keys", response_model=CreatedKey, response_model_exclude_none=True)
async def create_key(
    body: KeyCreate, caller: Principal = Depends(project_access("keys.create")), session: AsyncSession = db_session
) -> CreatedKey:
    if body.expiration_date is not None and body.time_to_live_in_seconds is not None:
        raise InvalidRequest("Provide at most one of `expiration_date` and `time_to_live_in_seconds`.")
    if not body.scopes:
        raise InvalidRequest("A key needs at least one scope.")
    unknown = scopes.unknown_scopes(body.scopes)
    if unknown:
        raise InvalidRequest(f"Unknown scopes: {', '.join(unknown)}.")
    # A key never does more than the key that made it (and so than its member).
    if not scopes.expand(body.scopes) <= caller.permissions:
        raise InsufficientPermissions()
    expiration = body.expiration_date
    if body.time_to_live_in_seconds is not None:
        expiration = utcnow() + timedelta(seconds=body.time_to_live_in_seconds)
    key, secret = await keys.create_key(
        session,
        project_id=caller.project_id,
        member_id=caller.member_id,
        comment=body.comment,
        scopes=body.scopes,
        tags=body.tags,
        expiration_date=expiration,
    )
    shown = key_body(key)
    return CreatedKey(key=secret, **shown.model_dump())


@router.delete("/v1/projects/{project_id}/keys/{key_id}", response_model=Message)
async def delete_key(
    key_id: str, caller: Principal = Depends(project_access("keys.delete")), session: AsyncSession = db_session
) -> Message:
    key, _member = await _visible_key(session, caller, key_id, "keys:write:all")
    await keys.delete_key(session, key)
    return Message(message="Successfully deleted the API key!")

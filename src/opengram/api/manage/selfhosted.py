"""Self-hosted distribution credentials (spec 8.8), served under the current `self-hosted` path and the
older `selfhosted` and `onprem` spellings, with or without a trailing slash."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from opengram.accounts import credentials, scopes
from opengram.accounts.keys import Principal
from opengram.accounts.models import DistributionCredential, Member
from opengram.api.manage.access import db_session, project_access
from opengram.api.manage.wire import iso
from opengram.errors import InvalidRequest, NotFound

PROVIDERS = ("quay",)
DEFAULT_SCOPES = ["self-hosted:products"]


def credential_body(c: DistributionCredential, m: Member) -> dict[str, Any]:
    return {
        "member": {"member_id": m.member_id, "email": m.email},
        "distribution_credentials": {
            "distribution_credentials_id": c.distribution_credentials_id,
            "provider": c.provider,
            "comment": c.comment,
            "scopes": list(c.scopes),
            "created": iso(c.created),
        },
    }


async def _one(session: AsyncSession, caller: Principal, credential_id: str) -> tuple[DistributionCredential, Member]:
    found = await credentials.get_credential(session, caller.project_id, credential_id)
    if found is None:
        raise NotFound("A distribution credential")
    return found


async def list_credentials(
    caller: Principal = Depends(project_access("credentials.list")), session: AsyncSession = db_session
) -> dict[str, Any]:
    rows = await credentials.list_credentials(session, caller.project_id)
    return {"distribution_credentials": [credential_body(c, m) for c, m in rows]}


async def create_credential(
    scopes_: list[str] = Query(default=[], alias="scopes"),
    provider: str | None = None,
    body: dict[str, Any] | None = Body(default=None),
    caller: Principal = Depends(project_access("credentials.create")),
    session: AsyncSession = db_session,
) -> dict[str, Any]:
    body = body or {}
    # The current SDK sends scopes and provider in the query; the JS SDK in the body.
    chosen = scopes_ or body.get("scopes") or DEFAULT_SCOPES
    chosen = [chosen] if isinstance(chosen, str) else list(chosen)
    provider = provider or body.get("provider") or "quay"
    unknown = [s for s in chosen if s not in scopes.SELF_HOSTED_SCOPES]
    if unknown:
        raise InvalidRequest(f"Unknown distribution credential scopes: {', '.join(map(str, unknown))}.")
    if provider not in PROVIDERS:
        raise InvalidRequest(f"Unknown provider {provider!r}: the only one is 'quay'.")
    comment = body.get("comment")
    credential = await credentials.create_credential(
        session,
        caller.project_id,
        caller.member_id,
        provider=provider,
        comment=str(comment) if comment is not None else None,
        scopes=chosen,
    )
    member = await session.get(Member, caller.member_id)
    assert member is not None  # the caller's own
    return credential_body(credential, member)


async def get_credential(
    distribution_credentials_id: str,
    caller: Principal = Depends(project_access("credentials.get")),
    session: AsyncSession = db_session,
) -> dict[str, Any]:
    return credential_body(*await _one(session, caller, distribution_credentials_id))


async def delete_credential(
    distribution_credentials_id: str,
    caller: Principal = Depends(project_access("credentials.delete")),
    session: AsyncSession = db_session,
) -> dict[str, Any]:
    credential, member = await _one(session, caller, distribution_credentials_id)
    body = credential_body(credential, member)
    await credentials.delete_credential(session, credential)
    return body


router = APIRouter(tags=["self-hosted"])
for spelling in ("self-hosted", "selfhosted", "onprem"):
    base = f"/v1/projects/{{project_id}}/{spelling}/distribution/credentials"
    hidden = spelling != "self-hosted"  # one set in the OpenAPI document
    for path in (base, base + "/"):
        router.add_api_route(path, list_credentials, methods=["GET"], include_in_schema=not hidden and path == base)
        router.add_api_route(path, create_credential, methods=["POST"], include_in_schema=not hidden and path == base)
    one = base + "/{distribution_credentials_id}"
    router.add_api_route(one, get_credential, methods=["GET"], include_in_schema=not hidden)
    router.add_api_route(one, delete_credential, methods=["DELETE"], include_in_schema=not hidden)

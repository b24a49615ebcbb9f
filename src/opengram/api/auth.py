"""Auth endpoints (spec 7): temporary tokens, and a key's self-check."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends

from opengram.accounts import scopes, tokens
from opengram.accounts.keys import Principal
from opengram.api.deps import inference_principal, principal
from opengram.api.services import Services, services
from opengram.errors import BadRequest, Forbidden

router = APIRouter(tags=["auth"])


@router.post("/v1/auth/grant")
async def grant(
    ttl_seconds: float | None = Body(default=None, embed=True),
    caller: Principal = Depends(principal),
    services: Services = Depends(services),
) -> dict[str, Any]:
    """A JWT for `Authorization: Bearer` on listen, speak and read, acting for this key for `ttl_seconds`
    (default 30, at most 3600)."""
    if not scopes.allows(caller.permissions, "auth.grant"):
        raise Forbidden()
    ttl = tokens.DEFAULT_TTL if ttl_seconds is None else ttl_seconds
    if not 1 <= ttl <= tokens.MAX_TTL:
        raise BadRequest(f"ttl_seconds must be between 1 and {tokens.MAX_TTL}.")
    token = tokens.issue(services.token_signing_key, caller, ttl)
    return {"access_token": token, "expires_in": int(ttl) if float(ttl).is_integer() else ttl}


@router.get("/v1/auth/token")
async def token_details(caller: Principal = Depends(inference_principal)) -> dict[str, Any]:
    """What the presented key (or temporary token) is and may do: Deepgram documents this as a validity
    check. It costs one authentication and nothing more."""
    return {
        "accessor": caller.api_key_id,
        "api_key_id": caller.api_key_id,
        "project_id": caller.project_id,
        "member_id": caller.member_id,
        "scopes": sorted(caller.permissions) if caller.temporary else list(caller.scopes),
        "permissions": sorted(caller.permissions),
        "temporary": caller.temporary,
    }

"""Temporary tokens (`POST /v1/auth/grant`): short-lived HS256 JWTs minted from an API key.

The signing key is generated once by migration 0002 and kept in the database, so every server process on
that database signs and verifies alike. A token names its key (`accessor`): requests made with it are
attributed to that key, and it stops working as soon as the key is deleted or expires.
"""

from __future__ import annotations

import math
import time
import uuid
from typing import Any

import jwt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from opengram.accounts import scopes
from opengram.accounts.keys import Principal
from opengram.accounts.models import ServerSecret

ALGORITHM = "HS256"
ISSUER = "opengram"
DEFAULT_TTL = 30
MAX_TTL = 3600
SIGNING_KEY_NAME = "token_signing_key"


async def signing_key(session: AsyncSession) -> str:
    value = await session.scalar(select(ServerSecret.value).where(ServerSecret.name == SIGNING_KEY_NAME))
    if value is None:
        raise RuntimeError("the database has no token signing key: run the migrations")
    return value


def issue(key: str, caller: Principal, ttl_seconds: float) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": caller.api_key_id,
        "accessor": caller.api_key_id,
        "project_id": caller.project_id,
        "scopes": sorted(scopes.TOKEN_PERMISSIONS),
        "project_claims": sorted(scopes.TOKEN_PERMISSIONS),
        "iat": now,
        "created": now,
        "exp": now + math.ceil(ttl_seconds),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def verify(key: str, token: str) -> dict[str, Any] | None:
    """The claims of a token we signed that has not expired, or None."""
    try:
        return jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "accessor", "iss"]},
            leeway=1,  # `iat` and `exp` are whole seconds: without it a 1 s token could be dead on arrival
        )
    except jwt.PyJWTError:
        return None


def restrict(key_principal: Principal) -> Principal:
    """What a token minted from this key may do: `usage:write`, if the key still may."""
    return Principal(
        key_principal.api_key_id,
        key_principal.member_id,
        key_principal.project_id,
        key_principal.scopes,
        permissions=key_principal.permissions & scopes.TOKEN_PERMISSIONS,
        temporary=True,
    )

"""Who may call a management endpoint: one dependency per route, naming its entry in the permission table.

    @router.get("/v1/projects/{project_id}/keys")
    async def list_keys(caller: Principal = Depends(project_access("keys.list")), ...): ...

Order of refusals: no or bad key (401 INVALID_AUTH; temporary tokens are refused), malformed project id
(404 plain text), another tenant's or a deleted project (404 PROJECT_NOT_FOUND, the same as no project at
all), and only then missing permissions (401 INSUFFICIENT_PERMISSIONS), so nothing is learned about
projects one cannot see.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from opengram.accounts import scopes
from opengram.accounts.keys import Principal
from opengram.api.deps import principal
from opengram.api.services import Services, services
from opengram.errors import InsufficientPermissions, ProjectNotFound, UuidParsingFailed

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
    raise UuidParsingFailed(
        f"UUID parsing failed: invalid length: expected 32 hex digits, found {len(raw.replace('-', ''))}"
    )


def require(caller: Principal, endpoint: str) -> None:
    if not scopes.allows(caller.permissions, endpoint):
        raise InsufficientPermissions()


def access(endpoint: str) -> Callable[..., Awaitable[Principal]]:
    """For endpoints outside a project (`/v1/projects`, `/v1/models`)."""
    scopes.ENDPOINTS[endpoint]  # a typo fails at import, not at request time

    async def check(caller: Principal = Depends(principal)) -> Principal:
        require(caller, endpoint)
        return caller

    return check


def project_access(endpoint: str) -> Callable[..., Awaitable[Principal]]:
    """For `/v1/projects/{project_id}/…`: the caller's own project only. A key sees exactly one project,
    and authentication has already checked that it is not deleted."""
    scopes.ENDPOINTS[endpoint]

    async def check(project_id: str, caller: Principal = Depends(principal)) -> Principal:
        if parse_project_id(project_id) != caller.project_id:
            raise ProjectNotFound()
        require(caller, endpoint)
        return caller

    return check


async def _session(services: Services = Depends(services)) -> AsyncIterator[AsyncSession]:
    async with services.sessions.begin() as session:
        yield session


# One transaction per request, committed before the response goes out (scope="function"), so that a
# client's next request sees what this one changed.
db_session = Depends(_session, scope="function")

"""Request-scoped dependencies: the request id, a database session, and the authenticated caller."""

from __future__ import annotations

from fastapi import Request

from opengram.accounts.keys import Principal, authenticate
from opengram.errors import InvalidAuth


def request_id(request: Request) -> str:
    return request.scope["state"]["request_id"]


def credentials(authorization: str | None) -> tuple[str, str] | None:
    """Split `Authorization: <scheme> <secret>`; the scheme is matched case-insensitively."""
    if not authorization:
        return None
    scheme, _, secret = authorization.strip().partition(" ")
    secret = secret.strip()
    if not secret:
        return None
    return scheme.lower(), secret


async def principal(request: Request) -> Principal:
    """The key behind `Authorization: Token <key>`, or 401 INVALID_AUTH."""
    parsed = credentials(request.headers.get("authorization"))
    # `Bearer` is reserved for temporary tokens, which are not issued yet.
    if parsed is None or parsed[0] != "token":
        raise InvalidAuth()
    async with request.app.state.sessions() as session:
        found = await authenticate(session, parsed[1])
    if found is None:
        raise InvalidAuth()
    request.scope["state"]["api_key_id"] = found.api_key_id  # for the request's log line
    return found

"""Who is calling: credentials from the request, and the authenticated caller (a `Principal`), as
dependencies. Authentication notes the caller's key in the request context, for the request's log line."""

from __future__ import annotations

from fastapi import Depends, Request
from starlette.requests import HTTPConnection

from opengram.accounts import tokens
from opengram.accounts.keys import Principal, authenticate, principal_for_key
from opengram.api.context import request_context
from opengram.api.services import Services, services
from opengram.errors import InvalidAuth


def credentials(authorization: str | None) -> tuple[str, str] | None:
    """Split `Authorization: <scheme> <secret>`; the scheme is matched case-insensitively."""
    if not authorization:
        return None
    scheme, _, secret = authorization.strip().partition(" ")
    secret = secret.strip()
    if not secret:
        return None
    return scheme.lower(), secret


def authenticated(conn: HTTPConnection, found: Principal | None, error: InvalidAuth | None = None) -> Principal:
    """`found`, noted in the request context; or the 401 (`error`, or a plain INVALID_AUTH) if nobody was."""
    if found is None:
        raise error or InvalidAuth()
    request_context(conn).api_key_id = found.api_key_id  # for the request's log line
    return found


async def principal(request: Request, services: Services = Depends(services)) -> Principal:
    """The key behind `Authorization: Token <key>`, or 401 INVALID_AUTH."""
    parsed = credentials(request.headers.get("authorization"))
    # Management takes API keys only: temporary tokens (`Bearer`) are refused here.
    if parsed is None or parsed[0] != "token":
        raise InvalidAuth()
    async with services.sessions() as session:
        found = await authenticate(session, parsed[1])
    return authenticated(request, found)


def connection_credentials(conn: HTTPConnection) -> tuple[str, str] | None:
    """`Authorization`, or on a WebSocket the browsers' `Sec-WebSocket-Protocol: token, <key>` (or `bearer, <jwt>`)."""
    parsed = credentials(conn.headers.get("authorization"))
    if parsed is None and conn.scope["type"] == "websocket":
        protocols = [p.strip() for p in conn.headers.get("sec-websocket-protocol", "").split(",")]
        if len(protocols) >= 2 and protocols[0].lower() in ("token", "bearer") and protocols[1]:
            parsed = protocols[0].lower(), protocols[1]
    return parsed


async def inference_principal(conn: HTTPConnection, services: Services = Depends(services)) -> Principal:
    """For listen, speak and read (REST or WebSocket): an API key (`Token`) or a temporary token from
    /v1/auth/grant (`Bearer`), which acts for the key that minted it while that key is valid."""
    parsed = connection_credentials(conn)
    if parsed is None or parsed[0] not in ("token", "bearer"):
        raise InvalidAuth()
    scheme, secret = parsed
    async with services.sessions() as session:
        if scheme == "token":
            found = await authenticate(session, secret)
        else:
            claims = tokens.verify(services.token_signing_key, secret)
            key = await principal_for_key(session, str(claims["accessor"])) if claims else None
            found = tokens.restrict(key) if key is not None else None
    return authenticated(conn, found)

"""Request-scoped dependencies: the request id, a database session, and the authenticated caller."""

from __future__ import annotations

from fastapi import Request
from starlette.requests import HTTPConnection

from opengram.accounts import tokens
from opengram.accounts.keys import Principal, authenticate, principal_for_key
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
    # Management takes API keys only: temporary tokens (`Bearer`) are refused here.
    if parsed is None or parsed[0] != "token":
        raise InvalidAuth()
    async with request.app.state.sessions() as session:
        found = await authenticate(session, parsed[1])
    if found is None:
        raise InvalidAuth()
    request.scope["state"]["api_key_id"] = found.api_key_id  # for the request's log line
    return found


def connection_credentials(conn: HTTPConnection) -> tuple[str, str] | None:
    """`Authorization`, or on a WebSocket the browsers' `Sec-WebSocket-Protocol: token, <key>` (or `bearer, <jwt>`)."""
    parsed = credentials(conn.headers.get("authorization"))
    if parsed is None and conn.scope["type"] == "websocket":
        protocols = [p.strip() for p in conn.headers.get("sec-websocket-protocol", "").split(",")]
        if len(protocols) >= 2 and protocols[0].lower() in ("token", "bearer") and protocols[1]:
            parsed = protocols[0].lower(), protocols[1]
    return parsed


async def inference_principal(conn: HTTPConnection) -> Principal:
    """For listen, speak and read (REST or WebSocket): an API key (`Token`) or a temporary token from
    /v1/auth/grant (`Bearer`), which acts for the key that minted it while that key is valid."""
    parsed = connection_credentials(conn)
    if parsed is None or parsed[0] not in ("token", "bearer"):
        raise InvalidAuth()
    scheme, secret = parsed
    async with conn.app.state.sessions() as session:
        if scheme == "token":
            found = await authenticate(session, secret)
        else:
            claims = tokens.verify(conn.app.state.token_signing_key, secret)
            key = await principal_for_key(session, str(claims["accessor"])) if claims else None
            found = tokens.restrict(key) if key is not None else None
    if found is None:
        raise InvalidAuth()
    conn.scope["state"]["api_key_id"] = found.api_key_id  # for the request's log line
    return found

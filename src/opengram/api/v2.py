"""The legacy v2 API (seed 003): `POST /v2/listen`, the live stream at `wss://…/v2`, and
`GET/POST/DELETE /v2/keys`, with `Authorization: Basic base64(key:secret)`.

A v2 pair is one of our API keys: its `key` is the key's public id (`api_key_id`), its `secret` the
secret (kept hashed like every secret). So every v1 key also works as a v2 pair, a v2 key is a v1 key, and
both live in the same projects, under the same scopes and in the same request log. `Token` keys are
accepted here too, so a v1 key can create the first v2 pair.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import APIRouter, Body, Depends, Request, WebSocket
from fastapi.responses import JSONResponse, Response
from starlette.requests import HTTPConnection

from opengram.accounts import keys, scopes
from opengram.accounts.keys import Principal
from opengram.api import flux
from opengram.api.admission import Admitted, admitted
from opengram.api.deps import authenticated, connection_credentials, credentials, inference_principal
from opengram.api.listen import transcribe_request
from opengram.api.listen_ws import serve_stream
from opengram.api.services import Services, services
from opengram.errors import InsufficientPermissions, InvalidAuth, ResourceNotFound
from opengram.speech import legacy

router = APIRouter(tags=["legacy v2"])

# Basic auth's challenge, so HTTP clients know which credentials to offer.
CHALLENGE = {"WWW-Authenticate": 'Basic realm="Deepgram"'}

# The query parameters seed 003 documents for pre-recorded audio; the v1 parser reads them all the same
# way (`redact=true` is `numbers`, `ner` joins spelled letters and digits). Others are ignored, as v2 knew
# no more.
PARAMETERS = {
    "model", "version", "language", "punctuate", "profanity_filter", "redact", "diarize", "ner",
    "multichannel", "alternatives", "numerals", "search", "callback", "keywords", "utterances", "utt_split",
}  # fmt: skip


# The live stream's parameters (seed 003), and its default: interim results, which v2 sent unless told not to.
STREAM_PARAMETERS = (PARAMETERS - {"utterances", "utt_split"}) | {
    "interim_results", "endpointing", "encoding", "channels", "sample_rate", "callback_method",
}  # fmt: skip
STREAM_DEFAULTS = [("interim_results", "true")]


def basic_pair(value: str) -> tuple[str, str] | None:
    """`base64(key:secret)` -> (key, secret), or None if it is not that."""
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, sep, secret = decoded.partition(":")
    return (key, secret) if sep and key and secret else None


async def v2_principal(conn: HTTPConnection, services: Services = Depends(services)) -> Principal:
    """`Basic base64(key:secret)`, or a v1 `Token`; anything else is 401 with a Basic challenge."""
    parsed = credentials(conn.headers.get("authorization"))
    found = None
    if parsed is not None and parsed[0] in ("basic", "token"):
        scheme, value = parsed
        pair = basic_pair(value) if scheme == "basic" else None
        if scheme == "token" or pair is not None:
            async with services.sessions() as session:
                found = await (keys.authenticate_pair(session, *pair) if pair else keys.authenticate(session, value))
    return authenticated(conn, found, InvalidAuth(headers=CHALLENGE))


async def flux_principal(conn: HTTPConnection, services: Services) -> Principal:
    """Flux takes Basic pairs too (§1.9); otherwise a key or a temporary token, as every listen does."""
    parsed = credentials(conn.headers.get("authorization"))
    if parsed is not None and parsed[0] == "basic":
        return await v2_principal(conn, services)
    return await inference_principal(conn, services)


def _require(caller: Principal, endpoint: str) -> None:
    if not scopes.allows(caller.permissions, endpoint):
        raise InsufficientPermissions()


def _own_only(caller: Principal, everyone: str) -> str | None:
    """Members see and delete their own keys; admins everyone's (as on /v1/projects/{id}/keys)."""
    return None if everyone in caller.permissions else caller.member_id


@router.post("/v2/listen")
async def listen(
    request: Request,
    admitted: Admitted = admitted("prerecorded", v2_principal),
    services: Services = Depends(services),
) -> JSONResponse:
    """Pre-recorded transcription, answered in the v2 shape; with `callback`, the v2 shape is delivered."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k in PARAMETERS]
    return await transcribe_request(request, admitted, services, params, shape=legacy.v2_response)


def _stream_query(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return STREAM_DEFAULTS + [(k, v) for k, v in items if k in STREAM_PARAMETERS]


@router.websocket("/v2")
@router.websocket("/v2/listen")
async def listen_stream(websocket: WebSocket) -> None:
    """The v2 live stream (`wss://host/v2`): binary audio in, an empty binary message to finish; v2-shaped
    results out, then the summary metadata. The v1 stream's machinery, with Basic auth.

    `/v2/listen` is also Flux's path (spec §1.9): a `flux-*` model is Flux whatever the auth; `Bearer` and
    the browser subprotocol (which this legacy stream never took) are Flux too, refused there with 400 for
    a model that is not Flux's. Basic and `Token` with any other model, or none, stay legacy."""
    if websocket.url.path == flux.PATH:
        parsed = connection_credentials(websocket)
        if flux.is_flux(websocket.query_params.get("model")) or (
            parsed is not None and parsed[0] not in ("basic", "token")
        ):
            await flux.serve(websocket, authenticate=flux_principal)
            return
    await serve_stream(
        websocket,
        authenticate=v2_principal,
        query=_stream_query,
        shape=legacy.v2_stream_message,
    )


@router.get("/v2/keys")
async def list_keys(
    caller: Principal = Depends(v2_principal), services: Services = Depends(services)
) -> dict[str, Any]:
    _require(caller, "keys.list")
    async with services.sessions() as session:
        rows = await keys.list_keys(session, caller.project_id, member_id=_own_only(caller, "keys:read:all"))
    return {"keys": [{"key": key.api_key_id, "label": key.comment} for key, _member in rows]}


@router.post("/v2/keys", status_code=201)
async def create_key(
    label: str = Body(..., embed=True),
    caller: Principal = Depends(v2_principal),
    services: Services = Depends(services),
) -> JSONResponse:
    """A new pair for the caller's member in the caller's project; the secret is shown this once. It
    carries the scopes of the key that made it, so it never does more."""
    _require(caller, "keys.create")
    async with services.sessions.begin() as session:
        key, secret = await keys.create_key(
            session,
            project_id=caller.project_id,
            member_id=caller.member_id,
            comment=label,
            scopes=list(caller.scopes),
        )
    return JSONResponse({"key": key.api_key_id, "secret": secret, "label": key.comment}, status_code=201)


async def _delete(services: Services, caller: Principal, key_id: str, project: str | None) -> Response:
    _require(caller, "keys.delete")
    async with services.sessions.begin() as session:
        found = await keys.get_key(session, caller.project_id, key_id)
        own = _own_only(caller, "keys:write:all")
        if (
            found is None
            or (project is not None and project != caller.project_id)
            or (own and found[0].member_id != own)
        ):
            raise ResourceNotFound()
        await keys.delete_key(session, found[0])
    return Response(status_code=204)


@router.delete("/v2/keys")
async def delete_key(
    key: str = Body(..., embed=True),
    project: str | None = Body(None, embed=True),
    caller: Principal = Depends(v2_principal),
    services: Services = Depends(services),
) -> Response:
    """The seed's form: `{"key": …}` in the body (with the optional `project` that holds it)."""
    return await _delete(services, caller, key, project)


@router.delete("/v2/keys/{key}")
async def delete_key_by_path(
    key: str, caller: Principal = Depends(v2_principal), services: Services = Depends(services)
) -> Response:
    return await _delete(services, caller, key, None)

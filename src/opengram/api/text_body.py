"""The text a request carries, for /v1/read and /v1/speak: a `text/plain` body, or JSON with exactly one of
`text` or `url` (the URL fetched like an audio URL). Sizes are bounded while reading, never after."""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi import Request

from opengram.config import Settings
from opengram.errors import PayloadError, PayloadTooLarge, UnsupportedMediaType
from opengram.speech import source as sources

EXACTLY_ONE = "Failed to deserialize JSON payload. Please specify exactly one of `text` or `url` in the JSON body."
BAD_URL = "Failed to parse URL in JSON body."


def utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise PayloadError("Failed to decode payload as UTF-8.") from None


async def _body(request: Request, max_bytes: int, too_large: str) -> bytes:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > max_bytes:
        raise PayloadTooLarge(too_large)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise PayloadTooLarge(too_large)
    return bytes(body)


async def text_of(
    request: Request,
    settings: Settings,
    *,
    max_bytes: int,
    too_large: str,
    default_type: str,
    check_url: Callable[[object], bool] = lambda url: isinstance(url, str),
) -> str:
    """The request's text. `default_type` stands in for a missing Content-Type; a `url` that `check_url`
    refuses is a PAYLOAD_ERROR (others fail, if they do, as fetching fails: REMOTE_CONTENT_ERROR)."""
    media_type = request.headers.get("content-type", default_type).split(";")[0].strip().lower()
    if media_type not in ("application/json", "text/plain"):
        raise UnsupportedMediaType()
    body = utf8(await _body(request, max_bytes, too_large))
    if media_type == "text/plain":
        return body
    try:
        payload = json.loads(body)
    except ValueError:
        raise PayloadError(EXACTLY_ONE) from None
    if not isinstance(payload, dict) or ("text" in payload) == ("url" in payload):
        raise PayloadError(EXACTLY_ONE)
    if "text" in payload:
        if not isinstance(payload["text"], str):
            raise PayloadError(EXACTLY_ONE)
        return payload["text"]
    if not check_url(payload["url"]):
        raise PayloadError(BAD_URL)
    fetched = await sources.fetch_url(payload["url"], settings, max_bytes=max_bytes)
    try:
        return utf8(fetched.file.read())
    finally:
        fetched.close()

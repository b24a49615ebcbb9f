"""What every resource shares: the client options, the base URL, the query string, one request function
(async and sync) and the one error type. Built on httpx; nothing here knows a resource."""

from __future__ import annotations

import json as jsonlib
import os
import platform
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from opengram import __version__

# Where `Deepgram(KEY)` goes without an `api_url`: $OPENGRAM_URL, else a local `opengram serve`. (The old
# SDK defaulted to Deepgram's hosted API; pass `"api_url": "https://api.deepgram.com/v1"` for that.)
LOCAL_URL = "http://localhost:8080"
# Transcribing a long file takes a while; the old SDK (aiohttp) waited five minutes too.
DEFAULT_TIMEOUT = 300.0

Options = dict[str, Any]


class DeepgramApiError(Exception):
    """Any failed call: `status` is the HTTP status (None when the server could not be reached), `body`
    the parsed JSON error body (or its text)."""

    def __init__(self, status: int | None, body: Any, message: str | None = None):
        self.status = status
        self.body = body
        super().__init__(message or f"DG: {status} {body}")

    @property
    def err_msg(self) -> str:
        """The human part of a Deepgram error body, whichever of its shapes it has."""
        if isinstance(self.body, dict):
            for name in ("err_msg", "message", "error"):
                if self.body.get(name):
                    text = str(self.body[name])
                    details = self.body.get("details")
                    return f"{text} {details}" if details else text
        return str(self.body)


def normalize(options: str | Mapping[str, Any]) -> Options:
    """`Deepgram(KEY)` or `Deepgram({"api_key": KEY, "api_url": URL, ...})` -> one options dict."""
    if isinstance(options, str):
        options = {"api_key": options}
    options = dict(options)
    if not options.get("api_key"):
        raise ValueError("DG: an api_key is required")
    options["api_url"] = base_url(options.get("api_url") or os.environ.get("OPENGRAM_URL") or LOCAL_URL)
    return options


def base_url(url: str) -> str:
    """The API root ending in `/v1`. Accepts `http://host:8080`, `…/v1`, and the seed README's
    `…/v1/listen` (the old SDK would have asked for `…/v1/listen/listen` there)."""
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = "https://" + url
    url = re.sub(r"/listen$", "", url)
    if not url.endswith("/v1"):
        url += "/v1"
    return url


def root_url(options: Options) -> str:
    """The server root, without `/v1`."""
    return options["api_url"][: -len("/v1")]


def query_pairs(params: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """Deepgram's query conventions: lists repeat their key, booleans are lowercase, None and "" are left out."""
    pairs: list[tuple[str, str]] = []

    def add(key: str, value: Any) -> None:
        if value is None or value == "":
            return
        if isinstance(value, (list, tuple, set)):
            for item in value:
                add(key, item)
        elif isinstance(value, bool):
            pairs.append((key, str(value).lower()))
        else:
            pairs.append((key, str(value)))

    for key, value in (params or {}).items():
        add(key, value)
    return pairs


def query_string(params: Mapping[str, Any] | None) -> str:
    pairs = query_pairs(params)
    return "?" + urlencode(pairs) if pairs else ""


def segment(value: str) -> str:
    """A path segment (an email in `/invites/{email}`), escaped."""
    return quote(str(value), safe="@")


def headers(options: Options, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    return {
        **(extra or {}),
        "Authorization": f"{options.get('auth_method', 'Token')} {options['api_key']}",
        "User-Agent": f"opengram-client/{__version__} python/{platform.python_version()}",
    }


def _timeout(options: Options) -> httpx.Timeout:
    return httpx.Timeout(float(options.get("timeout", DEFAULT_TIMEOUT)), connect=10.0)


def _result(response: httpx.Response, raw: bool = False) -> Any:
    if response.status_code >= 400:
        raise error_of(response.status_code, response.text)
    if raw:
        return response.content
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise DeepgramApiError(response.status_code, response.text, f"DG: not JSON: {response.text[:200]}") from None


def error_of(status: int, text: str) -> DeepgramApiError:
    try:
        body: Any = jsonlib.loads(text)
    except ValueError:
        body = text
    return DeepgramApiError(status, body)


def _unreachable(options: Options, exc: httpx.TransportError) -> DeepgramApiError:
    return DeepgramApiError(None, str(exc), f"DG: cannot reach {options['api_url']}: {exc}")


async def request(
    options: Options,
    method: str,
    path: str,
    *,
    params: Mapping[str, Any] | None = None,
    json: Any = None,
    content: bytes | Iterable[bytes] | None = None,
    extra_headers: Mapping[str, str] | None = None,
    raw: bool = False,
) -> Any:
    """One call to `api_url + path`; returns the parsed JSON body (None when empty), or with `raw` the
    body's bytes (audio)."""
    async with httpx.AsyncClient(timeout=_timeout(options)) as client:
        try:
            response = await client.request(
                method,
                options["api_url"] + path,
                params=query_pairs(params),
                json=json,
                content=content,
                headers=headers(options, extra_headers),
            )
        except httpx.TransportError as exc:
            raise _unreachable(options, exc) from None
    return _result(response, raw)


def sync_request(
    options: Options,
    method: str,
    path: str,
    *,
    params: Mapping[str, Any] | None = None,
    json: Any = None,
    content: bytes | Iterable[bytes] | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> Any:
    with httpx.Client(timeout=_timeout(options)) as client:
        try:
            response = client.request(
                method,
                options["api_url"] + path,
                params=query_pairs(params),
                json=json,
                content=content,
                headers=headers(options, extra_headers),
            )
        except httpx.TransportError as exc:
            raise _unreachable(options, exc) from None
    return _result(response)

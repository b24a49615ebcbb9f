"""POST (or PUT) a finished job's body to its callback URL, as Deepgram does."""

from __future__ import annotations

from typing import Any

import httpx


async def deliver(
    client: httpx.AsyncClient,
    url: str,
    method: str,
    body: dict[str, Any] | bytes,
    api_key_id: str | None,
    headers: dict[str, str] | None = None,
) -> int:
    """The receiver's status code; a network failure counts as 0. Deepgram sends `dg-token` for receivers
    to check the call came from the key they expect. A JSON body is a dict; bytes (TTS audio) go as they are,
    with the caller's `headers` saying what they are."""
    headers = {"dg-token": api_key_id or "", **(headers or {})}
    content = {"json": body} if isinstance(body, dict) else {"content": body}
    try:
        response = await client.request(method, url, headers=headers, **content)
    except httpx.HTTPError:
        return 0
    return response.status_code

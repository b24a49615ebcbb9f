"""POST (or PUT) a finished job's body to its callback URL, as Deepgram does."""

from __future__ import annotations

import httpx


async def deliver(client: httpx.AsyncClient, url: str, method: str, body: dict, api_key_id: str | None) -> int:
    """The receiver's status code; a network failure counts as 0. Deepgram sends `dg-token` for receivers
    to check the call came from the key they expect."""
    headers = {"dg-token": api_key_id or ""}
    try:
        response = await client.request(method, url, json=body, headers=headers)
    except httpx.HTTPError:
        return 0
    return response.status_code

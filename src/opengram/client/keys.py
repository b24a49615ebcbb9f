"""`deepgram.keys`: list, get, create (the secret comes back once, as `key`), delete."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from opengram.client._http import Options, request


class Keys:
    def __init__(self, options: Options):
        self.options = options

    async def list(self, project_id: str, status: str | None = None) -> dict:
        return await request(self.options, "GET", f"/projects/{project_id}/keys", params={"status": status})

    async def get(self, project_id: str, key_id: str) -> dict:
        return await request(self.options, "GET", f"/projects/{project_id}/keys/{key_id}")

    async def create(
        self,
        project_id: str,
        comment: str,
        scopes: list[str],
        expiration_date: datetime | str | None = None,
        time_to_live_in_seconds: int | None = None,
        tags: list[str] | None = None,
    ) -> dict:
        body: dict[str, Any] = {"comment": comment, "scopes": list(scopes)}
        if expiration_date is not None:
            body["expiration_date"] = (
                expiration_date.isoformat() if isinstance(expiration_date, datetime) else expiration_date
            )
        if time_to_live_in_seconds is not None:
            body["time_to_live_in_seconds"] = time_to_live_in_seconds
        if tags:
            body["tags"] = list(tags)
        return await request(self.options, "POST", f"/projects/{project_id}/keys", json=body)

    async def delete(self, project_id: str, key_id: str) -> None:
        await request(self.options, "DELETE", f"/projects/{project_id}/keys/{key_id}")

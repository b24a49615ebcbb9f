"""`deepgram.projects`: list, get, update (and delete, leave)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opengram.client._http import Options, request


class Projects:
    def __init__(self, options: Options):
        self.options = options

    async def list(self) -> dict:
        return await request(self.options, "GET", "/projects")

    async def get(self, project_id: str) -> dict:
        return await request(self.options, "GET", f"/projects/{project_id}")

    async def update(self, project: Mapping[str, Any]) -> dict:
        """`project` holds `project_id` and the fields to change (`name`, `company`)."""
        body = {k: v for k, v in project.items() if k != "project_id"}
        return await request(self.options, "PATCH", f"/projects/{project['project_id']}", json=body)

    async def delete(self, project_id: str) -> dict:
        return await request(self.options, "DELETE", f"/projects/{project_id}")

    async def leave(self, project_id: str) -> dict:
        return await request(self.options, "DELETE", f"/projects/{project_id}/leave")

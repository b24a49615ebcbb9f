"""`deepgram.usage`: the request log, one request, the usage summary and the fields in use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opengram.client._http import Options, request


class Usage:
    def __init__(self, options: Options):
        self.options = options

    async def list_requests(self, project_id: str, options: Mapping[str, Any] | None = None) -> dict:
        return await request(self.options, "GET", f"/projects/{project_id}/requests", params=options)

    async def get_request(self, project_id: str, request_id: str) -> dict:
        return await request(self.options, "GET", f"/projects/{project_id}/requests/{request_id}")

    async def get_usage(self, project_id: str, options: Mapping[str, Any] | None = None) -> dict:
        return await request(self.options, "GET", f"/projects/{project_id}/usage", params=options)

    async def get_fields(self, project_id: str, options: Mapping[str, Any] | None = None) -> dict:
        return await request(self.options, "GET", f"/projects/{project_id}/usage/fields", params=options)

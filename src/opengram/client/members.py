"""`deepgram.members`: list a project's members, remove one."""

from __future__ import annotations

from opengram.client._http import Options, request


class Members:
    def __init__(self, options: Options):
        self.options = options

    async def list_members(self, project_id: str) -> dict:
        return await request(self.options, "GET", f"/projects/{project_id}/members")

    async def remove_member(self, project_id: str, member_id: str) -> dict:
        return await request(self.options, "DELETE", f"/projects/{project_id}/members/{member_id}")

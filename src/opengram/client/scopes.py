"""`deepgram.scopes`: a member's scopes in a project, read and changed."""

from __future__ import annotations

from opengram.client._http import Options, request


class Scopes:
    def __init__(self, options: Options):
        self.options = options

    async def get_scope(self, project_id: str, member_id: str) -> dict:
        return await request(self.options, "GET", f"/projects/{project_id}/members/{member_id}/scopes")

    async def update_scope(self, project_id: str, member_id: str, scope: str) -> dict:
        return await request(
            self.options, "PUT", f"/projects/{project_id}/members/{member_id}/scopes", json={"scope": scope}
        )

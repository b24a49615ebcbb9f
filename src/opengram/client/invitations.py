"""`deepgram.invitations`: list, send and withdraw invitations; leave a project."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opengram.client._http import Options, request, segment


class Invitations:
    def __init__(self, options: Options):
        self.options = options

    async def list_invitations(self, project_id: str) -> dict:
        return await request(self.options, "GET", f"/projects/{project_id}/invites")

    async def send_invitation(self, project_id: str, options: Mapping[str, Any]) -> dict:
        """`options` is `{"email": …, "scope": "member"}`. Opengram sends no mail: the answer carries the
        `token` the invitee joins with."""
        return await request(self.options, "POST", f"/projects/{project_id}/invites", json=dict(options))

    async def remove_invitation(self, project_id: str, email: str) -> dict:
        return await request(self.options, "DELETE", f"/projects/{project_id}/invites/{segment(email)}")

    async def leave_project(self, project_id: str) -> dict:
        return await request(self.options, "DELETE", f"/projects/{project_id}/leave")

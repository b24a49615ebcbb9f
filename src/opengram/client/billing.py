"""`deepgram.billing`: a project's balances."""

from __future__ import annotations

from opengram.client._http import Options, request


class Billing:
    def __init__(self, options: Options):
        self.options = options

    async def list_balance(self, project_id: str) -> dict:
        return await request(self.options, "GET", f"/projects/{project_id}/balances")

    async def get_balance(self, project_id: str, balance_id: str) -> dict:
        return await request(self.options, "GET", f"/projects/{project_id}/balances/{balance_id}")

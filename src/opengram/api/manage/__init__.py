"""The management API (spec 8): one router per resource, each route naming its entry in
`accounts.scopes.ENDPOINTS`."""

from fastapi import APIRouter

from opengram.api.manage import billing, invites, keys, members, models, projects, requests, selfhosted, usage

router = APIRouter()
for module in (projects, models, keys, members, invites, requests, usage, billing, selfhosted):
    router.include_router(module.router)

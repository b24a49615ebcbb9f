"""`opengram projects|keys|members|invites|usage|billing …`: operators manage tenants on the database
directly, through the same services as the API (`opengram.accounts`)."""

from opengram.commands import billing, invites, keys, members, projects, usage

GROUPS = {
    "projects": projects.app,
    "keys": keys.app,
    "members": members.app,
    "invites": invites.app,
    "usage": usage.app,
    "billing": billing.app,
}

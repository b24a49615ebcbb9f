"""`opengram projects|keys|members|invites|usage|billing …` talk to a server through `opengram.client`
(`--url`, `--key`, or OPENGRAM_URL / OPENGRAM_KEY); the few operator tasks no API offers (a new tenant,
its limits, credit, joining by invitation, a key when none works) use the database (`--database-url`)."""

from opengram.commands import billing, invites, keys, members, projects, usage

GROUPS = {
    "projects": projects.app,
    "keys": keys.app,
    "members": members.app,
    "invites": invites.app,
    "usage": usage.app,
    "billing": billing.app,
}

"""Roles, permissions, and the one table that says what every endpoint requires.

Members hold a role (`member`, `admin`, `owner`, spec section 8.9) in a project; keys hold scopes, which
are role names or single permissions (`usage:read`, `keys:write`, ...). A caller may do what both its key
and its member may do: the key's permissions intersected with the member's, computed afresh on every
request so that a demotion applies at once. Temporary tokens carry `usage:write` only.

Acting on another member (removing them, changing their role, inviting someone) also needs the
permission named after the target's role: removing an admin needs `admins:write:kick`, making someone an
owner needs `owners:write:scopes`.
"""

from __future__ import annotations

from collections.abc import Iterable

ROLES = ("member", "admin", "owner")  # weakest first

_MEMBER = frozenset({"project:read", "project:write", "keys:read", "keys:write", "usage:read", "usage:write"})
_ADMIN = _MEMBER | {
    # Every member's keys, not only one's own.
    "keys:read:all", "keys:write:all",
    *(f"{group}:{perm}" for group in ("members", "admins") for perm in (
        "read", "read:scopes", "read:invites", "write", "write:scopes", "write:invites", "write:kick",
    )),
    "owners:read", "owners:read:scopes", "owners:read:invites",
    "billing:read",
    "self-hosted:credentials:read", "self-hosted:credentials:write",
}  # fmt: skip
_OWNER = _ADMIN | {
    "project:write:settings", "project:write:destroy",
    "owners:write", "owners:write:scopes", "owners:write:invites", "owners:write:kick",
    "billing:write",
}  # fmt: skip

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "member": _MEMBER,
    "admin": frozenset(_ADMIN),
    "owner": frozenset(_OWNER),
}
PERMISSIONS = ROLE_PERMISSIONS["owner"]

# What temporary tokens from /v1/auth/grant may do.
TOKEN_PERMISSIONS = frozenset({"usage:write"})

# Scopes of self-hosted distribution credentials (and accepted on keys, where they grant nothing here).
SELF_HOSTED_SCOPES = frozenset(
    {"self-hosted:products", "self-hosted:product:api", "self-hosted:product:engine",
     "self-hosted:product:license-proxy", "self-hosted:product:dgtools", "self-hosted:product:billing",
     "self-hosted:product:hotpepper", "self-hosted:product:metrics-server"}
)  # fmt: skip

KEY_SCOPES = frozenset(ROLES) | PERMISSIONS | SELF_HOSTED_SCOPES

# Permissions that imply others (account level, spec 8.9).
_IMPLIES = {"project:write": {"project:read"}}

# THE table: endpoint -> permissions it requires. Every route names its entry; tests walk it all.
ENDPOINTS: dict[str, frozenset[str]] = {
    name: frozenset(required)
    for name, required in {
        # Inference: keys and temporary tokens.
        "listen": {"usage:write"},
        "speak": {"usage:write"},
        "read": {"usage:write"},
        # Auth.
        "auth.grant": {"usage:write"},
        "auth.token": set(),
        # Projects.
        "projects.list": set(),
        "projects.get": {"project:read"},
        "projects.update": {"project:write"},
        "projects.delete": {"project:write:destroy"},
        "projects.leave": {"project:write"},
        # Models.
        "models.list": set(),
        "models.get": set(),
        "projects.models.list": {"project:read"},
        "projects.models.get": {"project:read"},
        # Keys: members see and manage their own; `keys:*:all` reaches everyone's.
        "keys.list": {"keys:read"},
        "keys.get": {"keys:read"},
        "keys.create": {"keys:read", "keys:write"},
        "keys.delete": {"keys:write"},
        # Members, scopes, invitations.
        "members.list": {"members:read"},
        "members.remove": {"members:write:kick"},
        "members.scopes.get": {"members:read:scopes"},
        "members.scopes.update": {"members:write:scopes"},
        "invites.list": {"members:read:invites"},
        "invites.create": {"members:write:invites"},
        "invites.delete": {"members:write:invites"},
        # Usage.
        "requests.list": {"usage:read"},
        "requests.get": {"usage:read"},
        "usage.get": {"usage:read"},
        "usage.fields": {"usage:read"},
        "usage.breakdown": {"usage:read"},
        # Billing.
        "balances.list": {"billing:read"},
        "balances.get": {"billing:read"},
        "billing.breakdown": {"billing:read"},
        "billing.fields": {"billing:read"},
        "billing.purchases": {"billing:read"},
        # Self-hosted distribution credentials.
        "credentials.list": {"self-hosted:credentials:read"},
        "credentials.get": {"self-hosted:credentials:read"},
        "credentials.create": {"self-hosted:credentials:write"},
        "credentials.delete": {"self-hosted:credentials:write"},
    }.items()
}

# Endpoints that act on a member of some role, and the action whose role-named permission they need.
TARGET_ACTIONS = {
    "members.remove": "write:kick",
    "members.scopes.update": "write:scopes",
    "invites.create": "write:invites",
    "invites.delete": "write:invites",
}


def expand(scopes: Iterable[str]) -> frozenset[str]:
    """The permissions a list of scopes grants: roles expand, permissions stand for themselves."""
    granted: set[str] = set()
    for scope in scopes:
        if scope in ROLE_PERMISSIONS:
            granted |= ROLE_PERMISSIONS[scope]
        elif scope in PERMISSIONS:
            granted.add(scope)
            granted |= _IMPLIES.get(scope, set())
    return frozenset(granted)


def effective(key_scopes: Iterable[str], member_scopes: Iterable[str]) -> frozenset[str]:
    """What a key may do: never more than its member."""
    return expand(key_scopes) & expand(member_scopes)


def role_of(scopes: Iterable[str]) -> str:
    """The strongest role among a member's scopes (`member` when none is named)."""
    held = set(scopes)
    return next((role for role in reversed(ROLES) if role in held), "member")


def allows(permissions: frozenset[str], endpoint: str) -> bool:
    return ENDPOINTS[endpoint] <= permissions


def allows_on(permissions: frozenset[str], endpoint: str, role: str) -> bool:
    """Whether `endpoint` may act on a member holding (or being given) `role`."""
    return f"{role}s:{TARGET_ACTIONS[endpoint]}" in permissions


def unknown_scopes(scopes: Iterable[str]) -> list[str]:
    return [s for s in scopes if s not in KEY_SCOPES]

"""Tenants for management tests: a fresh project with an owner, an admin and a member, each with a key of
their role, written straight into the server's database (no API creates projects, as with Deepgram)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from opengram.accounts.keys import create_key
from opengram.accounts.models import Member, Membership, Project

ROLES = ("owner", "admin", "member")


@dataclass
class Tenant:
    project_id: str
    keys: dict[str, str] = field(default_factory=dict)  # role -> secret
    key_ids: dict[str, str] = field(default_factory=dict)  # role -> api_key_id
    members: dict[str, str] = field(default_factory=dict)  # role -> member_id
    emails: dict[str, str] = field(default_factory=dict)  # role -> email


def make_tenant(db, name: str = "Tenant", roles: tuple[str, ...] = ROLES, **key_overrides) -> Tenant:
    """`key_overrides` maps a role to the scopes of its key (default: the role itself)."""
    tag = uuid.uuid4().hex[:8]

    async def make(session):
        project = Project(name=f"{name} {tag}")
        session.add(project)
        await session.flush()
        tenant = Tenant(project.project_id)
        for role in roles:
            email = f"{role}-{tag}@example.com"
            member = Member(email=email, first_name=role.title(), last_name=tag)
            session.add(member)
            await session.flush()
            session.add(Membership(project_id=project.project_id, member_id=member.member_id, scopes=[role]))
            key, secret = await create_key(
                session,
                project_id=project.project_id,
                member_id=member.member_id,
                comment=f"{role} key",
                scopes=key_overrides.get(role, [role]),
            )
            tenant.keys[role], tenant.key_ids[role] = secret, key.api_key_id
            tenant.members[role], tenant.emails[role] = member.member_id, email
        return tenant

    return db.run(make)


def add_key(db, tenant: Tenant, role: str, scopes: list[str]) -> str:
    """Another key for the member holding `role`, with the given scopes."""

    async def make(session):
        _key, secret = await create_key(
            session, project_id=tenant.project_id, member_id=tenant.members[role], comment="extra", scopes=scopes
        )
        return secret

    return db.run(make)

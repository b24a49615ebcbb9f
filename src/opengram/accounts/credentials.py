"""Self-hosted distribution credentials: stored and listed for clients that manage them through the API."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from opengram.accounts.models import DistributionCredential, Member
from opengram.store.orm import utcnow


async def list_credentials(session: AsyncSession, project_id: str) -> list[tuple[DistributionCredential, Member]]:
    rows = await session.execute(
        select(DistributionCredential, Member)
        .join(Member, Member.member_id == DistributionCredential.member_id)
        .where(DistributionCredential.project_id == project_id)
        .order_by(DistributionCredential.created, DistributionCredential.distribution_credentials_id)
    )
    return [(c, m) for c, m in rows.all()]


async def get_credential(
    session: AsyncSession, project_id: str, credential_id: str
) -> tuple[DistributionCredential, Member] | None:
    row = (
        await session.execute(
            select(DistributionCredential, Member)
            .join(Member, Member.member_id == DistributionCredential.member_id)
            .where(
                DistributionCredential.project_id == project_id,
                DistributionCredential.distribution_credentials_id == credential_id,
            )
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def create_credential(
    session: AsyncSession, project_id: str, member_id: str, *, provider: str, comment: str | None, scopes: list[str]
) -> DistributionCredential:
    credential = DistributionCredential(
        project_id=project_id, member_id=member_id, provider=provider, comment=comment, scopes=scopes, created=utcnow()
    )
    session.add(credential)
    await session.flush()
    return credential


async def delete_credential(session: AsyncSession, credential: DistributionCredential) -> None:
    await session.delete(credential)
    await session.flush()

"""the first-start key is its owner's: scope `owner`, not `admin`

The key printed on first start belongs to the project's owner but was scoped `admin`, so with it the owner
could not make anyone owner, nor even confirm their own `owner` scope (401). New servers make an owner key;
this gives existing first-start keys the scope of the owner who holds them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

keys = sa.table(
    "api_keys",
    sa.column("api_key_id", sa.String),
    sa.column("project_id", sa.String),
    sa.column("member_id", sa.String),
    sa.column("comment", sa.Text),
    sa.column("scopes", sa.JSON),
)
memberships = sa.table(
    "memberships",
    sa.column("project_id", sa.String),
    sa.column("member_id", sa.String),
    sa.column("scopes", sa.JSON),
)


def _move(old_comment: str, old_scopes: list, new_comment: str, new_scopes: list, holder_role: str) -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(keys.c.api_key_id, keys.c.scopes, memberships.c.scopes.label("member_scopes"))
        .join(
            memberships,
            sa.and_(memberships.c.project_id == keys.c.project_id, memberships.c.member_id == keys.c.member_id),
        )
        .where(keys.c.comment == old_comment)
    ).all()
    for row in rows:
        if list(row.scopes or []) == old_scopes and holder_role in (row.member_scopes or []):
            bind.execute(
                keys.update().where(keys.c.api_key_id == row.api_key_id).values(comment=new_comment, scopes=new_scopes)
            )


def upgrade() -> None:
    _move("bootstrap admin key", ["admin"], "bootstrap owner key", ["owner"], "owner")


def downgrade() -> None:
    _move("bootstrap owner key", ["owner"], "bootstrap admin key", ["admin"], "owner")

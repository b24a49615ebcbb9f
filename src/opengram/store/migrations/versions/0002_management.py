"""management: invitations, balances and purchases, distribution credentials, server secrets;
project overage and concurrency limits; the price of each logged request.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    server_secrets = op.create_table(
        "server_secrets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    # Generated once, here, so that every server process on this database signs and checks with the same key.
    op.bulk_insert(server_secrets, [{"name": "token_signing_key", "value": secrets.token_urlsafe(48)}])
    op.create_table(
        "balances",
        sa.Column("balance_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("units", sa.String(length=20), nullable=False),
        sa.Column("purchase_order_id", sa.String(length=36), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.project_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("balance_id"),
    )
    with op.batch_alter_table("balances", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_balances_project_id"), ["project_id"], unique=False)

    op.create_table(
        "distribution_credentials",
        sa.Column("distribution_credentials_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.member_id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["projects.project_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("distribution_credentials_id"),
    )
    with op.batch_alter_table("distribution_credentials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_distribution_credentials_project_id"), ["project_id"], unique=False)

    op.create_table(
        "invites",
        sa.Column("invite_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by", sa.String(length=36), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["invited_by"], ["members.member_id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["project_id"], ["projects.project_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("invite_id"),
        sa.UniqueConstraint("project_id", "email"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "purchases",
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("units", sa.String(length=20), nullable=False),
        sa.Column("order_type", sa.String(length=40), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expiration", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["projects.project_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("order_id"),
    )
    with op.batch_alter_table("purchases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_purchases_project_id"), ["project_id"], unique=False)

    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("overage", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("limit_prerecorded", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("limit_streaming", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("limit_tts", sa.Integer(), nullable=True))

    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("usd", sa.Float(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("characters", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("tokens_in", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("tokens_out", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_column("tokens_out")
        batch_op.drop_column("tokens_in")
        batch_op.drop_column("characters")
        batch_op.drop_column("usd")

    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("limit_tts")
        batch_op.drop_column("limit_streaming")
        batch_op.drop_column("limit_prerecorded")
        batch_op.drop_column("overage")

    with op.batch_alter_table("purchases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purchases_project_id"))

    op.drop_table("purchases")
    op.drop_table("invites")
    with op.batch_alter_table("distribution_credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_distribution_credentials_project_id"))

    op.drop_table("distribution_credentials")
    with op.batch_alter_table("balances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_balances_project_id"))

    op.drop_table("balances")
    op.drop_table("server_secrets")

"""every project has exactly one balance

Purchases used to open a balance each, and a new project had none (so `balances[0]` failed in clients).
Now a project's one balance is opened when the project is created, and purchases add to it. Existing
projects' balances are merged into the oldest (amounts summed, the newest purchase kept); a project
without one gets one at zero. A unique index keeps it one.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    balances = sa.table(
        "balances",
        sa.column("balance_id", sa.String),
        sa.column("project_id", sa.String),
        sa.column("amount", sa.Float),
        sa.column("units", sa.String),
        sa.column("purchase_order_id", sa.String),
        sa.column("created", sa.DateTime(timezone=True)),
    )
    rows = bind.execute(
        sa.select(
            balances.c.balance_id, balances.c.project_id, balances.c.amount, balances.c.purchase_order_id
        ).order_by(balances.c.project_id, balances.c.created, balances.c.balance_id)
    ).all()
    by_project: dict[str, list] = {}
    for row in rows:
        by_project.setdefault(row.project_id, []).append(row)
    for kept, *merged in by_project.values():
        if not merged:
            continue
        newest_order = next((r.purchase_order_id for r in reversed([kept, *merged]) if r.purchase_order_id), None)
        bind.execute(
            balances.update()
            .where(balances.c.balance_id == kept.balance_id)
            .values(amount=sum(r.amount for r in [kept, *merged]), purchase_order_id=newest_order)
        )
        bind.execute(balances.delete().where(balances.c.balance_id.in_([r.balance_id for r in merged])))
    projects = bind.execute(sa.text("SELECT project_id FROM projects")).scalars().all()
    now = datetime.now(UTC)
    missing = [
        {"balance_id": str(uuid.uuid4()), "project_id": p, "amount": 0.0, "units": "usd", "created": now}
        for p in projects
        if p not in by_project
    ]
    if missing:
        bind.execute(balances.insert(), missing)
    with op.batch_alter_table("balances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_balances_project_id"))
        batch_op.create_index(batch_op.f("ix_balances_project_id"), ["project_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("balances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_balances_project_id"))
        batch_op.create_index(batch_op.f("ix_balances_project_id"), ["project_id"], unique=False)

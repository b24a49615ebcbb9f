"""The Alembic history is one straight line, and it upgrades and downgrades cleanly."""

from __future__ import annotations

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from opengram.store.migrate import alembic_config


def test_one_head(tmp_path):
    script = ScriptDirectory.from_config(alembic_config(f"sqlite:///{tmp_path}/x.db"))
    assert len(script.get_heads()) == 1


def test_upgrade_downgrade_round_trip(tmp_path):
    url = f"sqlite:///{tmp_path}/x.db"
    cfg = alembic_config(url)
    command.upgrade(cfg, "head")
    tables = set(inspect(create_engine(url)).get_table_names())
    assert {"members", "projects", "memberships", "api_keys", "requests", "jobs"} <= tables
    command.downgrade(cfg, "base")
    assert set(inspect(create_engine(url)).get_table_names()) == {"alembic_version"}
    command.upgrade(cfg, "head")


def test_one_balance_per_project_and_an_owner_key_on_existing_data(tmp_path):
    """0007 merges a project's balances into its oldest (newest purchase kept) and opens one for a project
    without; 0008 scopes the first-start key as its owner's."""
    from sqlalchemy import text

    url = f"sqlite:///{tmp_path}/x.db"
    cfg = alembic_config(url)
    command.upgrade(cfg, "0006")
    engine = create_engine(url)
    with engine.begin() as db:
        for p in ("p1", "p2"):
            db.execute(
                text(
                    "INSERT INTO projects (project_id, name, mip_opt_out, created, overage) "
                    "VALUES (:p, :p, 0, '2026-01-01', 0)"
                ),
                {"p": p},
            )
        for b, amount, order, created in (("b1", 4.0, "o1", "2026-01-01"), ("b2", 6.0, "o2", "2026-02-01")):
            db.execute(
                text(
                    "INSERT INTO balances (balance_id, project_id, amount, units, purchase_order_id, created) "
                    "VALUES (:b, 'p1', :a, 'usd', :o, :c)"
                ),
                {"b": b, "a": amount, "o": order, "c": created},
            )
        db.execute(text("INSERT INTO members (member_id, email, created) VALUES ('m', 'o@x', '2026-01-01')"))
        db.execute(
            text(
                "INSERT INTO memberships (project_id, member_id, scopes, created) "
                "VALUES ('p1', 'm', '[\"owner\"]', '2026-01-01')"
            )
        )
        db.execute(
            text(
                "INSERT INTO api_keys (api_key_id, project_id, member_id, secret_hash, comment, scopes, tags, created) "
                "VALUES ('k', 'p1', 'm', 'h', 'bootstrap admin key', '[\"admin\"]', '[]', '2026-01-01')"
            )
        )
    command.upgrade(cfg, "head")
    with engine.begin() as db:
        rows = db.execute(
            text("SELECT project_id, balance_id, amount, purchase_order_id FROM balances ORDER BY project_id")
        ).all()
        key = db.execute(text("SELECT comment, scopes FROM api_keys")).one()
    assert [(r.project_id, r.amount) for r in rows] == [("p1", 10.0), ("p2", 0.0)]
    assert rows[0].balance_id == "b1" and rows[0].purchase_order_id == "o2"
    assert key.comment == "bootstrap owner key" and key.scopes == '["owner"]'

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

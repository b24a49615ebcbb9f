"""Alembic, driven from code: the server and CLI upgrade the schema to head before they use it."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from opengram.store.db import ensure_sqlite_dir, sync_url

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # `%` would be read as interpolation by configparser.
    url = sync_url(database_url).render_as_string(hide_password=False).replace("%", "%%")
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(database_url: str) -> None:
    ensure_sqlite_dir(database_url)
    command.upgrade(alembic_config(database_url), "head")

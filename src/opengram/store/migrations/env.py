from alembic import context
from sqlalchemy import engine_from_config, pool

# The tables' owners, imported so that their tables join the metadata.
from opengram.accounts import models as _accounts  # noqa: F401
from opengram.jobs import models as _jobs  # noqa: F401
from opengram.store.orm import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            # SQLite cannot ALTER most things in place; batch mode rebuilds tables.
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    connectable.dispose()


run_migrations_online()

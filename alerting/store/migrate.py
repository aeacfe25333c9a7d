"""Schema migrations (Alembic), run by `alerting db upgrade` and automatically on start."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(connection: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Upgrade the schema. Processes starting together (two workers on a new database)
    take turns under a lock; the second finds the schema already at head."""
    from alerting.store.locks import cycle_lock

    if revision == "head" and current_revision(engine) == head_revision():
        return
    with cycle_lock(engine, wait=timedelta(minutes=5), name="migrate") as held:
        if not held:
            raise RuntimeError("another process held the schema migration lock for 5 minutes")
        with engine.begin() as connection:
            command.upgrade(_config(connection), revision)


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()

"""Schema migrations through Alembic, callable from the CLI and the tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from monitor.store.db import Database

ALEMBIC_DIR = Path(__file__).resolve().parents[2] / "alembic"


class SchemaError(Exception):
    """The database is not at the schema this code expects."""


def alembic_config(db: Database) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ALEMBIC_DIR))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    cfg = alembic_config(db)
    with db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        conn.commit()


def head_revision(db: Database) -> str | None:
    return ScriptDirectory.from_config(alembic_config(db)).get_current_head()


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def require_current(db: Database) -> None:
    """Refuse to run on an old or unknown schema rather than fail half way through."""
    current, head = current_revision(db), head_revision(db)
    if current != head:
        raise SchemaError(
            f"database schema is at {current or 'nothing'}, this code needs {head}: "
            "run `monitor db upgrade`"
        )

"""Schema migrations through Alembic, callable from the CLI and the tests.

An upgrade runs in one transaction, all migrations together (`alembic/env.py`): one that
fails half way, or a process killed during it, leaves the schema and the revision as they
were, on PostgreSQL and on SQLite (both have transactional DDL). On SQLite a copy of the
database file is also taken first (`<name>.before-upgrade`), for the failures a transaction
cannot undo (a migration that commits on its own, a damaged file); the error says how to
put it back.
"""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import SQLAlchemyError

from monitor.store.db import Database
from monitor.store.models import Base, include_name

log = logging.getLogger(__name__)

ALEMBIC_DIR = Path(__file__).resolve().parents[2] / "alembic"
BACKUP_SUFFIX = ".before-upgrade"


class SchemaError(Exception):
    """The database is not at the schema this code expects."""


class MigrationFailed(SchemaError):
    """An upgrade failed; the message says what state the database is in and what to do."""


def alembic_config(db: Database, alembic_dir: Path = ALEMBIC_DIR) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(alembic_dir))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return cfg


def _run(db: Database, cfg: Config, step: str, revision: str) -> None:
    with db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, step)(cfg, revision)
        conn.commit()


def upgrade(db: Database, revision: str = "head", alembic_dir: Path = ALEMBIC_DIR) -> None:
    cfg = alembic_config(db, alembic_dir)
    before = current_revision(db)
    number = ScriptDirectory.from_config(cfg).as_revision_number(revision)
    target = number if isinstance(number, str) or number is None else ",".join(number)
    if before == target:
        return
    backup = _backup(db) if before is not None else None
    try:
        _run(db, cfg, "upgrade", revision)
    except Exception as exc:
        raise MigrationFailed(_failure(db, before, target, exc, backup)) from exc
    log.info("database schema upgraded from %s to %s", before or "nothing", target)


def downgrade(db: Database, revision: str, alembic_dir: Path = ALEMBIC_DIR) -> None:
    """Back to `revision` (tables added since are dropped, with their data)."""
    _run(db, alembic_config(db, alembic_dir), "downgrade", revision)


def _backup(db: Database) -> Path | None:
    """A consistent copy of a SQLite database file (the WAL included), before upgrading."""
    path = db.sqlite_path
    if path is None:
        return None
    copy = path.with_name(path.name + BACKUP_SUFFIX)
    try:
        with closing(sqlite3.connect(path)) as source, closing(sqlite3.connect(copy)) as target:
            source.backup(target)
    except sqlite3.Error as exc:
        raise MigrationFailed(
            f"not upgrading: no copy of {path} could be taken first ({exc}); "
            f"free space next to it and run `monitor db upgrade` again"
        ) from exc
    log.info("copy of the database before the upgrade: %s", copy)
    return copy


def _failure(
    db: Database, before: str | None, target: str | None, exc: Exception, backup: Path | None
) -> str:
    error = " ".join(str(exc).split())[:300]
    try:
        now = current_revision(db)
    except SQLAlchemyError:  # the database cannot even be read: only the copy can help
        now = "unreadable"
    if now == before:
        state = f"nothing was changed: the database is still at revision {before or 'nothing'}"
    else:
        state = f"the database is now at revision {now}, not {before or 'nothing'}"
    message = f"schema upgrade to {target} failed ({type(exc).__name__}: {error}); {state}."
    if backup is not None:
        message += (
            f" A copy taken before the upgrade is {backup}: if the database is damaged, stop"
            f" monitor and put it back (cp {backup} {db.sqlite_path})."
        )
    return message + " Fix the cause and run `monitor db upgrade` again."


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


def schema_drift(db: Database) -> list[Any]:
    """What differs between the models and the database (Alembic's diff; empty when none),
    the hand-written search index left out as autogenerate leaves it out."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        return list(compare_metadata(context, Base.metadata))

"""The migration builds exactly the schema the models describe, on an empty database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from monitor.store.db import Database
from monitor.store.migrate import (
    SchemaError,
    current_revision,
    head_revision,
    require_current,
    schema_drift,
    upgrade,
)


def test_upgrade_matches_models(any_db: Database) -> None:
    assert schema_drift(any_db) == []
    assert current_revision(any_db) == head_revision(any_db)


def test_sqlite_runs_in_wal_mode(db: Database) -> None:
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_old_schema_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    empty = Database(f"sqlite:///{tmp_path / 'old.db'}")
    with pytest.raises(SchemaError, match="monitor db upgrade"):
        require_current(empty)
    upgrade(empty)
    require_current(empty)


def test_readonly_session_does_not_block_a_writer(db: Database) -> None:
    with db.session(readonly=True) as reader:
        reader.execute(text("SELECT count(*) FROM articles")).scalar()
        with db.session() as writer:  # would wait busy_timeout if the reader held the lock
            writer.execute(text("INSERT INTO locks (name, owner, expires_at) "
                                "VALUES ('x', 'me', '2030-01-01 00:00:00')"))
    with db.session(readonly=True) as s:
        assert s.execute(text("SELECT owner FROM locks")).scalar() == "me"

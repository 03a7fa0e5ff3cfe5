"""Migrations that go wrong (shared/reliability.md C6): a migration failing half way and an
upgrade killed half way leave the schema, the data and the revision as they were, on SQLite
and PostgreSQL, and the error says how to recover; every migration also runs backwards."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import column, func, inspect, select, table

from monitor.store import models
from monitor.store.db import Database
from monitor.store.migrate import (
    ALEMBIC_DIR,
    BACKUP_SUFFIX,
    MigrationFailed,
    alembic_config,
    current_revision,
    downgrade,
    head_revision,
    schema_drift,
    upgrade,
)

ROOT = Path(__file__).resolve().parents[2]
BROKEN = '''"""a migration that does half its work, then stops"""
import os
import time

import sqlalchemy as sa
from alembic import op

revision = "9999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("half_done", sa.Column("id", sa.Integer, primary_key=True))
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("half_done_flag", sa.Integer, nullable=True))
    op.execute("UPDATE sources SET name = 'renamed half way'")
    {ending_code}


def downgrade() -> None:
    pass
'''
FAILS = "raise RuntimeError('migration 9999 failed on purpose, half way')"
HANGS = (
    "open(os.environ['MIGRATION_MARKER'], 'w').close()\n"
    "    time.sleep(120)  # killed here"
)


def scripts_with_broken_migration(tmp: Path, ending_code: str) -> Path:
    """A copy of our migrations plus one on top that stops half way."""
    scripts = tmp / "alembic"
    shutil.copytree(ALEMBIC_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    head = ScriptDirectory(str(ALEMBIC_DIR)).get_current_head()
    (scripts / "versions" / "29991231_9999_broken.py").write_text(
        BROKEN.format(head=head, ending_code=ending_code)
    )
    return scripts


def schema(db: Database) -> dict[str, Any]:
    found = inspect(db.engine)
    return {
        table: (
            sorted(c["name"] for c in found.get_columns(table)),
            sorted(str(i["name"]) for i in found.get_indexes(table)),
        )
        for table in found.get_table_names()
    }


def with_data(db: Database) -> Database:
    """A source and an article, written with the columns of the first revision only (the
    models may have more: later migrations add them)."""
    now = datetime(2026, 12, 1, 12, 0)
    sources = table("sources", *map(column, ("key", "name", "created_at", "health_state",
                                              "consecutive_failures")))
    articles = table("articles", *map(column, (
        "url", "source_key", "language", "title", "text", "search_text", "published_is_date",
        "fetched_at", "content_hash", "flags", "review_state", "created_at", "updated_at")))
    with db.engine.begin() as conn:
        conn.execute(sources.insert().values(
            key="state_dept", name="US State Department", created_at=now, health_state="ok",
            consecutive_failures=0))
        conn.execute(articles.insert().values(
            url="https://www.state.gov/r/1", source_key="state_dept", language="en",
            title="Sarin", text="kept", search_text="sarin kept", published_is_date=False,
            fetched_at=now, content_hash="h1", flags="[]", review_state="new", created_at=now,
            updated_at=now))
    return db


def data(db: Database) -> tuple[list[str], int]:
    with db.session() as session:
        names = list(session.scalars(select(models.Source.name)))
        articles = session.scalar(select(func.count()).select_from(models.Article)) or 0
    return names, articles


@pytest.mark.parametrize("start", ["head", "root"])
def test_a_migration_failing_half_way_changes_nothing(
    any_db_url: str, tmp_path: Path, start: str
) -> None:
    """From the root revision, the migrations before the broken one are undone too: the
    upgrade is one transaction, not one per migration."""
    db = Database(any_db_url)
    scripts = ScriptDirectory.from_config(alembic_config(db))
    upgrade(db, scripts.get_base() if start == "root" else "head")
    with_data(db)
    before, rows, head = schema(db), data(db), current_revision(db)

    with pytest.raises(MigrationFailed) as failed:
        upgrade(db, alembic_dir=scripts_with_broken_migration(tmp_path, FAILS))

    assert (schema(db), data(db), current_revision(db)) == (before, rows, head)
    message = str(failed.value)
    assert "failed on purpose" in message
    assert f"nothing was changed: the database is still at revision {head}" in message
    assert "run `monitor db upgrade` again" in message
    if db.sqlite_path is not None:  # and the copy taken first is named, with how to restore
        copy = db.sqlite_path.with_name(db.sqlite_path.name + BACKUP_SUFFIX)
        assert f"cp {copy} {db.sqlite_path}" in message
        restored = Database(f"sqlite:///{copy}")
        assert (schema(restored), data(restored)) == (before, rows)
        restored.dispose()
    db.dispose()


def test_an_upgrade_killed_half_way_leaves_the_schema_as_it_was(
    any_db: Database, tmp_path: Path
) -> None:
    db = with_data(any_db)
    before, rows, head = schema(db), data(db), current_revision(db)
    marker = tmp_path / "half-way"
    scripts = scripts_with_broken_migration(tmp_path, HANGS)
    code = (
        "import sys\nfrom pathlib import Path\nfrom monitor.store.db import Database\n"
        "from monitor.store.migrate import upgrade\n"
        "upgrade(Database(sys.argv[1]), alembic_dir=Path(sys.argv[2]))\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, db.url, str(scripts)],
        cwd=ROOT,
        env={**os.environ, "MIGRATION_MARKER": str(marker)},
    )
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert child.poll() is None and time.monotonic() < deadline, "the migration never ran"
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait(10)

    db.dispose()  # a fresh connection, as the next process would open
    assert (schema(db), data(db), current_revision(db)) == (before, rows, head)
    upgrade(db)  # and the real upgrade path still works on it


def test_every_migration_runs_backwards_and_forwards_again_keeping_data(
    any_db_url: str,
) -> None:
    db = Database(any_db_url)
    scripts = ScriptDirectory.from_config(alembic_config(db))
    root = scripts.get_base()
    upgrade(db, root)
    with_data(db)
    upgrade(db)
    assert current_revision(db) == head_revision(db)

    downgrade(db, root)  # every later migration's downgrade
    assert current_revision(db) == root
    assert "robots_txt" not in schema(db)
    assert data(db) == (["US State Department"], 1)
    upgrade(db)
    assert schema_drift(db) == []
    assert data(db) == (["US State Department"], 1)

    downgrade(db, "base")  # and the first one too
    assert set(schema(db)) <= {"alembic_version"}
    upgrade(db)
    assert current_revision(db) == head_revision(db)
    db.dispose()

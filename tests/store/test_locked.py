"""SQLite "database is locked" (shared/reliability.md C1): a writer that finds another process
holding the write lock past `busy_timeout` backs off and retries, logs it once, and loses
nothing; a database on a network filesystem is reported at start-up."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from monitor.crawl.store import CrawlStore
from monitor.domain import RawPage
from monitor.store import models
from monitor.store.db import Database, filesystem_type
from monitor.store.migrate import upgrade
from spiders import SOURCES

BUSY_TIMEOUT = 0.3
HOLD = 2.0  # seconds the other process keeps the lock: several busy timeouts
HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


def hold_write_lock(path: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process (plain sqlite3) takes the write lock and keeps it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def page(i: int) -> RawPage:
    return RawPage(
        url=f"https://www.state.gov/releases/locked-{i}/",
        source="state_dept",
        body=b"<html><body><p>released while the database was locked</p></body></html>",
        fetched_at=datetime.now(UTC),
    )


@pytest.fixture
def path(tmp_path: Path) -> Path:
    path = tmp_path / "monitor.db"
    migrated = Database(f"sqlite:///{path}")
    upgrade(migrated)
    CrawlStore(migrated, SOURCES["state_dept"]).start_run("fresh", worker="test")
    migrated.dispose()
    return path


def test_a_writer_outlasting_the_busy_timeout_retries_and_loses_nothing(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(f"sqlite:///{path}", busy_timeout=BUSY_TIMEOUT)
    store = CrawlStore(db, SOURCES["state_dept"])
    holder = hold_write_lock(path, HOLD)
    started = time.monotonic()
    with caplog.at_level(logging.INFO, logger="monitor.store.db"):
        stored = [store.add_page(page(i)) for i in range(20)]
    waited = time.monotonic() - started
    assert holder.wait(10) == 0

    assert stored == [True] * 20
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(models.RawPage)) == 20
    assert waited >= HOLD - 0.5  # it really waited for the other writer, past busy_timeout
    locked = [r for r in caplog.records if "database locked" in r.getMessage()]
    assert len(locked) == 1 and locked[0].levelno == logging.WARNING
    assert any("lock obtained after" in r.getMessage() for r in caplog.records)
    db.dispose()


@pytest.mark.parametrize(
    ("busy_timeout", "lock_retry", "hold"),
    [
        (BUSY_TIMEOUT, 0.0, 1.0),  # the control: the lock above really outlasts busy_timeout
        (0.1, 0.5, 2.0),  # held past the retry window too: a clear error, not a hang
    ],
    ids=["no-retry", "past-the-retry-window"],
)
def test_a_lock_outlasting_the_wait_fails_the_write_clearly(
    path: Path, busy_timeout: float, lock_retry: float, hold: float
) -> None:
    db = Database(f"sqlite:///{path}", busy_timeout=busy_timeout, lock_retry=lock_retry)
    holder = hold_write_lock(path, hold)
    with pytest.raises(OperationalError, match="database is locked"):
        CrawlStore(db, SOURCES["state_dept"]).add_page(page(0))
    holder.wait(10)
    db.dispose()


MOUNTS = """\
/dev/vda / ext4 rw,relatime 0 0
server:/export /srv/monitor nfs4 rw,relatime 0 0
//nas/share /mnt/share\\040files cifs rw 0 0
"""


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/srv/monitor/data/monitor.db", "nfs4"),
        ("/srv/monitored/monitor.db", "ext4"),  # a prefix of the name is not the mount
        ("/mnt/share files/monitor.db", "cifs"),
        ("/var/lib/monitor/monitor.db", "ext4"),
    ],
)
def test_the_mount_holding_the_database(path: str, kind: str) -> None:
    assert filesystem_type(Path(path), MOUNTS) == kind


def test_a_database_on_local_disk_gives_no_warning(db: Database) -> None:
    assert filesystem_type(db.sqlite_path or Path()) not in (None, "nfs", "nfs4", "cifs")
    assert db.warn_if_on_network_filesystem() is False

"""A real full disk under the daemon (shared/reliability.md C3): the SQLite store sits on a
small tmpfs that fills up mid-crawl. The daemon keeps running, `monitor status` says the
disk is full, nothing half-written or unsent is left, and once space is freed it picks up
every release it missed, alerts each once, and the database passes `integrity_check`."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest
from service_helpers import (
    REPO,
    DaemonProcess,
    delivered,
    outbox_settled,
    publish_state_release,
    wait_until,
    write_config,
)
from sqlalchemy import func, select

from monitor.store import models
from monitor.store.db import Database
from monitor.store.migrate import upgrade
from monitor.testing.endpoint import Endpoint
from monitor.testing.sites import Sites

DISK_SIZE = "8m"
HEADROOM = 96 * 1024  # bytes left free: less than the releases below need
RELEASES = 20


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A size-limited tmpfs (needs root and CAP_SYS_ADMIN; skipped where the machine forbids)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a size-limited tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE}", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave: int) -> Path:
    """Take all the free space but `leave` bytes."""
    stat = os.statvfs(disk)
    filler = disk / "filler"
    with filler.open("wb") as out:
        out.truncate(0)
        remaining = stat.f_bavail * stat.f_frsize - leave
        block = b"\0" * (1 << 20)
        while remaining > 0:
            out.write(block[: min(len(block), remaining)])
            remaining -= len(block)
    return filler


def status(config: Path, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(config), "status", *args],
        capture_output=True, text=True, check=True, cwd=REPO, timeout=60,
    ).stdout


def test_a_full_disk_pauses_the_store_and_the_daemon_resumes_when_space_returns(
    tmp_path: Path,
    small_disk: Path,
    site_root: Path,
    sites: Sites,
    endpoint: Endpoint,
    daemons: Callable[..., DaemonProcess],
) -> None:
    path = small_disk / "monitor.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    db.dispose()
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the WAL starts empty: it must grow
    urls = [
        publish_state_release(site_root, f"disk-full-{i}", f"Disk Full Release {i}",
                              f"Statement {i} on sarin stockpiles found near the coast.")
        for i in range(RELEASES)
    ]
    filler = fill(small_disk, HEADROOM)
    config = write_config(tmp_path, db.url, sites, endpoint, only=["state_dept"])

    daemon = daemons(config)
    daemon.wait_log("database or disk is full", timeout=90)
    assert "disk full: writes are failing" in status(config)
    assert daemon.proc.poll() is None, "the daemon died of a full disk"

    filler.unlink()  # space returns
    db = Database(db.url)

    def all_stored() -> bool:
        with db.session() as session:
            stored = set(session.scalars(select(models.Article.url)))
        return set(urls) <= stored

    wait_until(all_stored, timeout=120, message="the daemon did not resume after space returned")
    wait_until(lambda: outbox_settled(db), 60, "alerts still waiting after the disk was freed")
    assert json.loads(status(config, "--json"))["store"]["disk"] != "full"
    assert daemon.stop() == 0

    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with db.session() as session:
        stored = list(session.scalars(select(models.Article.url)))
        pending = session.scalar(select(func.count()).select_from(models.RawPage)
                                 .where(models.RawPage.state == "pending"))
    assert len(stored) == len(set(stored)), "an article was stored twice"
    assert pending == 0
    messages = delivered(endpoint)
    for url in urls:  # each release alerted exactly once, none before it was stored
        assert sum(url in m for m in messages) == 1, url
    db.dispose()

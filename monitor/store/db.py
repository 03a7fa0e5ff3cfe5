"""Engine and sessions. SQLite gets WAL, a busy timeout and foreign keys on every connection.

SQLite has one writer at a time. A writer waits `busy_timeout` for the lock inside SQLite;
if another process holds it longer (a long `sqlite3` session, a backup, a stuck job), the
writer backs off and tries again for `LOCK_RETRY_SECONDS` instead of failing the page or
crawl it was writing, and says so in one log line. Writers take the lock at BEGIN, so this
retry is the only place a writer can meet "database is locked".
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT = 30.0  # seconds SQLite itself waits for the write lock
LOCK_RETRY_SECONDS = 600.0  # then: back off and retry this long before giving up
LOCK_BACKOFF_MAX = 30.0
READONLY = "monitor_readonly"
# mount types where SQLite's locking is unreliable (sqlite.org/wal.html: one host only)
NETWORK_FILESYSTEMS = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "ceph", "glusterfs", "lustre", "afs"}
)


def _sqlite_pragmas(busy_timeout: float) -> Callable[[Any, Any], None]:
    def connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    return connect


def is_locked(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


def _sqlite_begin(busy_timeout: float, retry_for: float) -> Callable[[Any], None]:
    # Writers take the lock at BEGIN, so a read-then-write never fails half way with
    # "database is locked". Read-only sessions (queue pages, exports) take no lock and never
    # hold up the pipeline.
    def begin(conn: Any) -> None:
        if conn.get_execution_options().get(READONLY, False):
            conn.exec_driver_sql("BEGIN")
            return
        first_failure, pause = 0.0, 0.5
        while True:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except OperationalError as exc:
                now = time.monotonic()
                if not is_locked(exc) or now - (first_failure or now) >= retry_for:
                    raise
                if not first_failure:
                    first_failure = now
                    log.warning(
                        "database locked: another writer held it past the %.0fs busy timeout;"
                        " retrying with back-off for up to %.0fs",
                        busy_timeout,
                        retry_for,
                    )
                time.sleep(pause)
                pause = min(pause * 2, LOCK_BACKOFF_MAX)
                continue
            if first_failure:
                log.info(
                    "database lock obtained after %.1fs of retries",
                    time.monotonic() - first_failure,
                )
            return

    return begin


def make_engine(
    url: str, busy_timeout: float = SQLITE_BUSY_TIMEOUT, lock_retry: float = LOCK_RETRY_SECONDS
) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": busy_timeout, "isolation_level": None})
        event.listen(engine, "connect", _sqlite_pragmas(busy_timeout))
        event.listen(engine, "begin", _sqlite_begin(busy_timeout, lock_retry))
        return engine
    return create_engine(url, pool_pre_ping=True)


def filesystem_type(path: Path, mounts: str | None = None) -> str | None:
    """The type of the mount holding `path` (from /proc/self/mounts), None if unknown."""
    if mounts is None:
        try:
            mounts = Path("/proc/self/mounts").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
    target = os.path.realpath(path)
    best, kind = "", None
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fields[2]
    return kind


class Database:
    """One engine and its session factory; pass this object down instead of globals."""

    def __init__(
        self,
        url: str,
        busy_timeout: float = SQLITE_BUSY_TIMEOUT,
        lock_retry: float = LOCK_RETRY_SECONDS,
    ) -> None:
        self.url = url
        self.engine = make_engine(url, busy_timeout, lock_retry)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        """The database file, for a SQLite database on disk."""
        name = self.engine.url.database
        return Path(name) if self.is_sqlite and name and name != ":memory:" else None

    def warn_if_on_network_filesystem(self) -> bool:
        """SQLite's locks do not hold across hosts: say so at start-up (True if warned)."""
        path = self.sqlite_path
        kind = filesystem_type(path.parent) if path else None
        if kind in NETWORK_FILESYSTEMS or (kind or "").startswith("fuse.sshfs"):
            log.warning(
                "the SQLite database %s is on a %s network filesystem: locking is unreliable"
                " there and the database can be corrupted; keep it on a local disk or use"
                " PostgreSQL",
                path,
                kind,
            )
            return True
        return False

    @contextmanager
    def session(self, readonly: bool = False) -> Iterator[Session]:
        """One transaction: committed on success, rolled back on any error."""
        session = self._sessions()
        if readonly:
            session.connection(execution_options={READONLY: True})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()

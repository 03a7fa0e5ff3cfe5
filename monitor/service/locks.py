"""Leases in the `locks` table: one daemon per database, one crawl per source across workers.

A lease is a row (name, owner, expires_at) taken with a single conditional UPDATE or an
INSERT that the primary key makes exclusive, so the same code is atomic on SQLite and on
PostgreSQL (no advisory locks, which SQLite lacks). Holders renew before expiry; a holder
that died is recognised either by expiry or, on the same host, by its process being gone,
so a restart after `kill -9` does not wait for the lease to run out.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import CursorResult, Executable, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor.store import models
from monitor.store.db import Database
from monitor.store.models import utcnow


def new_owner_id(role: str) -> str:
    """`role:host:pid:random` - readable in `monitor status`, unique across restarts."""
    return f"{role}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_is_dead(owner: str) -> bool:
    """True only when the owner ran on this host and its process no longer exists."""
    try:
        _role, host, pid, _token = owner.rsplit(":", 3)
    except ValueError:
        return False
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _changed(session: Session, statement: Executable) -> int:
    """Rows an UPDATE/DELETE touched: the test-and-set that makes a lease exclusive."""
    result = session.execute(statement)
    assert isinstance(result, CursorResult)
    return result.rowcount


@dataclass(frozen=True)
class Holder:
    name: str
    owner: str
    expires_at: datetime


def acquire(
    db: Database, name: str, owner: str, ttl: timedelta, now: datetime | None = None
) -> bool:
    """Take or renew the lease `name` for `owner`; False if someone alive holds it."""
    now = now or utcnow()
    until = now + ttl
    with db.session() as session:
        taken = _changed(
            session,
            update(models.Lock)
            .where(
                models.Lock.name == name,
                or_(models.Lock.owner == owner, models.Lock.expires_at < now),
            )
            .values(owner=owner, expires_at=until),
        )
        if taken:
            return True
        current = session.get(models.Lock, name)
        if current is not None:
            if not owner_is_dead(current.owner):
                return False
            return bool(
                _changed(
                    session,
                    update(models.Lock)
                    .where(models.Lock.name == name, models.Lock.owner == current.owner)
                    .values(owner=owner, expires_at=until),
                )
            )
    try:
        with db.session() as session:
            session.add(models.Lock(name=name, owner=owner, expires_at=until))
    except IntegrityError:  # another process inserted it between our two statements
        return False
    return True


def renew(db: Database, name: str, owner: str, ttl: timedelta) -> bool:
    """Extend a lease we hold; False if it was lost (expired and taken by another)."""
    with db.session() as session:
        return bool(
            _changed(
                session,
                update(models.Lock)
                .where(models.Lock.name == name, models.Lock.owner == owner)
                .values(expires_at=utcnow() + ttl),
            )
        )


def release(db: Database, name: str, owner: str) -> None:
    with db.session() as session:
        session.execute(
            delete(models.Lock).where(models.Lock.name == name, models.Lock.owner == owner)
        )


def holders(db: Database, prefix: str = "", now: datetime | None = None) -> list[Holder]:
    """Live leases whose name starts with `prefix` (expired or dead holders left out)."""
    now = now or utcnow()
    with db.session() as session:
        rows = session.scalars(
            select(models.Lock).where(
                models.Lock.name.startswith(prefix, autoescape=True), models.Lock.expires_at >= now
            )
        ).all()
        return [Holder(r.name, r.owner, r.expires_at) for r in rows if not owner_is_dead(r.owner)]


DAEMON_LEASE = "daemon"
WORKER_LEASE_PREFIX = "worker:"


def crawl_lease(source_key: str) -> str:
    return f"crawl:{source_key}"


class AlreadyRunning(Exception):
    """Another daemon (or a worker pool of another mode) owns this database."""


def claim_daemon(db: Database, owner: str, worker: bool, ttl: timedelta) -> str:
    """Register this process as the daemon or as one worker; returns the lease name to renew.

    A plain daemon needs the database to itself; workers share it with other workers only.
    """
    if worker:
        plain = holders(db, DAEMON_LEASE)
        plain = [h for h in plain if h.name == DAEMON_LEASE]
        if plain:
            raise AlreadyRunning(
                f"a single daemon ({plain[0].owner}) already runs on this database; "
                "stop it before starting workers"
            )
        name = WORKER_LEASE_PREFIX + owner
        acquire(db, name, owner, ttl)
        return name
    if workers := holders(db, WORKER_LEASE_PREFIX):
        raise AlreadyRunning(
            f"{len(workers)} worker(s) already run on this database (e.g. {workers[0].owner}); "
            "start this one with --worker, or stop them"
        )
    if not acquire(db, DAEMON_LEASE, owner, ttl):
        current = holders(db, DAEMON_LEASE)
        who = current[0].owner if current else "another process"
        raise AlreadyRunning(
            f"another monitor daemon ({who}) already runs on this database; "
            "only one plain daemon may run per database (use --worker on PostgreSQL to share it)"
        )
    return DAEMON_LEASE

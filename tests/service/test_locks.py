"""Leases: exclusive, renewable, taken over after expiry or when the holder died."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import timedelta

import pytest

from monitor.service import locks
from monitor.store.db import Database
from monitor.store.models import utcnow

TTL = timedelta(seconds=30)


def test_a_lease_is_exclusive_until_released(any_db: Database) -> None:
    a, b = locks.new_owner_id("daemon"), locks.new_owner_id("daemon")
    assert locks.acquire(any_db, "x", a, TTL)
    assert locks.acquire(any_db, "x", a, TTL)  # renewing our own lease
    assert not locks.acquire(any_db, "x", b, TTL)
    assert locks.renew(any_db, "x", a, TTL)
    assert not locks.renew(any_db, "x", b, TTL)
    locks.release(any_db, "x", a)
    assert locks.acquire(any_db, "x", b, TTL)


def test_an_expired_lease_is_taken_over(any_db: Database) -> None:
    a, b = locks.new_owner_id("worker"), locks.new_owner_id("worker")
    assert locks.acquire(any_db, "x", a, TTL, now=utcnow() - TTL * 2)
    assert locks.holders(any_db, "x") == []
    assert locks.acquire(any_db, "x", b, TTL)
    assert not locks.renew(any_db, "x", a, TTL)


def test_a_lease_of_a_dead_process_on_this_host_is_taken_over(any_db: Database) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = locks.new_owner_id("daemon").rsplit(":", 2)[0] + f":{proc.stdout.strip()}:dead0000"
    assert locks.owner_is_dead(dead)
    assert locks.acquire(any_db, "x", dead, TTL)
    assert locks.acquire(any_db, "x", locks.new_owner_id("daemon"), TTL)


def test_racing_claims_give_the_lease_to_exactly_one(any_db: Database) -> None:
    owners = [locks.new_owner_id(f"w{i}") for i in range(8)]
    won: list[str] = []
    barrier = threading.Barrier(len(owners))

    def claim(owner: str) -> None:
        barrier.wait()
        if locks.acquire(any_db, "race", owner, TTL):
            won.append(owner)

    threads = [threading.Thread(target=claim, args=(o,)) for o in owners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1


def test_a_second_plain_daemon_is_refused(any_db: Database) -> None:
    first = locks.new_owner_id("daemon")
    assert locks.claim_daemon(any_db, first, worker=False, ttl=TTL) == locks.DAEMON_LEASE
    with pytest.raises(locks.AlreadyRunning, match="already runs on this database"):
        locks.claim_daemon(any_db, locks.new_owner_id("daemon"), worker=False, ttl=TTL)
    with pytest.raises(locks.AlreadyRunning, match="stop it before starting workers"):
        locks.claim_daemon(any_db, locks.new_owner_id("worker"), worker=True, ttl=TTL)


def test_workers_share_but_keep_a_plain_daemon_out(any_db: Database) -> None:
    w1, w2 = locks.new_owner_id("worker"), locks.new_owner_id("worker")
    locks.claim_daemon(any_db, w1, worker=True, ttl=TTL)
    locks.claim_daemon(any_db, w2, worker=True, ttl=TTL)
    assert len(locks.holders(any_db, locks.WORKER_LEASE_PREFIX)) == 2
    with pytest.raises(locks.AlreadyRunning, match="--worker"):
        locks.claim_daemon(any_db, locks.new_owner_id("daemon"), worker=False, ttl=TTL)

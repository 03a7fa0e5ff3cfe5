"""The schedule built from the config: intervals, jitter, one run at a time, explicit grace."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from monitor.config import Settings
from monitor.service.cycle import backoff_delay
from monitor.service.scheduler import Daemon
from monitor.store.db import Database
from spiders import SOURCES


@pytest.fixture
def daemon(db: Database) -> Daemon:
    settings = Settings.model_validate(
        {
            "sources": {
                "state_dept": {"interval_minutes": 15, "jitter_seconds": 30},
                "rt_arabic": {"enabled": False},
            },
            "notify": {"interval_seconds": 20},
        }
    )
    return Daemon(settings, db, SOURCES, rules=lambda: None, web=False)  # type: ignore[arg-type,return-value]


def test_each_enabled_source_gets_its_own_interval_with_jitter(daemon: Daemon) -> None:
    now = datetime.now(UTC)
    daemon.schedule_jobs(now)
    daemon.scheduler.start(paused=True)  # applies the job defaults, runs nothing
    jobs = {job.id: job for job in daemon.scheduler.get_jobs()}
    daemon.scheduler.shutdown()
    assert "crawl:rt_arabic" not in jobs
    crawl = jobs["crawl:state_dept"]
    assert crawl.trigger.interval == timedelta(minutes=15)
    assert crawl.trigger.jitter == 30
    assert (crawl.max_instances, crawl.coalesce) == (1, True)
    assert crawl.misfire_grace_time == 15 * 60  # a run up to one interval late still happens
    assert now <= crawl.next_run_time <= now + timedelta(seconds=30)
    notifier = jobs["notify"]
    assert notifier.trigger.interval == timedelta(seconds=20)
    assert notifier.misfire_grace_time >= 20
    assert {"heartbeat", "crawl:baladi", "crawl:etilaf"} <= set(jobs)


def test_a_run_longer_than_its_interval_is_skipped_with_a_warning(
    daemon: Daemon, caplog: pytest.LogCaptureFixture
) -> None:
    running, overlaps, runs = threading.Lock(), [], []

    def slow() -> None:
        if not running.acquire(blocking=False):
            overlaps.append(1)
            return
        runs.append(1)
        time.sleep(0.6)
        running.release()

    daemon.scheduler.add_job(slow, "interval", seconds=0.1, name="slow source")
    with caplog.at_level(logging.WARNING, logger="apscheduler"):
        daemon.scheduler.start()
        time.sleep(1.5)
        daemon.scheduler.shutdown(wait=True)
    assert not overlaps
    assert 1 <= len(runs) <= 3
    assert any(
        "slow source" in r.getMessage() and "maximum number of running instances" in r.getMessage()
        for r in caplog.records
    )


def test_a_failing_source_backs_off_doubling_up_to_a_cap() -> None:
    interval = timedelta(minutes=15)
    assert backoff_delay(interval, 0) == timedelta(0)
    assert [backoff_delay(interval, n) for n in (1, 2, 3)] == [
        interval * 2,
        interval * 4,
        interval * 8,
    ]
    assert backoff_delay(interval, 50) == timedelta(hours=6)
    assert backoff_delay(timedelta(days=1), 3) == timedelta(days=1)  # archives poll daily

"""Missed polls (shared/reliability.md E2): a daemon that could not run for three poll
intervals catches up with one crawl per source, not three, whether it was suspended
(laptop sleep, SIGSTOP, a stalled VM: the scheduler wakes to three missed run times) or
stopped and started again. The daemon's real scheduler and job set-up run; only the crawl
cycle is replaced by a recorder, so the runs can be counted to the millisecond."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import inspect

from monitor.config import Settings
from monitor.service.cycle import CycleReport
from monitor.service.scheduler import Daemon
from monitor.store.db import Database
from spiders import SOURCES
from spiders.base import Source

INTERVAL = 1.0  # seconds
POLLED = ("rt_arabic", "state_dept")


class RecordedCycle:
    """Stands in for SourceCycle: notes each run instead of crawling."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, float]] = []
        self.lock = threading.Lock()

    def run(self, source: Source, next_fire: datetime | None = None) -> CycleReport:
        with self.lock:
            self.runs.append((source.key, time.monotonic()))
        return CycleReport(source.key, "ok")

    def since(self, start: float) -> Counter[str]:
        with self.lock:
            return Counter(key for key, at in self.runs if at >= start)


def make_daemon(db: Database) -> tuple[Daemon, RecordedCycle]:
    settings = Settings.model_validate(
        {
            "sources": {
                key: {"enabled": key in POLLED, "interval_minutes": INTERVAL / 60,
                      "jitter_seconds": 0}
                for key in SOURCES
            },
            "notify": {"interval_seconds": 60},
        }
    )
    daemon = Daemon(settings, db, SOURCES, rules=lambda: None, web=False)  # type: ignore[arg-type,return-value]
    cycle = RecordedCycle()
    daemon.cycle = cycle  # type: ignore[assignment]
    return daemon, cycle


@pytest.fixture
def daemon(db: Database) -> Iterator[tuple[Daemon, RecordedCycle]]:
    running, cycle = make_daemon(db)
    running.start()
    yield running, cycle
    running.stop()


def wait_for_runs(cycle: RecordedCycle, start: float, count: int) -> None:
    deadline = time.monotonic() + 10
    while min(cycle.since(start)[k] for k in POLLED) < count:
        assert time.monotonic() < deadline, f"runs so far: {cycle.since(start)}"
        time.sleep(0.01)


def just_after_a_run(cycle: RecordedCycle) -> float:
    """Wait until both sources have just run; returns when (the next run is one interval
    after that: both sources are scheduled in step, without jitter)."""
    start = time.monotonic()
    wait_for_runs(cycle, start, 1)
    with cycle.lock:
        return max(at for _, at in cycle.runs)


def sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


@pytest.mark.parametrize("coalesce", [True, False], ids=["daemon", "control-without-coalesce"])
def test_three_missed_polls_while_suspended_give_one_catch_up_crawl_per_source(
    daemon: tuple[Daemon, RecordedCycle], coalesce: bool
) -> None:
    running, cycle = daemon
    if not coalesce:  # the control: what the test would see if the daemon did not coalesce
        for key in POLLED:
            running.scheduler.modify_job(f"crawl:{key}", coalesce=False)
    last = just_after_a_run(cycle)
    running.scheduler.pause()  # the scheduler is asleep: no run, no misfire handling
    sleep_until(last + INTERVAL * 3.4)  # three run times pass
    woke = time.monotonic()
    running.scheduler.resume()
    sleep_until(last + INTERVAL * 3.9)  # before the next regular run: only the catch-up

    caught_up = cycle.since(woke)
    expected = 1 if coalesce else 3
    assert caught_up == dict.fromkeys(POLLED, expected), caught_up


def test_a_daemon_stopped_for_three_intervals_crawls_each_source_once_on_restart(
    db: Database,
) -> None:
    first, cycle = make_daemon(db)
    first.start()
    last = just_after_a_run(cycle)
    first.stop()
    sleep_until(last + INTERVAL * 3.4)

    second, again = make_daemon(db)
    started = time.monotonic()
    second.start()
    try:
        wait_for_runs(again, started, 1)
        time.sleep(INTERVAL * 0.5)
        assert again.since(started) == dict.fromkeys(POLLED, 1)
        wait_for_runs(again, started, 2)  # and then the regular polls again
    finally:
        second.stop()


def test_jobs_are_rebuilt_from_the_config_at_each_start_and_never_stored(db: Database) -> None:
    """shared/reliability.md E4: no job table to lose a renamed job from, nothing pickled."""
    first, _ = make_daemon(db)
    first.start()
    jobs = {job.id: job.trigger.interval for job in first.scheduler.get_jobs()}
    first.stop()
    assert {f"crawl:{key}" for key in POLLED} <= set(jobs)

    second, _ = make_daemon(db)
    second.settings.sources["rt_arabic"].enabled = False  # the config changed meanwhile
    second.settings.sources["state_dept"].interval_minutes = 2
    second.start()
    try:
        rebuilt = {job.id: job.trigger.interval for job in second.scheduler.get_jobs()}
    finally:
        second.stop()
    assert "crawl:rt_arabic" not in rebuilt
    assert rebuilt["crawl:state_dept"] == timedelta(minutes=2)
    assert not [t for t in inspect(db.engine).get_table_names() if "apscheduler" in t]

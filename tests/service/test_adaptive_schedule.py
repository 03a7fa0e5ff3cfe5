"""The daemon's real scheduler re-times a source's job by what each poll reports, and a
WebSub push moves it to now: one poll for a burst, one more for a push during a poll; a
poll that found new articles has the notifier run at once, not at its next tick.
The crawl cycle is replaced by a recorder (as in test_catch_up), so polls are counted to
the millisecond; the real cycle and the real hub are in test_websub."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED, JobExecutionEvent

from monitor.config import Settings
from monitor.service.cycle import CycleReport
from monitor.service.scheduler import NOTIFY_JOB, Daemon, crawl_job_id
from monitor.store.db import Database
from spiders import SOURCES
from spiders.base import Source

KEY = "state_dept"
NEXT_IN = 0.6  # seconds the recorded polls ask for; the job's own interval is an hour


class TimedCycle:
    """Stands in for SourceCycle: notes each poll, takes `busy` seconds, asks for NEXT_IN."""

    def __init__(self) -> None:
        self.runs: list[float] = []
        self.busy = 0.0
        self.new = 0  # new articles each poll reports
        self.started = threading.Event()

    def run(self, source: Source, next_fire: datetime | None = None) -> CycleReport:
        self.runs.append(time.monotonic())
        self.started.set()
        time.sleep(self.busy)
        return CycleReport(source.key, "ok", new=self.new, next_in=NEXT_IN)


@pytest.fixture
def daemon(db: Database) -> Iterator[tuple[Daemon, TimedCycle]]:
    settings = Settings.model_validate(
        {
            "sources": {key: {"enabled": key == KEY, "jitter_seconds": 0} for key in SOURCES},
            "polling": {"adaptive": True, "floor_minutes": 1, "ceiling_minutes": 60},
            "notify": {"interval_seconds": 60},
        }
    )
    running = Daemon(settings, db, SOURCES, rules=lambda: None, web=False)  # type: ignore[arg-type,return-value]
    cycle = TimedCycle()
    running.cycle = cycle  # type: ignore[assignment]
    running.start()
    yield running, cycle
    running.stop()


def wait_runs(cycle: TimedCycle, count: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while len(cycle.runs) < count:
        assert time.monotonic() < deadline, f"{len(cycle.runs)} poll(s), wanted {count}"
        time.sleep(0.01)


def test_each_poll_sets_the_next_one_instead_of_the_jobs_interval(
    daemon: tuple[Daemon, TimedCycle],
) -> None:
    running, cycle = daemon
    assert running.crawl_jobs[KEY].trigger.interval.total_seconds() == 3600  # the ceiling
    wait_runs(cycle, 3)
    gaps = [b - a for a, b in zip(cycle.runs, cycle.runs[1:], strict=False)]
    assert all(NEXT_IN * 0.9 <= gap <= NEXT_IN + 1.0 for gap in gaps), gaps


def test_a_burst_of_pushes_gives_one_poll_and_a_push_during_a_poll_one_more(
    daemon: tuple[Daemon, TimedCycle],
) -> None:
    running, cycle = daemon
    wait_runs(cycle, 1)
    cycle.busy = 0.5
    running.scheduler.pause()  # between polls: the pushes find no poll under way
    time.sleep(NEXT_IN + 0.2)
    before = len(cycle.runs)
    running.retimer.at(crawl_job_id(KEY), datetime.max.replace(tzinfo=running.scheduler.timezone))
    for _ in range(5):
        running.push(KEY)
    time.sleep(0.2)  # the re-timings are applied by the retimer thread
    running.scheduler.resume()
    wait_runs(cycle, before + 1)
    time.sleep(0.3)  # the poll is under way
    assert len(cycle.runs) == before + 1
    running.push(KEY)
    running.push(KEY)
    wait_runs(cycle, before + 2, timeout=3)
    assert cycle.runs[before + 1] - cycle.runs[before] >= cycle.busy  # after it, not during
    time.sleep(0.2)
    assert len(cycle.runs) == before + 2


def test_a_poll_that_found_new_articles_runs_the_notifier_at_once(
    daemon: tuple[Daemon, TimedCycle],
) -> None:
    running, cycle = daemon
    drains: list[float] = []

    def note(event: JobExecutionEvent) -> None:
        if event.job_id == NOTIFY_JOB:
            drains.append(time.monotonic())

    wait_runs(cycle, 1)
    time.sleep(0.3)  # the notifier's first tick, at the start, is over; the next is in 60 s
    running.scheduler.add_listener(note, EVENT_JOB_EXECUTED)
    wait_runs(cycle, 3)
    assert drains == []  # polls that found nothing leave the notifier alone
    cycle.new = 1
    polls = len(cycle.runs)
    wait_runs(cycle, polls + 1)
    deadline = time.monotonic() + 2
    while not drains and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(drains) == 1, "the notifier did not run after a poll that found an article"
    assert drains[0] - cycle.runs[polls] < 1.5

"""One scheduled run of one source: lease, isolated crawl, pipeline, back-off, health.

The crawl itself happens in a child process (see `isolation`); everything after it - the
pipeline over the pages it stored, the source's failure count and next run, the health
check - happens here in the daemon, holding the source's crawl lease so that with several
workers one source is crawled and processed by one of them at a time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from monitor.config import Settings
from monitor.log import redact
from monitor.service import health, locks
from monitor.service.isolation import Children, ChildResult
from monitor.service.jobs import payload_for, run_with_rules
from monitor.service.pipeline import Pipeline
from monitor.service.polling import (
    history_for,
    limits_for,
    poll_interval,
    quick_poll_now,
    wait_after_poll,
)
from monitor.store import models
from monitor.store.db import Database
from monitor.store.models import utcnow
from spiders.base import Source

log = logging.getLogger(__name__)

LEASE_MARGIN = timedelta(minutes=2)
MAX_BACKOFF = timedelta(hours=6)
# crawl summary outcomes and child outcomes that count as a failed run (partial does not)
FAILED_OUTCOMES = frozenset({"failed", "error", "timeout", "crashed", "blocked"})


def backoff_delay(interval: timedelta, failures: int) -> timedelta:
    """Doubling delay after each failed run, capped (never shorter than the interval)."""
    if failures <= 0:
        return timedelta(0)
    return min(interval * (2 ** min(failures, 20)), max(MAX_BACKOFF, interval))


def job_interval(settings: Settings, key: str) -> timedelta:
    """A source job's own interval: with adaptive polling the ceiling (each poll re-times
    the next one), else the source's `interval_minutes`."""
    if settings.polling.adaptive:
        return timedelta(minutes=settings.polling.ceiling_minutes)
    return timedelta(minutes=settings.source(key).interval_minutes)


def ensure_sources(db: Database, sources: dict[str, Source]) -> None:
    """A `sources` row per registered source (crawl runs and health refer to it)."""
    with db.session() as session:
        known = set(session.scalars(select(models.Source.key)))
    for key, source in sources.items():
        if key in known:
            continue
        try:
            with db.session() as session:
                session.add(models.Source(key=key, name=source.name))
        except IntegrityError:  # a worker started at the same moment added it
            pass


@dataclass
class CycleReport:
    source: str
    # a crawl summary outcome (ok, partial, blocked, failed, ...), or the child's (timeout,
    # crashed, stopped), or skipped-backoff / skipped-leased
    outcome: str
    pages: int = 0
    new: int = 0
    error: str | None = None
    quick: bool = False  # adaptive polling's cheap poll, not a full walk
    hubs: dict[str, str] = field(default_factory=dict)  # WebSub topic -> hub, from the feeds
    next_in: float | None = None  # adaptive polling: seconds until the next poll


class SourceCycle:
    """Runs the scheduled cycle of any source; one instance per daemon."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        pipeline: Pipeline,
        children: Children,
        owner: str,
        stopping: threading.Event,
        on_done: Callable[[CycleReport, float], None] | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.pipeline = pipeline
        self.children = children
        self.owner = owner
        self.stopping = stopping
        self.on_done = on_done

    def interval(self, key: str) -> timedelta:
        return job_interval(self.settings, key)

    def quick_poll(self, key: str, now: datetime) -> bool:
        """Whether this poll reads the feeds only (adaptive polling between full walks)."""
        return self.settings.polling.adaptive and quick_poll_now(self.settings, self.db, key, now)

    def next_poll_in(self, source: Source, started: datetime, now: datetime) -> tuple[float, float]:
        """Seconds from `now` to the next poll, and from this poll's start (`started`)."""
        history = history_for(self.settings, source.key, self.db, now)
        limits = limits_for(self.settings, source, self.db)
        interval = poll_interval(
            history, limits, now, self.settings.polling.full_every_minutes * 60
        )
        elapsed = (now - started).total_seconds()
        return wait_after_poll(interval, elapsed, limits.crawl_delay), interval

    def run(self, source: Source, next_fire: datetime | None = None) -> CycleReport:
        key = source.key
        now = utcnow()
        with self.db.session() as session:
            row = session.get_one(models.Source, key)
            if row.next_run_at and row.next_run_at > now and row.consecutive_failures:
                log.info(
                    "crawl %s skipped: backing off after %d failure(s) until %s",
                    key,
                    row.consecutive_failures,
                    row.next_run_at.isoformat(),
                )
                return CycleReport(key, "skipped-backoff")
        timeout = self.settings.source(key).timeout_minutes * 60
        lease = locks.crawl_lease(key)
        ttl = timedelta(seconds=timeout) + LEASE_MARGIN
        if not locks.acquire(self.db, lease, self.owner, ttl):
            log.info("crawl %s skipped: another worker holds its lease", key)
            return CycleReport(key, "skipped-leased")
        try:
            return self._run_leased(source, timeout, ttl, next_fire)
        finally:
            locks.release(self.db, lease, self.owner)

    def _run_leased(
        self, source: Source, timeout: float, ttl: timedelta, next_fire: datetime | None
    ) -> CycleReport:
        key = source.key
        started = utcnow()
        self._abort_leftovers(key, before=started)
        quick = self.quick_poll(key, started)
        log.info("crawl %s started%s (limit %.0fs)", key, " (quick)" if quick else "", timeout)
        lease = locks.crawl_lease(key)
        keep_alive = lambda: locks.renew(self.db, lease, self.owner, ttl)
        child = self.children.run(
            "monitor.service.jobs:crawl_in_child",
            payload_for(self.settings, source=key, worker=self.owner, quick=quick),
            timeout,
            keep_alive,
        )
        self._settle_runs(key, started, child)
        locks.renew(self.db, lease, self.owner, ttl)
        if child.outcome == "ok":
            report = CycleReport(
                key,
                str(child.result.get("outcome", "ok")),
                error=child.result.get("error"),
                hubs=dict(child.result.get("hubs") or {}),
            )
            log.info("crawl %s finished in %.1fs: %s", key, child.seconds, _counts(child))
        else:
            report = CycleReport(key, child.outcome, error=redact(child.error or ""))
            log.warning(
                "crawl %s %s after %.1fs: %s", key, child.outcome, child.seconds, report.error
            )
        report.quick = quick
        if child.outcome != "stopped":
            report.pages, report.new = self._process(key, timeout, keep_alive)
            timing = ""
            if self.settings.polling.adaptive and report.outcome not in FAILED_OUTCOMES:
                now = utcnow()
                report.next_in, interval = self.next_poll_in(source, started, now)
                next_fire = now + timedelta(seconds=report.next_in)
                timing = (
                    f", next poll in {report.next_in:.0f}s ({interval:.0f}s after this one's start)"
                )
            self._record(key, report, next_fire)
            health.check_and_alert(self.db, self.settings, key, utcnow())
            log.info(
                "cycle %s done: %s, %d page(s) processed, %d new article(s)%s",
                key,
                report.outcome,
                report.pages,
                report.new,
                timing,
            )
        if self.on_done:
            self.on_done(report, child.seconds)
        return report

    def _process(
        self, key: str, timeout: float, keep_alive: Callable[[], object]
    ) -> tuple[int, int]:
        """Pipeline over this source's pending pages, in a child (see `jobs`)."""
        if self.stopping.is_set() or not self.pipeline.pending_ids(key):
            return 0, 0  # pages left by a shutdown stay pending for the next run
        child = run_with_rules(
            self.children,
            "monitor.service.jobs:process_in_child",
            self.settings,
            self.pipeline.rules,
            timeout,
            keep_alive,
            source=key,
        )
        if child.outcome != "ok":  # the pages stay pending for the next run
            log.warning("pipeline %s %s: %s", key, child.outcome, redact(child.error or ""))
            return 0, 0
        return int(child.result["pages"]), int(child.result["new"])

    def _abort_leftovers(self, key: str, before: datetime) -> None:
        """Runs left `running` by a daemon that died mid-crawl (we hold the lease now)."""
        with self.db.session() as session:
            session.execute(
                update(models.CrawlRun)
                .where(
                    models.CrawlRun.source_key == key,
                    models.CrawlRun.outcome == "running",
                    models.CrawlRun.started_at < before,
                )
                .values(outcome="aborted", error="daemon stopped mid-crawl", finished_at=utcnow())
            )

    def _settle_runs(self, key: str, after: datetime, child: ChildResult) -> None:
        """A child killed before it finished leaves its run `running`: give it our outcome."""
        if child.outcome == "ok":
            return
        values = {
            "outcome": child.outcome,
            "finished_at": utcnow(),
            "error": redact(child.error or ""),
            "worker": self.owner,
        }
        since = (models.CrawlRun.source_key == key, models.CrawlRun.started_at >= after)
        with self.db.session() as session:
            session.execute(
                update(models.CrawlRun)
                .where(*since, models.CrawlRun.outcome == "running")
                .values(**values)
            )
            if session.scalar(select(models.CrawlRun.id).where(*since).limit(1)) is None:
                session.add(models.CrawlRun(source_key=key, started_at=after, **values))

    def _record(self, key: str, report: CycleReport, next_fire: datetime | None) -> None:
        """Failure count, back-off and last-new time on the source row."""
        now = utcnow()
        failed = report.outcome in FAILED_OUTCOMES
        with self.db.session() as session:
            row = session.get_one(models.Source, key)
            row.consecutive_failures = row.consecutive_failures + 1 if failed else 0
            retry_at = now + backoff_delay(self.interval(key), row.consecutive_failures)
            row.next_run_at = retry_at if failed else next_fire
            if report.new:
                row.last_new_at = now
            if failed:
                log.warning(
                    "crawl %s: %d failure(s) in a row, next try not before %s",
                    key,
                    row.consecutive_failures,
                    retry_at.isoformat(),
                )


def _counts(child: ChildResult) -> str:
    keys = ("found", "new", "unchanged", "failed", "blocked")
    return ", ".join(f"{k}={child.result[k]}" for k in keys if k in child.result) or "no summary"

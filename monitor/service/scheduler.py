"""`monitor run`: the long-running daemon (or one worker of a pool).

APScheduler 3 with an in-memory job store rebuilt from the config at every start (its
shared job stores are unsupported across processes and pickle jobs into the database),
in UTC. Each enabled source is a job on its own interval with jitter; `max_instances=1`
keeps one run per source per process and the source's crawl lease keeps one across
workers; `coalesce` folds missed runs into one; `misfire_grace_time` is set on purpose
(APScheduler's 1 s default would silently skip a run delayed by a busy pool). The
notifier drain (which also folds digests) and the lease heartbeat have jobs of their own;
the drain also runs at once after a poll that found new articles (else their alerts would
wait up to `notify.interval_seconds` more).
With adaptive polling (`polling.adaptive`) a source's job runs at the ceiling interval and
each poll moves its next run to the time `polling.poll_interval` gives; a WebSub push
moves it to now (one poll for a burst of pushes; a push during a poll, one more after it).
"""

from __future__ import annotations

import logging
import queue
import random
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler

from monitor.alerts.notifier import DrainSummary, has_due_work
from monitor.config import Settings
from monitor.service import locks
from monitor.service.cycle import CycleReport, SourceCycle, ensure_sources, job_interval
from monitor.service.isolation import Children
from monitor.service.jobs import payload_for
from monitor.service.pipeline import Matcher
from monitor.service.recheck import Rechecker, schedule_rechecks
from monitor.service.trendjobs import schedule_trend_jobs
from monitor.service.web import ServiceMetrics, WebServer, make_web_app
from monitor.service.websub import Subscriber
from monitor.service.wiring import make_pipeline
from monitor.store.db import Database
from spiders.base import Source

log = logging.getLogger(__name__)

LEASE_TTL = timedelta(seconds=30)
HEARTBEAT_SECONDS = 5.0
MIN_MISFIRE_GRACE = 30
RULES_POLL_SECONDS = 5.0
# a drain delivers until the outbox is empty; apprise's own timeouts bound each message
DRAIN_TIMEOUT_SECONDS = 15 * 60
NOTIFY_JOB = "notify"
OTHER_JOBS = 6  # threads beside the crawls: drain, heartbeat, rules, recheck, spikes, briefing


def crawl_job_id(key: str) -> str:
    """The scheduler's id for a source's poll job."""
    return f"crawl:{key}"


class Retimer:
    """Moves jobs' next runs (a source's poll, the notifier), from a thread of its own: a
    job calling `modify_job` itself would deadlock a shutdown waiting for it (APScheduler 3
    holds its job-store lock while it waits for the running jobs)."""

    def __init__(self, scheduler: BackgroundScheduler) -> None:
        self.scheduler = scheduler
        self.queue: queue.SimpleQueue[tuple[str, datetime] | None] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._loop, name="retimer", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.queue.put(None)

    def at(self, job_id: str, when: datetime) -> None:
        self.queue.put((job_id, when))

    def _loop(self) -> None:
        while (item := self.queue.get()) is not None:
            job_id, when = item
            try:
                self.scheduler.modify_job(job_id, next_run_time=when)
            except JobLookupError:  # the scheduler was shut down meanwhile
                return


class Daemon:
    """Build with settings and a migrated database; `run()` blocks until SIGTERM/SIGINT."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        sources: dict[str, Source],
        *,
        rules: Callable[[], Matcher],
        rules_poll: Callable[[], object] | None = None,
        worker: bool = False,
        web: bool = True,
    ) -> None:
        self.settings, self.db, self.sources = settings, db, sources
        self.worker, self.web = worker, web
        self.owner = locks.new_owner_id("worker" if worker else "daemon")
        self.stopping = threading.Event()
        self.children = Children(max_running=settings.crawl.max_processes)
        self.deliveries = Children()  # alerts never wait behind a crawl; not stopped early
        self.metrics = ServiceMetrics(db, settings, sources)
        self.rules_poll = rules_poll
        self.pipeline = make_pipeline(settings, db, rules=rules)
        self.cycle = SourceCycle(
            settings,
            db,
            self.pipeline,
            self.children,
            self.owner,
            self.stopping,
            on_done=self._count_crawl,
        )
        self.rechecker = Rechecker(
            settings, db, self.pipeline, self.children, self.owner, self.stopping
        )
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=len(sources) + OTHER_JOBS)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": MIN_MISFIRE_GRACE,
            },
        )
        self.retimer = Retimer(self.scheduler)
        self.polling: set[str] = set()  # sources being polled now
        self.pushed: set[str] = set()  # ...that a WebSub push asked to poll again after
        self._poll_lock = threading.Lock()
        lease = timedelta(hours=settings.polling.websub_lease_hours)
        self.websub = (
            Subscriber(settings.review.base_url, lease, self.push)
            if settings.polling.websub and web
            else None
        )
        self.lease_name: str | None = None
        self.crawl_jobs: dict[str, Job] = {}  # read by the jobs without the scheduler's lock
        self.last_heartbeat = 0.0
        self._web: WebServer | None = None

    def enabled_sources(self) -> list[Source]:
        return [s for key, s in sorted(self.sources.items()) if self.settings.source(key).enabled]

    def start(self) -> None:
        """Claim the database, schedule the jobs, start the web server; raises AlreadyRunning."""
        if logging.getLogger().level > logging.DEBUG:  # one line per job run is noise
            logging.getLogger("apscheduler").setLevel(logging.WARNING)
        self.db.warn_if_on_network_filesystem()
        self.lease_name = locks.claim_daemon(self.db, self.owner, self.worker, LEASE_TTL)
        self.last_heartbeat = time.monotonic()
        ensure_sources(self.db, self.sources)
        self.schedule_jobs(datetime.now(UTC))
        self.retimer.start()
        self.scheduler.start()
        if self.web:
            signed = self.websub.routes() if self.websub else []
            app = make_web_app(self.settings, self.db, self.metrics, self.probe, signed)
            self._web = WebServer(app, self.settings.review.host, self.settings.review.port).start()
        log.info(
            "%s started: %d source(s) scheduled, notifier every %.0fs%s",
            "worker" if self.worker else "daemon",
            len(self.enabled_sources()),
            self.settings.notify.interval_seconds,
            f", web on {self.settings.review.host}:{self.settings.review.port}" if self.web else "",
        )

    def schedule_jobs(self, now: datetime) -> None:
        """The jobs, rebuilt from the config at every start (nothing is stored)."""
        for source in self.enabled_sources():
            cfg = self.settings.source(source.key)
            interval = job_interval(self.settings, source.key).total_seconds()
            first = now + timedelta(seconds=random.uniform(0, min(cfg.jitter_seconds, interval)))
            self.crawl_jobs[source.key] = self.scheduler.add_job(
                self._crawl_job,
                "interval",
                args=[source],
                id=crawl_job_id(source.key),
                name=f"crawl {source.key}",
                seconds=interval,
                jitter=cfg.jitter_seconds or None,
                next_run_time=first,
                misfire_grace_time=max(MIN_MISFIRE_GRACE, int(interval)),
                replace_existing=True,
            )
        notify = self.settings.notify.interval_seconds
        self.scheduler.add_job(
            self._drain_job,
            "interval",
            id=NOTIFY_JOB,
            name="notifier",
            seconds=notify,
            next_run_time=now,
            misfire_grace_time=max(MIN_MISFIRE_GRACE, int(notify)),
        )
        self.scheduler.add_job(
            self._heartbeat_job, "interval", id="heartbeat", seconds=HEARTBEAT_SECONDS
        )
        schedule_rechecks(self.scheduler, self.rechecker, MIN_MISFIRE_GRACE)
        if self.rules_poll is not None:
            self.scheduler.add_job(
                self.rules_poll, "interval", id="rules", seconds=RULES_POLL_SECONDS
            )
        schedule_trend_jobs(
            self.scheduler,
            self.db,
            self.settings,
            self.pipeline.rules,
            self.owner,
            self.stopping,
            now,
        )

    def run(self) -> None:
        """Start, then block until a stop signal; stop cleanly."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        self.start()
        try:
            while not self.stopping.wait(1.0):
                pass
        finally:
            self.stop()

    def _on_signal(self, signum: int, _frame: Any) -> None:
        log.info("received %s: stopping", signal.Signals(signum).name)
        self.stopping.set()

    def stop(self) -> None:
        """Stop children, let running jobs finish their current page/alert, free the leases."""
        self.stopping.set()
        self.children.stop_all()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.retimer.stop()
        if self._web is not None:
            self._web.stop()
        if self.lease_name:
            locks.release(self.db, self.lease_name, self.owner)
        log.info("stopped")

    def probe(self) -> dict[str, Any]:
        age = time.monotonic() - self.last_heartbeat
        alive = self.scheduler.running and age < LEASE_TTL.total_seconds()
        return {
            "ok": bool(alive and not self.stopping.is_set()),
            "owner": self.owner,
            "heartbeat_age_seconds": round(age, 1),
            "scheduler": self.scheduler.running,
        }

    def _crawl_job(self, source: Source) -> None:
        if self.stopping.is_set():
            return
        # not scheduler.get_job: a shutdown waiting for this job holds the lock it takes
        job = self.crawl_jobs.get(source.key)
        with self._poll_lock:
            self.polling.add(source.key)
        report = None
        try:
            report = self.cycle.run(source, job.next_run_time if job else None)
        except Exception:  # the scheduler must keep going whatever one cycle did
            log.exception("crawl cycle %s failed", source.key)
        finally:
            self._after_poll(source.key, report)

    def _after_poll(self, key: str, report: CycleReport | None) -> None:
        """Deliver what the poll found now, not at the notifier's next tick; re-time the
        next poll; subscribe to the hubs the feeds named."""
        if report is not None and report.new:
            self.retimer.at(NOTIFY_JOB, datetime.now(UTC))
        with self._poll_lock:  # one lock with `push`: their re-timings stay in order
            self.polling.discard(key)
            pushed = key in self.pushed
            self.pushed.discard(key)
            if pushed:
                self._poll_at(key, datetime.now(UTC))
            elif report is not None and report.next_in is not None:
                self._poll_at(key, datetime.now(UTC) + timedelta(seconds=report.next_in))
        if report is not None and report.hubs and self.websub is not None:
            self.websub.ensure(key, report.hubs)

    def _poll_at(self, key: str, when: datetime) -> None:
        self.retimer.at(crawl_job_id(key), when)

    def push(self, key: str) -> None:
        """A WebSub push: poll the source now, or right after the poll under way."""
        if key not in self.crawl_jobs or self.stopping.is_set():
            return
        with self._poll_lock:
            if key in self.polling:
                self.pushed.add(key)
            else:
                self._poll_at(key, datetime.now(UTC))

    def _count_crawl(self, report: CycleReport, seconds: float) -> None:
        self.metrics.crawls.labels(report.source, report.outcome).inc()
        self.metrics.crawl_seconds.labels(report.source).observe(seconds)

    def _drain_job(self) -> None:
        if self.stopping.is_set():
            return
        try:
            if not has_due_work(self.db, self.settings.notify, datetime.now(UTC)):
                return
        except Exception:
            log.exception("notifier: cannot read the outbox")
            return
        child = self.deliveries.run(
            "monitor.service.jobs:drain_in_child",
            payload_for(self.settings, owner=self.owner),
            DRAIN_TIMEOUT_SECONDS,
        )
        if child.outcome != "ok":
            log.error("notifier drain %s: %s", child.outcome, child.error)
            return
        summary = DrainSummary(**child.result)
        for outcome in ("sent", "retrying", "failed"):
            if n := getattr(summary, outcome):
                self.metrics.deliveries.labels(outcome).inc(n)
        if summary.sent or summary.retrying or summary.failed or summary.bundled:
            log.info("notifier: %s", summary)

    def _heartbeat_job(self) -> None:
        assert self.lease_name is not None
        try:
            held = locks.renew(self.db, self.lease_name, self.owner, LEASE_TTL)
        except Exception:
            log.exception("heartbeat: cannot reach the database")
            return
        if held:
            self.last_heartbeat = time.monotonic()
            return
        if self.worker:  # a worker's lease only announces it; take it again
            locks.acquire(self.db, self.lease_name, self.owner, LEASE_TTL)
            self.last_heartbeat = time.monotonic()
            return
        log.error("lost the daemon lease (another daemon took over after a stall): stopping")
        self.stopping.set()

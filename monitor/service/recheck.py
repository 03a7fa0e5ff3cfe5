"""Re-check rounds: due articles -> one isolated re-check process per source -> changes.

The fetching happens in a child process like a crawl (`Children`, Scrapy's reactor is
once per process); applying what it saw (versions, edits, removals, alerts) happens here,
in the caller. A scheduled round holds the source's crawl lease, so a source is never
crawled and re-checked at the same time (one politeness budget per site), also across
workers. `monitor recheck ID` uses the same path without the schedule.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from monitor.config import Settings, SourceSettings
from monitor.domain import RecheckTarget
from monitor.service import locks
from monitor.service.cycle import LEASE_MARGIN
from monitor.service.isolation import Children
from monitor.service.jobs import payload_for, run_with_rules
from monitor.service.pipeline import Pipeline
from monitor.store import models
from monitor.store.db import Database
from monitor.store.models import utcnow
from monitor.versions.checks import CheckResult, pending_checks
from monitor.versions.schedule import due_targets, target_for

log = logging.getLogger(__name__)


@dataclass
class RoundReport:
    """One round: per source the child's summary (requests, bytes, outcomes) and results."""

    fetched: dict[str, dict[str, Any]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # source -> why
    results: list[CheckResult] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "sources": self.fetched,
            "skipped": self.skipped,
            "checks": [r.as_json() for r in self.results],
            "changes": sum(r.change is not None for r in self.results),
        }


class Rechecker:
    """Runs re-checks for any source; one instance per daemon (or per CLI command)."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        pipeline: Pipeline,
        children: Children,
        owner: str,
        stopping: threading.Event | None = None,
    ) -> None:
        self.settings, self.db, self.pipeline = settings, db, pipeline
        self.children, self.owner = children, owner
        self.stopping = stopping or threading.Event()

    def run_due(self, now: datetime | None = None) -> RoundReport:
        """The scheduled round: every due article of every enabled source."""
        with self.db.session(readonly=True) as session:
            due = due_targets(session, self.settings.recheck, now or utcnow())
        report = RoundReport()
        for key, targets in sorted(due.items()):
            if self.stopping.is_set():
                break
            if not self.settings.source(key).enabled:
                report.skipped[key] = "source disabled"
                continue
            self._leased(key, targets, report)
        report.results += self._apply()
        return report

    def run_articles(self, article_ids: Iterable[int]) -> RoundReport:
        """Re-check these articles now, whatever the schedule (`monitor recheck ID`)."""
        by_source: dict[str, list[RecheckTarget]] = {}
        with self.db.session(readonly=True) as session:
            for article in session.scalars(
                select(models.Article).where(models.Article.id.in_(list(article_ids)))
            ):
                target = target_for(session, article, "demand")
                by_source.setdefault(article.source_key, []).append(target)
        report = RoundReport()
        for key, targets in sorted(by_source.items()):
            self._fetch(key, targets, report)
        report.results += self._apply()
        return report

    def _apply(self) -> list[CheckResult]:
        """Apply what the fetches stored (versions, edits, alerts), in a child (see `jobs`)."""
        if not pending_checks(self.db):
            return []
        timeout = max(
            [self.settings.source(key).timeout_minutes * 60 for key in self.settings.sources]
            or [SourceSettings().timeout_minutes * 60]
        )
        child = run_with_rules(
            self.children,
            "monitor.service.jobs:apply_checks_in_child",
            self.settings,
            self.pipeline.rules,
            timeout,
        )
        if child.outcome != "ok":  # the checks stay pending for the next round
            log.warning("recheck: applying the checks %s: %s", child.outcome, child.error)
            return []
        results: list[CheckResult] = child.result["results"]
        return results

    def _leased(self, key: str, targets: list[RecheckTarget], report: RoundReport) -> None:
        lease = locks.crawl_lease(key)
        ttl = timedelta(minutes=self.settings.source(key).timeout_minutes) + LEASE_MARGIN
        if not locks.acquire(self.db, lease, self.owner, ttl):
            report.skipped[key] = "crawl in progress"
            return
        try:
            self._fetch(key, targets, report, lambda: locks.renew(self.db, lease, self.owner, ttl))
        finally:
            locks.release(self.db, lease, self.owner)

    def _fetch(
        self,
        key: str,
        targets: list[RecheckTarget],
        report: RoundReport,
        keep_alive: Callable[[], object] | None = None,
    ) -> None:
        payload = payload_for(self.settings, source=key, targets=[asdict(t) for t in targets])
        timeout = self.settings.source(key).timeout_minutes * 60
        child = self.children.run(
            "monitor.service.jobs:recheck_in_child", payload, timeout, keep_alive
        )
        if child.outcome != "ok":
            log.warning("recheck %s %s: %s", key, child.outcome, child.error)
            report.skipped[key] = f"{child.outcome}: {child.error}"
            return
        report.fetched[key] = child.result
        log.info(
            "recheck %s: %d article(s), %s, %d request(s), %d bytes",
            key,
            len(targets),
            child.result.get("outcomes"),
            child.result.get("requests", 0),
            child.result.get("bytes_received", 0),
        )


def schedule_rechecks(scheduler: Any, rechecker: Rechecker, grace: int) -> None:
    """The daemon's one re-check job (APScheduler interval, one round at a time)."""
    cfg = rechecker.settings.recheck
    if not cfg.enabled or not cfg.schedule_hours:
        return

    def job() -> None:
        if rechecker.stopping.is_set():
            return
        try:
            report = rechecker.run_due()
        except Exception:  # the scheduler must keep going whatever one round did
            log.exception("recheck round failed")
            return
        if report.results or report.skipped:
            log.info(
                "recheck round: %s", {k: v for k, v in report.as_json().items() if k != "checks"}
            )

    scheduler.add_job(
        job,
        "interval",
        id="recheck",
        name="re-checks",
        minutes=cfg.interval_minutes,
        misfire_grace_time=max(grace, int(cfg.interval_minutes * 60)),
    )

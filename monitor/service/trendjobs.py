"""The daemon's trend jobs: the spike check on a timer, the briefing on a crontab.

Kept apart from scheduler.py, which only calls `schedule_trend_jobs`. The check runs
under the `trends` lease, so in a worker pool one worker checks at a time and no episode
is opened twice; the briefing's outbox key (kind, day, channel) keeps it to one a day.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger

from monitor.config import Settings
from monitor.service import locks
from monitor.store.db import Database

log = logging.getLogger(__name__)

CHECK_LEASE_TTL = timedelta(minutes=10)
FIRST_CHECK_DELAY = timedelta(minutes=1)  # let the first crawls of a start land first


def run_spike_check(db: Database, settings: Settings, rules: Callable[[], Any], owner: str) -> None:
    """One spike check with the rules in use now; a failure is logged, never raised."""
    from monitor.trends.check import LEASE, RuleInfo, check_spikes

    try:
        if not locks.acquire(db, LEASE, owner, CHECK_LEASE_TTL):
            return
        try:
            infos = [RuleInfo.of(rule) for rule in getattr(rules(), "rules", ())]
            report = check_spikes(db, settings, infos)
        finally:
            locks.release(db, LEASE, owner)
    except Exception:  # the scheduler must keep going
        log.exception("spike check failed")
        return
    if report.opened or report.closed:
        log.info(
            "spike check: %d opened, %d ended, %d alert(s) queued",
            len(report.opened),
            report.closed,
            report.alerts,
        )


def run_briefing(db: Database, settings: Settings) -> None:
    from monitor.trends.report import queue_briefing

    try:
        queued = queue_briefing(db, settings, datetime.now(UTC))
    except Exception:
        log.exception("briefing failed")
        return
    log.info("briefing queued for %d channel(s)", queued)


def schedule_trend_jobs(
    scheduler: BaseScheduler,
    db: Database,
    settings: Settings,
    rules: Callable[[], Any],
    owner: str,
    stopping: threading.Event,
    now: datetime,
) -> None:
    trends = settings.trends

    def check() -> None:
        if not stopping.is_set():
            run_spike_check(db, settings, rules, owner)

    scheduler.add_job(
        check,
        "interval",
        id="spikes",
        name="spike check",
        seconds=trends.check_minutes * 60,
        next_run_time=now + FIRST_CHECK_DELAY,
        misfire_grace_time=max(30, int(trends.check_minutes * 60)),
    )
    if trends.briefing.cron:

        def briefing() -> None:
            if not stopping.is_set():
                run_briefing(db, settings)

        scheduler.add_job(
            briefing,
            CronTrigger.from_crontab(trends.briefing.cron, timezone=UTC),
            id="briefing",
            name="briefing",
            misfire_grace_time=3600,
        )

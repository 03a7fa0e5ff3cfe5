"""The daemon's child-process jobs: what each one sets up, and what each one runs.

This module is what every child imports first, so it imports little at the top: each job
imports its own code (Scrapy for a crawl, trafilatura for page processing, apprise for
delivery) and nothing else.

The main process schedules, keeps the leases and the rule book, checks the outbox and
serves; it never imports Scrapy, trafilatura, dateparser or datasketch. Crawls and
re-check fetches run in children (see `cycle`, `recheck`), and so does the pipeline over
the pages they stored: a child gets the rule book the daemon holds (the last one that
loaded, so a broken rule file never switches alerting off) and processes the pending
pages, one transaction per page. A child stopped by the daemon's shutdown finishes the
page in hand first. Alert delivery, which loads every apprise plugin, runs in a child
too, started only when the outbox has something due.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from monitor.config import Settings
from monitor.domain import RecheckTarget
from monitor.log import register_url_secrets, setup_logging
from monitor.service.isolation import Children, ChildResult
from monitor.store.db import Database

log = logging.getLogger(__name__)


def payload_for(settings: Settings, **fields: Any) -> dict[str, Any]:
    """A job's payload: the daemon's settings and log level, and the job's own fields."""
    return {
        "settings": settings.model_dump(mode="json"),
        "log_level": logging.getLevelName(logging.getLogger().level),
        **fields,
    }


@contextmanager
def job_context(payload: dict[str, Any]) -> Iterator[tuple[Settings, Database]]:
    """A fresh child's set-up: settings, the YAML-declared sources, logging with secrets
    redacted, and a database connection closed when the job ends."""
    from spiders import register_declared

    settings = Settings.model_validate(payload["settings"])
    register_declared(settings)
    setup_logging(payload.get("log_level", settings.log_level), settings.log_json)
    register_url_secrets(settings.db_url)
    for channel in settings.notify.channels.values():
        register_url_secrets(channel.url)
    db = Database(settings.db_url)
    try:
        yield settings, db
    finally:
        db.dispose()


def crawl_in_child(payload: dict[str, Any]) -> dict[str, Any]:
    """Child-process side: crawl one source and store its pages as pending.

    Calls the crawl in this process rather than `run_crawl`, which would spawn yet another
    interpreter: this child already is the isolation, and the daemon can stop it.
    """
    from monitor.crawl.runner import crawl_in_this_process
    from monitor.crawl.store import CrawlStore
    from spiders import SOURCES

    with job_context(payload) as (settings, db):
        source = SOURCES[payload["source"]]
        quick = bool(payload.get("quick"))
        mode = "quick" if quick else "fresh"
        run_id = CrawlStore(db, source).start_run(mode, worker=payload["worker"])
        summary = crawl_in_this_process(source, settings, db, run_id, None, quick=quick)
    return summary.as_json()


def recheck_in_child(payload: dict[str, Any]) -> dict[str, Any]:
    """Child-process side: fetch the targets of one source and record what came back."""
    from monitor.crawl.recheck import recheck_in_this_process
    from spiders import SOURCES

    with job_context(payload) as (settings, db):
        targets = [RecheckTarget(**t) for t in payload["targets"]]
        summary = recheck_in_this_process(SOURCES[payload["source"]], settings, db, targets)
    return summary.as_json()


def process_in_child(payload: dict[str, Any]) -> dict[str, Any]:
    """Child side: the pipeline over one source's pending pages -> {"pages", "new"}."""
    from monitor.service.wiring import make_pipeline

    stopping = _stop_after_this_page()
    with job_context(payload) as (settings, db):
        book = payload["rules"]
        pipeline = make_pipeline(settings, db, rules=lambda: book)
        key = payload["source"]
        ids = pipeline.pending_ids(key)
        done = new = 0
        for raw_id in ids:
            if stopping.is_set():
                log.info("pipeline %s: stopping, %d page(s) left pending", key, len(ids) - done)
                break
            try:
                outcome = pipeline.process_raw(raw_id)
            except Exception:  # one bad page must not stop the others; it stays pending
                log.exception("pipeline %s: page %d could not be processed", key, raw_id)
                continue
            done += 1
            new += outcome.status == "new"
    return {"pages": done, "new": new}


def apply_checks_in_child(payload: dict[str, Any]) -> dict[str, Any]:
    """Child side: apply the re-checks waiting in the store -> {"results": [CheckResult]}."""
    from monitor.service.wiring import make_pipeline
    from monitor.versions.checks import apply_check, pending_checks

    stopping = _stop_after_this_page()
    with job_context(payload) as (settings, db):
        book = payload["rules"]
        pipeline = make_pipeline(settings, db, rules=lambda: book)
        results = []
        for check_id in pending_checks(db):
            if stopping.is_set():
                break
            results.append(apply_check(db, pipeline.process_raw, settings, check_id))
    return {"results": results}


def drain_in_child(payload: dict[str, Any]) -> dict[str, Any]:
    """Child side: deliver the due alerts through apprise -> the drain's summary.

    Not stopped by a shutdown: the daemon waits for the alert in hand, as before.
    """
    from monitor.alerts.notifier import drain

    with job_context(payload) as (settings, db):
        return drain(db, settings, owner=payload["owner"]).as_json()


def run_with_rules(
    children: Children,
    target: str,
    settings: Settings,
    rules: Callable[[], object],
    timeout: float,
    keep_alive: Callable[[], object] | None = None,
    **fields: Any,
) -> ChildResult:
    """Run a processing job with the daemon's current rule book; a book that never loaded
    is reported like a failed child (the pages stay pending)."""
    from monitor.rules import RuleError  # loaded in the daemon already, not in the children

    try:
        book = rules()
    except RuleError as exc:  # no rule file ever loaded: nothing to match with yet
        return ChildResult("failed", 0.0, error=f"no rules to match with: {exc}")
    payload = payload_for(settings, rules=book, **fields)
    return children.run(target, payload, timeout, keep_alive)


def _stop_after_this_page() -> threading.Event:
    """SIGTERM (the daemon's shutdown) sets the event instead of killing mid-page; the
    daemon's SIGKILL after its grace period still ends a page that never finishes."""
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda _sig, _frame: stopping.set())
    return stopping

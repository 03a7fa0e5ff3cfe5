"""Run one crawl of one source: `run_crawl(source, settings, db, since) -> CrawlSummary`.

Each crawl runs in a fresh child process (`python -m monitor.crawl.runner`). Twisted's
reactor can be started once per process (`ReactorNotRestartable`, scrapy/scrapy#2941), so
a daemon, a CLI or a test that crawls more than once cannot run Scrapy in its own process;
the child also gives every crawl a hard time limit (`sources.<key>.timeout_minutes`) and
keeps a crashed or hung crawl from taking the caller down. A plain subprocess rather than
multiprocessing "spawn", which would re-import the caller's `__main__` (scripts without a
main guard would crawl recursively). The CrawlRun row is opened here before the child
starts, so a killed crawl still leaves a record with outcome "timeout" or "error"; the
database must be one the child can open too (a file or a server, not SQLite ":memory:").
"""

from __future__ import annotations

import logging
import os
import pickle
import socket
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

from monitor.config import Settings
from monitor.crawl.store import CrawlStore
from monitor.crawl.summary import CrawlSummary
from monitor.log import register_url_secrets, setup_logging
from monitor.store.db import Database
from spiders.base import Source

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # holds `monitor` and `spiders`


def run_crawl(
    source: Source,
    settings: Settings,
    db: Database,
    since: date | None = None,
    archive: bool = False,
    check: bool = False,
    quick: bool = False,
) -> CrawlSummary:
    """Crawl `source` once in a child process; stores RawPages, CrawlRun and FetchState.
    `archive`: from the web archive's index instead of the site (a back-fill to `since`);
    `check`: first discovery pages and a few sample articles only (`monitor sources check`);
    `quick`: the feeds only (adaptive polling's poll between full walks)."""
    if db.is_sqlite and db.engine.url.database in (None, "", ":memory:"):
        raise ValueError("run_crawl needs a database the crawl process can open, not :memory:")
    mode = "quick" if quick else crawl_mode(since, archive)
    store = CrawlStore(db, source)
    run_id = store.start_run(mode, worker=f"{socket.gethostname()}:{os.getpid()}")
    limit = settings.source(source.key).timeout_minutes * 60
    level = logging.getLevelName(logging.getLogger().getEffectiveLevel())
    job = pickle.dumps((source, settings, db.url, run_id, since, archive, check, quick, level))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])
        ),
    }
    started = time.monotonic()
    child = subprocess.Popen(
        [sys.executable, "-m", "monitor.crawl.runner"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )
    summary: CrawlSummary | None = None
    try:
        out, _ = child.communicate(job, timeout=limit)
        summary = pickle.loads(out) if child.returncode == 0 and out else None
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
    if summary is None:
        timed_out = time.monotonic() - started >= limit
        summary = CrawlSummary(
            source=source.key,
            mode=mode,
            run_id=run_id,
            outcome="timeout" if timed_out else "error",
            error=f"time limit {limit:.0f}s reached"
            if timed_out
            else f"crawl process exited with code {child.returncode}",
            seconds=time.monotonic() - started,
        )
        store.finish_run(summary, datetime.now(UTC))
    log.info(summary.line())
    return summary


def _child_main() -> None:
    """Entry point of the crawl process: job pickled on stdin, summary pickled on stdout."""
    result = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints must not corrupt the result
    source, settings, db_url, run_id, since, archive, check, quick, level = pickle.load(
        sys.stdin.buffer
    )
    setup_logging(level, settings.log_json)
    register_url_secrets(db_url)
    db = Database(db_url)
    try:
        summary = crawl_in_this_process(source, settings, db, run_id, since, archive, check, quick)
    finally:
        db.dispose()
    result.write(pickle.dumps(summary))
    result.close()


def crawl_mode(since: date | None, archive: bool) -> str:
    return "archive" if archive else "backfill" if since else "fresh"


def crawl_in_this_process(
    source: Source,
    settings: Settings,
    db: Database,
    run_id: int,
    since: date | None,
    archive: bool = False,
    check: bool = False,
    quick: bool = False,
) -> CrawlSummary:
    """The crawl itself. Starts the Twisted reactor: call at most once per process.
    `quick`: adaptive polling's cheap poll (the feeds only, robots.txt from the store)."""
    from scrapy.crawler import CrawlerProcess

    from monitor.crawl.settings import scrapy_settings
    from monitor.crawl.spider import SourceSpider

    mode = "quick" if quick else crawl_mode(since, archive)
    summary = CrawlSummary(source=source.key, mode=mode, run_id=run_id)
    store = CrawlStore(db, source)
    started = time.monotonic()
    process = CrawlerProcess(scrapy_settings(source, settings, quick=quick))
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("scrapy").setLevel(logging.WARNING)  # our own lines say what matters
    crawler = process.create_crawler(SourceSpider)
    process.crawl(
        crawler,
        source=source,
        config=settings,
        store=store,
        summary=summary,
        since=since,
        archive=archive,
        check=check,
        quick=quick,
    )
    try:
        process.start()
    except Exception as exc:  # recorded on the run; the caller gets a summary, not a trace
        log.exception("crawl %s crashed", source.key)
        summary.outcome, summary.error = "error", f"{type(exc).__name__}: {exc}"
    stats = crawler.stats.get_stats() if crawler.stats else {}
    summary.requests = int(stats.get("downloader/request_count", 0))
    summary.bytes_received = int(stats.get("downloader/response_bytes", 0))
    summary.seconds = time.monotonic() - started
    if stats.get("finish_reason") == "closespider_timeout":
        summary.outcome, summary.error = "timeout", "crawl time limit reached"
    summary.settle()
    spider = crawler.spider
    # None when the crawl failed to start; an archive's index is not polled again
    if isinstance(spider, SourceSpider) and not archive:
        now = datetime.now(UTC)
        store.save_validators(
            {u: v for u, v in spider.validators_out.items() if u not in spider.tainted}, now
        )
    store.finish_run(summary, datetime.now(UTC))
    return summary


if __name__ == "__main__":
    _child_main()

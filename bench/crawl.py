"""Cost of polling an unchanged site: crawl every loopback site twice, compare the runs.

The first crawl of each source fetches everything; the second should cost almost nothing
(conditional GETs answered 304, no article fetched again). Prints requests, bytes and wall
time of both, and the ratio second/first (target <= 0.1). Run:
    .venv/bin/python bench/crawl.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.config import Settings
from monitor.crawl.runner import run_crawl
from monitor.store.db import Database
from monitor.store.migrate import upgrade
from monitor.testing.sites import Sites
from spiders import SOURCES

SITES = ROOT / "tests" / "fixtures" / "sites"


@dataclass
class Cost:
    requests: int = 0
    bytes: int = 0  # as sent by the servers (bodies)
    seconds: float = 0.0  # wall time, child process start-up included
    crawl_seconds: float = 0.0  # inside the crawl (Scrapy engine open to close)
    new: int = 0


def crawl_all(sites: Sites, settings: Settings, db: Database) -> Cost:
    for server in sites.servers.values():
        server.stats.reset()
    cost = Cost()
    for source in SOURCES.values():
        started = time.monotonic()
        summary = run_crawl(source, settings, db)
        cost.seconds += time.monotonic() - started
        cost.crawl_seconds += summary.seconds
        cost.new += summary.new
    cost.requests = sum(s.stats.requests for s in sites.servers.values())
    cost.bytes = sum(s.stats.bytes_sent for s in sites.servers.values())
    return cost


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, Sites(SITES) as sites:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(db)
        bases = sites.base_urls()
        settings = Settings.model_validate(
            {
                "crawl": {"download_delay": 0, "max_crawl_delay": 0},
                "sources": {key: {"base_urls": bases} for key in SOURCES},
            }
        )
        first = crawl_all(sites, settings, db)
        second = crawl_all(sites, settings, db)
        not_modified = sum(s.stats.not_modified for s in sites.servers.values())
        db.dispose()
    print(f"{'':16}{'first':>12}{'second':>12}{'ratio':>9}")
    for name in ("requests", "bytes", "crawl_seconds", "seconds"):
        a, b = getattr(first, name), getattr(second, name)
        shown = f"{a:12.2f}{b:12.2f}" if isinstance(a, float) else f"{a:12d}{b:12d}"
        print(f"{name:16}{shown}{b / a if a else 0:9.3f}")
    print(
        f"new pages: first {first.new}, second {second.new}; "
        f"second crawl 304s: {not_modified} of {second.requests} requests"
    )


if __name__ == "__main__":
    main()

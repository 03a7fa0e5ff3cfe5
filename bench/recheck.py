"""Cost of a re-check round: 1,000 unchanged articles, side by side with their first fetch.

A loopback copy of www.state.gov is generated with a feed of ARTICLES press releases, each
a fixture article padded with the site's chrome to a realistic size (~PAGE_KB kB). Three
runs on one database, measured at the server (requests, body bytes) and by Scrapy
(`downloader/response_bytes`: status line, headers and body as received):
1. the first crawl: robots.txt, the feed, every article (what the re-check is compared to);
2. a re-check round of every article with the validators of its first fetch (conditional
   GET: an unchanged page costs a 304);
3. the same round against a server that ignores validators (every page sent again, found
   unchanged by its hash), to show what conditional GET saves.
Target: round 2 / round 1 <= 0.05 in bytes. Wall times include the child processes.
Run:
    .venv/bin/python bench/recheck.py
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select

from monitor.config import Settings
from monitor.crawl.runner import run_crawl
from monitor.service.isolation import Children
from monitor.service.recheck import Rechecker
from monitor.service.wiring import make_pipeline
from monitor.store import models
from monitor.store.db import Database
from monitor.store.migrate import upgrade
from monitor.testing.sites import SiteServer
from spiders import SOURCES

SITE = ROOT / "tests" / "fixtures" / "sites" / "www.state.gov"
ARTICLE = "releases/office-of-the-spokesperson/2026/11/united-states-welcomes-opcw-findings-on-chlorine-attack-in-douma"
ARTICLES = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
PAGE_KB = 60
CANONICAL = re.compile(r'(<link rel="canonical" href=")[^"]+(")')


@dataclass
class Cost:
    requests: int
    body_bytes: int
    wire_bytes: int
    seconds: float

    def ratio(self, first: Cost) -> str:
        return (
            f"{self.requests / first.requests:.4f} requests, {self.body_bytes / first.body_bytes:.4f}"
            f" body bytes, {self.wire_bytes / first.wire_bytes:.4f} wire bytes"
        )


def build_site(root: Path) -> list[str]:
    """The copy: robots.txt, a feed of ARTICLES items, the padded articles; returns paths."""
    shutil.copy(SITE / "robots.txt", root / "robots.txt")
    template = (SITE / ARTICLE / "index.html").read_text(encoding="utf-8")
    menu = "".join(
        f'<li><a href="https://www.state.gov/countries-areas/c{n}/">Country or area {n}</a></li>'
        for n in range(PAGE_KB * 12)
    )
    template = template.replace("</nav>", f"<ul class='mega-menu'>{menu}</ul></nav>")
    items, paths = [], []
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for n in range(ARTICLES):
        path = f"releases/office-of-the-spokesperson/2026/11/bench-release-{n}/"
        url = f"https://www.state.gov/{path}"
        page = CANONICAL.sub(rf"\g<1>{url}\g<2>", template).replace(
            "Findings on Chlorine Attack in Douma", f"Findings on Chlorine Attack in Douma ({n})"
        )
        (root / path).mkdir(parents=True)
        (root / path / "index.html").write_text(page, encoding="utf-8")
        when = format_datetime(start + timedelta(minutes=n))
        items.append(
            f"<item><title>Release {n}</title><link>{url}</link><pubDate>{when}</pubDate>"
            f"<guid>{url}</guid></item>"
        )
        paths.append(path)
    feed = root / "rss-feed" / "press-releases" / "feed"
    feed.mkdir(parents=True)
    (feed / "index.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Press'
        f" Releases</title>{''.join(items)}</channel></rss>",
        encoding="utf-8",
    )
    return paths


def measured(server: SiteServer, run: callable) -> tuple[Cost, object]:  # type: ignore[valid-type]
    server.stats.reset()
    started = time.monotonic()
    result, wire = run()
    return Cost(
        server.stats.requests, server.stats.bytes_sent, wire, time.monotonic() - started
    ), result


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "www.state.gov"
        root.mkdir()
        build_site(root)
        server = SiteServer(root).start()
        try:
            settings = Settings.model_validate(
                {
                    "data_dir": tmp,
                    "crawl": {"download_delay": 0, "max_crawl_delay": 0, "autothrottle": False},
                    "sources": {
                        "state_dept": {
                            "base_urls": {"www.state.gov": server.base_url},
                            "max_pages": ARTICLES + 50,
                        }
                    },
                }
            )
            db = Database(settings.db_url)
            upgrade(db)
            pipeline = make_pipeline(settings, db)

            def crawl() -> tuple[object, int]:
                summary = run_crawl(SOURCES["state_dept"], settings, db)
                return summary, summary.bytes_received

            first, summary = measured(server, crawl)
            processing = time.monotonic()
            pipeline.process_pending()
            processing = time.monotonic() - processing
            with db.session() as session:
                ids = list(session.scalars(select(models.Article.id)))
            rechecker = Rechecker(settings, db, pipeline, Children(), "bench")

            def round_() -> tuple[object, int]:
                report = rechecker.run_articles(ids)
                return report, report.fetched["state_dept"]["bytes_received"]

            conditional, report = measured(server, round_)
            outcomes = report.fetched["state_dept"]["outcomes"]  # type: ignore[attr-defined]
            changes = sum(r.change is not None for r in report.results)  # type: ignore[attr-defined]

            with db.session() as session:  # the requests now carry no validators
                for watch in session.scalars(select(models.ArticleWatch)):
                    watch.etag = watch.last_modified = None
            unconditional, report2 = measured(server, round_)
            outcomes2 = report2.fetched["state_dept"]["outcomes"]  # type: ignore[attr-defined]
        finally:
            server.stop()
    print(
        f"articles: {len(ids)} (~{PAGE_KB} kB each), crawl {summary.new} new"  # type: ignore[attr-defined]
        f" + pipeline {processing:.1f}s"
    )
    for name, cost in (
        ("first fetch", first),
        ("re-check, conditional", conditional),
        ("re-check, no validators", unconditional),
    ):
        print(
            f"{name:24} {cost.requests:6d} requests {cost.body_bytes:12,d} body bytes"
            f" {cost.wire_bytes:12,d} wire bytes {cost.seconds:7.1f}s"
        )
    print(f"conditional round outcomes {outcomes}, changes {changes},"
          f" fetching {report.fetched['state_dept']['seconds']:.1f}s")  # type: ignore[attr-defined]
    print(f"no-validator round outcomes {outcomes2}")
    print(f"ratio re-check / first fetch: {conditional.ratio(first)} (target <= 0.05 bytes)")
    print(f"ratio without validators:     {unconditional.ratio(first)}")


if __name__ == "__main__":
    main()

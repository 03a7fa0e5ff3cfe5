"""Discovery coverage: per source and per site copy, articles reachable vs stored, the share
each discovery path reached, and the generic path alone with every per-source hint stripped.

Copies: tests/fixtures/sites (the markup sources.md describes) and tests/fixtures/sites_alt
(another style: other markup and link layouts, feeds that omit old items, categories only
linked from the home page, no feed or sitemap at all, links rewritten to the copy's own
address). "Reachable" = every article page the copy serves (its files, named by the source's
canonical URLs); each source is crawled into an empty store:
- fresh:    a first scheduled crawl (first pages of every path);
- backfill: `--since 2000-01-01`, every series walked to the end;
- generic:  back-fill with a source stripped to its hosts and home pages: no feeds,
            sitemaps, listings, sections, REST, URL patterns, aliases or selectors (what a
            YAML source with only `home:` gets); `extra` counts stored pages that are no
            article of the copy.
Target: every article on every copy. Run:
    .venv/bin/python bench/discovery.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select

from monitor.config import Settings
from monitor.crawl.canonical import canonical_url
from monitor.crawl.runner import run_crawl
from monitor.crawl.summary import CrawlSummary
from monitor.store import models
from monitor.store.db import Database
from monitor.store.migrate import upgrade
from monitor.testing.sites import Sites, page_urls
from spiders import SOURCES
from spiders.base import Source

COPIES = {"sites": ROOT / "tests/fixtures/sites", "sites_alt": ROOT / "tests/fixtures/sites_alt"}
LONG_AGO = date(2000, 1, 1)
PATHS = ("feed", "sitemap", "listing", "rest", "generic")


def reachable(source: Source, sites: Sites) -> set[str]:
    """Canonical URLs of the article pages a copy serves for `source`."""
    urls = set()
    for host in source.hosts:
        if server := sites.servers.get(host):
            for url, file in page_urls(server.root).items():
                canonical = canonical_url(url, source)
                if file.suffix != ".html":
                    continue
                if source.is_article(canonical):
                    urls.add(canonical)
    return urls


def generic_only(source: Source, sites: Sites) -> Source:
    hosts = tuple(h for h in source.hosts if h in sites.servers)
    return Source(
        key=source.key,
        name=source.name,
        hosts=source.hosts,
        language=source.language,
        homes=tuple(f"https://{h}/" for h in hosts),
    )


def crawl(
    source: Source, sites: Sites, tmp: Path, since: date | None
) -> tuple[CrawlSummary, set[str]]:
    db = Database(f"sqlite:///{tmp / f'{source.key}-{time.monotonic_ns()}.db'}")
    upgrade(db)
    bases = sites.base_urls()
    # www.x and x answer alike on the network: the stripped source has hosts, not aliases
    aliases = {a: bases[c] for a, c in SOURCES[source.key].host_aliases if c in bases}
    settings = Settings.model_validate(
        {
            "crawl": {"download_delay": 0, "max_crawl_delay": 0, "autothrottle": False},
            "sources": {source.key: {"base_urls": {**bases, **aliases}, "max_pages": 1000}},
        }
    )
    try:
        summary = run_crawl(source, settings, db, since=since)
        with db.session() as session:
            query = select(models.RawPage.url).where(models.RawPage.source_key == source.key)
            stored = set(session.scalars(query))
    finally:
        db.dispose()
    return summary, stored


def share(summary: CrawlSummary, kind: str, truth: set[str]) -> str:
    kinds = ("home", "section") if kind == "generic" else (kind,)
    urls = set().union(*(summary.reached.get(k, set()) for k in kinds))
    reached = {summary.stored_as.get(u, u) for u in urls} & truth
    return f"{len(reached) / len(truth):.2f}" if truth else "-"


def main() -> None:
    header = (
        f"{'copy':<10}{'source':<12}{'reachable':>10}{'fresh':>7}{'backfill':>9}"
        + "".join(f"{p:>9}" for p in PATHS)
        + f"{'generic':>9}{'extra':>7}{'requests':>10}"
    )
    print(header)
    totals = {"reachable": 0, "fresh": 0, "backfill": 0, "generic": 0}
    with tempfile.TemporaryDirectory() as tmp:
        for copy, root in COPIES.items():
            with Sites(root) as sites:
                for key, source in SOURCES.items():
                    truth = reachable(source, sites)
                    _, fresh = crawl(source, sites, Path(tmp), None)
                    full, stored = crawl(source, sites, Path(tmp), LONG_AGO)
                    _, generic = crawl(generic_only(source, sites), sites, Path(tmp), LONG_AGO)
                    generic = {canonical_url(u, source) for u in generic}
                    row = [len(truth), len(fresh & truth), len(stored & truth)]
                    print(
                        f"{copy:<10}{key:<12}{row[0]:>10}{row[1]:>7}{row[2]:>9}"
                        + "".join(f"{share(full, p, truth):>9}" for p in PATHS)
                        + f"{len(generic & truth):>9}{len(generic - truth):>7}{full.requests:>10}"
                    )
                    for name, value in zip(totals, [*row, len(generic & truth)], strict=True):
                        totals[name] += value
    print(
        f"all copies: {totals['reachable']} articles reachable; stored by a first fresh crawl "
        f"{totals['fresh']}, by a back-fill {totals['backfill']}, by the generic path alone "
        f"{totals['generic']} ({totals['generic'] / totals['reachable']:.2f})"
    )


if __name__ == "__main__":
    main()

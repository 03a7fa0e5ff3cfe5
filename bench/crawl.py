"""Cost of polling an unchanged site: crawl every loopback site twice, compare the runs.

The first crawl of each source fetches everything; the second should cost almost nothing
(conditional GETs answered 304, no article fetched again). Prints requests, bytes and wall
time of both, and the ratio second/first (target <= 0.1), for two copies side by side:
- the test fixtures, whose feeds hold 3-7 items, so the fixed cost of a poll (robots.txt and
  one 304 per discovery path and host) weighs a lot; the same for the second-style copy
  (tests/fixtures/sites_alt, section pages and pagination, links rewritten to the copy);
- a realistic-size copy made in a temp dir: every feed, sitemap, first listing page and
  home or section page made of <item>, <url> or <article> blocks carries ITEMS items (real
  feeds carry 20-50),
  the extra ones fixture articles cloned under new URLs (rel=canonical rewritten to match).
Wall time keeps a fixed cost per crawl: each runs in a fresh child process (~1.2 s here).
Run:
    .venv/bin/python bench/crawl.py
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.config import Settings
from monitor.crawl.canonical import canonical_url
from monitor.crawl.runner import run_crawl
from monitor.store.db import Database
from monitor.store.migrate import upgrade
from monitor.testing.sites import INDEX_NAMES, Sites, SiteServer
from spiders import SOURCES
from spiders.base import Source, first_page

SITES = ROOT / "tests" / "fixtures" / "sites"
SITES_ALT = ROOT / "tests" / "fixtures" / "sites_alt"
ITEMS = 40
# One discovery item: an RSS <item>, a sitemap <url>, a listing's <article>.
BLOCK = re.compile(r"<(item|url|article)(?=[\s>]).*?</\1>", re.DOTALL)
LINK = re.compile(r"https?://[^\s\"'<>]+")
CANONICAL = re.compile(r"<link[^>]*rel=[\"']canonical[\"'][^>]*>")


@dataclass
class Cost:
    requests: int = 0
    bytes: int = 0  # as sent by the servers (bodies)
    seconds: float = 0.0  # wall time, child process start-up included
    crawl_seconds: float = 0.0  # inside the crawl (Scrapy engine open to close)
    new: int = 0
    not_modified: int = 0


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
    cost.not_modified = sum(s.stats.not_modified for s in sites.servers.values())
    return cost


def first_and_second(sites: Sites, db_path: Path) -> tuple[Cost, Cost]:
    db = Database(f"sqlite:///{db_path}")
    upgrade(db)
    bases = sites.base_urls()
    settings = Settings.model_validate(
        {
            "crawl": {"download_delay": 0, "max_crawl_delay": 0},
            "sources": {key: {"base_urls": bases} for key in SOURCES},
        }
    )
    try:
        return crawl_all(sites, settings, db), crawl_all(sites, settings, db)
    finally:
        db.dispose()


def enlarge(sites: Sites, items: int) -> None:
    """Pad every discovery document of every source to `items` items, in place."""
    for source in SOURCES.values():
        documents = [
            *source.feeds,
            *source.sitemaps,
            *(first_page(t) for t in source.listings),
            *source.home_urls(),
            *source.sections,
        ]
        for url in documents:
            server = sites.servers.get(urlsplit(url).hostname or "")
            file = server.resolve(urlsplit(url).path) if server else None
            if server and file:
                _pad(file, server, source, items)


def _pad(document: Path, server: SiteServer, source: Source, items: int) -> None:
    text = document.read_text(encoding="utf-8")
    blocks = list(BLOCK.finditer(text))
    clonable = [
        (b.group(0), link) for b in blocks if (link := _article_link(b.group(0), server, source))
    ]
    if not clonable:
        return
    clones = []
    for n in range(items - len(blocks)):
        block, (path, file) = clonable[n % len(clonable)]
        suffix = f"-clone{n}"
        clones.append(block.replace(path, path + suffix))
        _clone_article(file, suffix, source, server, path + suffix)
    end = blocks[-1].end()
    document.write_text(text[:end] + "\n" + "\n".join(clones) + text[end:], encoding="utf-8")


def _article_link(block: str, server: SiteServer, source: Source) -> tuple[str, Path] | None:
    """(raw path of the block's article URL, without a trailing slash; its fixture file)."""
    for url in LINK.findall(block):
        canonical = canonical_url(url, source)
        if (
            source.owns(url)
            and source.is_article(canonical)
            and (file := server.resolve(urlsplit(canonical).path))
        ):
            return urlsplit(url).path.rstrip("/"), file
    return None


def _clone_article(file: Path, suffix: str, source: Source, server: SiteServer, path: str) -> None:
    if file.name in INDEX_NAMES:
        target = file.parent.with_name(file.parent.name + suffix) / file.name
    elif file.suffix == ".html" and not unquote(path).endswith(".html"):
        target = file.with_name(file.stem + suffix + file.suffix)
    else:
        target = file.with_name(file.name + suffix)
    canonical = canonical_url(f"https://{server.root.name}{path}", source)
    target.parent.mkdir(parents=True, exist_ok=True)
    html = file.read_text(encoding="utf-8")
    target.write_text(CANONICAL.sub(f'<link rel="canonical" href="{canonical}">', html), "utf-8")


def main() -> None:
    runs: dict[str, tuple[Cost, Cost]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        with Sites(SITES) as sites:
            runs["fixtures"] = first_and_second(sites, Path(tmp) / "fixtures.db")
        with Sites(SITES_ALT) as sites:
            runs["second-style copy"] = first_and_second(sites, Path(tmp) / "alt.db")
        shutil.copytree(SITES, Path(tmp) / "sites")
        with Sites(Path(tmp) / "sites") as sites:
            enlarge(sites, ITEMS)
            runs[f"realistic copy ({ITEMS} items)"] = first_and_second(
                sites, Path(tmp) / "realistic.db"
            )
    print(f"{'':15}" + "".join(f"{name:>33}" for name in runs))
    print(f"{'':15}" + f"{'first':>13}{'second':>11}{'ratio':>9}" * len(runs))
    for field in ("requests", "bytes", "crawl_seconds", "seconds"):
        row = f"{field:15}"
        for first, second in runs.values():
            a, b = getattr(first, field), getattr(second, field)
            row += f"{a:13.2f}{b:11.2f}" if isinstance(a, float) else f"{a:13d}{b:11d}"
            row += f"{b / a if a else 0:9.4f}"
        print(row)
    for name, (first, second) in runs.items():
        print(
            f"{name}: new pages first {first.new}, second {second.new}; "
            f"second crawl 304s: {second.not_modified} of {second.requests} requests"
        )


if __name__ == "__main__":
    main()

"""Discovery on a copy written in another style (tests/fixtures/sites_alt): other markup and
link layouts, feeds that omit old items, categories linked from the home page only, no
feed or sitemap at all, and a copy that writes its own loopback address into every link.
Each source must reach every article, once."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from crawl_helpers import canon, loopback_settings, stored_urls
from sqlalchemy import func, select

from monitor.crawl.runner import run_crawl
from monitor.store import models
from monitor.store.db import Database
from monitor.testing.sites import Sites
from spiders import SOURCES

ALT = Path(__file__).resolve().parents[1] / "fixtures" / "sites_alt"
EXPECTED = yaml.safe_load((Path(__file__).parent / "expected_alt.yaml").read_text("utf-8"))
LONG_AGO = date(2015, 1, 1)


@pytest.fixture(scope="module")
def alt() -> Iterator[Sites]:
    with Sites(ALT) as running:
        yield running


def articles(key: str, which: str = "articles") -> list[str]:
    return sorted(canon(u, key) for u in EXPECTED[key][which])


def raw_rows(db: Database, key: str) -> int:
    with db.session() as session:
        query = select(func.count()).where(models.RawPage.source_key == key)
        return int(session.scalar(query) or 0)


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_every_article_once_fresh_then_backfill_then_unchanged(
    key: str, alt: Sites, db: Database
) -> None:
    settings = loopback_settings(alt, key)
    deep = set(articles(key, "deep"))

    fresh = run_crawl(SOURCES[key], settings, db)

    assert stored_urls(db, key) == sorted(set(articles(key)) - deep)
    assert (fresh.outcome, fresh.problems) == ("ok", [])
    # the State copy writes http://127.0.0.1:<port>/… into its feed, listing and pages: the
    # feed's two items count, mapped back to their public URLs like every other link
    assert key != "state_dept" or fresh.paths["feed"].articles == 2

    backfill = run_crawl(SOURCES[key], settings, db, since=LONG_AGO)

    assert stored_urls(db, key) == articles(key)
    assert raw_rows(db, key) == len(articles(key)), "each article stored once"
    assert backfill.new == len(deep) and backfill.failed == 0

    for server in alt.servers.values():
        server.stats.reset()
    again = run_crawl(SOURCES[key], settings, db)

    assert again.new == 0 and again.not_modified >= 1
    article_paths = {unquote(urlsplit(u).path) for u in articles(key)}
    requested = {unquote(p) for s in alt.servers.values() for p in s.stats.paths}
    assert not requested & article_paths, "an unchanged site must not refetch articles"


def test_a_copy_rewriting_every_link_of_every_host_behaves_like_the_site(
    tmp_path: Path, db: Database
) -> None:
    """Both Coalition hosts: cross-host links, rel=canonical, the REST API's escaped JSON."""
    key = "etilaf"
    root = tmp_path / "sites"
    shutil.copytree(ALT, root)
    for host in SOURCES[key].hosts:
        if (config := root / host / "_site.yaml").exists():
            config.write_text("rewrite_links: true\n" + config.read_text())
    with Sites(root) as rewritten:
        summary = run_crawl(SOURCES[key], loopback_settings(rewritten, key), db, since=LONG_AGO)

    assert stored_urls(db, key) == articles(key)
    assert (summary.outcome, summary.problems) == ("ok", [])


def test_links_without_any_article_are_a_problem_not_a_quiet_ok(alt: Sites, db: Database) -> None:
    # the site moved its articles to URLs the declared patterns no longer match
    moved = replace(SOURCES["baladi"], article_patterns=(r"^/news/\d+",))

    summary = run_crawl(moved, loopback_settings(alt, "baladi"), db)

    assert summary.found == 0 and summary.links > 0
    assert summary.outcome == "degraded"
    assert "none is an article" in summary.problems[0]
    with db.session() as session:
        run = session.get_one(models.CrawlRun, summary.run_id)
        assert (run.outcome, run.problems) == ("degraded", summary.problems)


def test_a_broken_feed_the_other_paths_stand_in_for_is_a_problem(
    tmp_path: Path, db: Database
) -> None:
    root = tmp_path / "sites"
    shutil.copytree(ALT, root)
    config = root / "www.state.gov" / "_site.yaml"
    config.write_text(
        config.read_text() + "  /rss-feed/press-releases/feed/: {status: 500}\n", "utf-8"
    )
    with Sites(root) as broken:
        summary = run_crawl(SOURCES["state_dept"], loopback_settings(broken, "state_dept"), db)

    assert summary.new == 7 and summary.outcome == "degraded"
    assert summary.problems == [
        "the feed path gave no articles; listing, home, section stood in for it"
    ]

"""Back-fill of a dead site from a web archive's CDX index (a loopback server speaking the
Wayback API): an empty store is filled with every article, under its original canonical
URL, with the capture time kept as evidence; the site itself is never contacted."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml
from crawl_helpers import stored_urls
from sqlalchemy import select

from monitor.cli import main
from monitor.config import Settings
from monitor.crawl.archive import cdx_links, cdx_next, cdx_query
from monitor.crawl.canonical import canonical_url
from monitor.store import models
from monitor.store.db import Database
from monitor.testing.archive import ArchiveServer, Capture, captures_of
from spiders import SOURCES

ALT = Path(__file__).resolve().parents[1] / "fixtures" / "sites_alt"
EXPECTED = yaml.safe_load((Path(__file__).parent / "expected_alt.yaml").read_text("utf-8"))
BALADI = SOURCES["baladi"]
DEAD = "http://127.0.0.1:9"  # the site is gone: any request to it would fail the run
ARTICLE = "https://baladi-news.com/ar/articles/70988/" + (
    "%D8%A7%D8%AC%D8%AA%D9%85%D8%A7%D8%B9-%D8%A3%D8%B3%D8%AA%D8%A7%D9%86%D8%A7-%D8%A7%D9%84"
    "%D8%AC%D8%AF%D9%8A%D8%AF-%D9%8A%D8%AA%D8%AC%D8%A7%D9%87%D9%84-%D9%85%D9%84%D9%81-%D8%A7"
    "%D9%84%D9%85%D8%B9%D8%AA%D9%82%D9%84%D9%8A%D9%86"
)


def archive_of_baladi() -> list[Capture]:
    captures = captures_of(ALT / "baladi-news.com", "20231001120000")
    page = next(c for c in captures if c.url == ARTICLE)
    return [
        *captures,
        Capture(ARTICLE, "20240301080000", page.body),  # captured again later
        Capture(
            ARTICLE.replace("//baladi-news.com/", "//www.baladi-news.com/public/index.php/"),
            "20231105000000",
            page.body,
        ),  # the same article under its Laravel alias
        Capture("https://baladi-news.com/ar/articles/69999/gone", "20231002000000", b"", 404),
        Capture(
            "https://baladi-news.com/storage/uploads/1.jpg",
            "20231002000000",
            b"\xff",
            200,
            "image/jpeg",
        ),
    ]


@pytest.fixture
def archive() -> Iterator[ArchiveServer]:
    with ArchiveServer(archive_of_baladi(), page_size=5) as running:  # pages: resume keys
        yield running


def settings_for(archive: ArchiveServer) -> Settings:
    return Settings.model_validate(
        {
            "crawl": {
                "download_delay": 0,
                "max_crawl_delay": 0,
                "retry_times": 0,
                "archive_url": archive.base_url,
            },
            "sources": {"baladi": {"base_urls": {"baladi-news.com": DEAD}}},
        }
    )


def test_cdx_answers_are_read_with_their_resume_key(archive: ArchiveServer) -> None:
    query = cdx_query(archive.base_url, "baladi-news.com", date(2015, 1, 1))
    answer = urllib.request.urlopen(query).read().decode()
    links, resume = cdx_links(answer, archive.base_url) or ([], None)
    assert len(links) == 5 and resume == "5"
    assert links[0].capture and "id_/https://baladi-news.com/" in links[0].capture
    assert "resumeKey=5" in cdx_next(query, "5") and cdx_next(query, "5").count("resumeKey") == 1
    assert cdx_links("<html>blocked</html>", archive.base_url) is None


def test_monitor_crawl_archive_fills_an_empty_store(
    archive: ArchiveServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "monitor.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                **settings_for(archive).model_dump(mode="json", include={"crawl", "sources"}),
                "data_dir": str(tmp_path),
                "rules_dir": str(Path(__file__).resolve().parents[2] / "rules"),
                "notify": {"recent_hours": 24 * 365 * 20},
            }
        )
    )

    code = main(["--config", str(config), "crawl", "baladi", "--since", "2015-01-01", "--archive"])

    out, err = capsys.readouterr()
    assert code == 0, err
    report = json.loads(out)
    summary = report["crawl"]
    assert (summary["mode"], summary["failures"], summary["problems"]) == ("archive", {}, [])
    assert summary["discovery"] == ["archive"]
    assert report["processed"]["new"] == summary["new"] == len(EXPECTED["baladi"]["articles"])
    rules = {rule for item in report["flagged"] for rule in item["rules"]}
    assert {"chemical", "white_helmets", "astana"} <= rules
    db = Database(f"sqlite:///{tmp_path / 'monitor.db'}")
    want = sorted(canonical_url(u, BALADI) for u in EXPECTED["baladi"]["articles"])
    assert stored_urls(db, "baladi") == want
    with db.session() as session:
        pages = {p.url: p for p in session.scalars(select(models.RawPage))}
    first = pages[ARTICLE]
    assert first.captured_at == datetime(2023, 10, 1, 12, 0, tzinfo=UTC)  # the first capture
    assert first.fetched_url.startswith(f"{archive.base_url}/web/20231001120000id_/")
    assert all(p.captured_at for p in pages.values())
    queries = archive.queries
    assert {q["url"][0] for q in queries} == {"baladi-news.com", "www.baladi-news.com"}
    assert all(q["from"] == ["20150101"] for q in queries)
    assert any("resumeKey" in q for q in queries), "the index was read page by page"
    assert "/storage/uploads/1.jpg" not in str(archive.requests)
    db.dispose()

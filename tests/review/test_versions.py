"""Versions on the review pages: the word diff of an edit (Arabic, right to left), the rule
that stopped matching, the queue's marks, and the WARC download. The versions come from the
real pipeline (two fetches of one page through `Pipeline.ingest`); the browser test drives
Debian's chromium."""

from __future__ import annotations

import hashlib
import io
import time
from base64 import b64encode
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from warcio.archiveiterator import ArchiveIterator

from monitor.config import Settings
from monitor.domain import RawPage
from monitor.review import queries
from monitor.review.app import create_app
from monitor.service.web import WebServer
from monitor.service.wiring import make_pipeline
from monitor.store.db import Database

from .conftest import PASSWORD, USER
from .test_browser import CHROMIUM, free_port, page  # noqa: F401  (the `page` fixture)

PAGES = Path(__file__).parents[1] / "versions" / "fixtures"
URL = "https://news.example.org/syria/chlorine-idlib"
INJECTED = "<script>alert('diff')</script>"


def fetch(name: str, replace: tuple[str, str] | None = None) -> RawPage:
    body = (PAGES / name).read_text(encoding="utf-8")
    if replace:
        body = body.replace(*replace)
    return RawPage(url=URL, source="other", body=body.encode("utf-8"),
                   fetched_at=datetime.now(UTC), headers={"Content-Type": "text/html"})


@pytest.fixture
def edited(review_settings: Settings, db: Database) -> int:
    """An Arabic item fetched twice: the edit drops the chlorine mention (and injects markup)."""
    pipeline = make_pipeline(review_settings, db)
    first = pipeline.ingest(fetch("news_ar_v1.html"))
    second = pipeline.ingest(fetch("news_ar_v3.html", (
        "ونفت وزارة الدفاع", "ونفت وزارة الدفاع &lt;script&gt;alert('diff')&lt;/script&gt;")))
    assert first.article_id == second.article_id and second.status == "updated"
    assert first.article_id is not None
    return first.article_id


def test_item_page_diff_rules_and_queue_mark(
    client: TestClient, db: Database, edited: int
) -> None:
    html = client.get(f"/item/{edited}").text
    assert '<div class="diff diff-text" dir="rtl">' in html
    assert "<del>غاز الكلور</del><ins>مادة سامة</ins>" in html  # a phrase, word-level
    assert "<del>٢٣</del><ins>١٢</ins>" in html
    assert "&lt;script&gt;alert(&#39;diff&#39;)&lt;/script&gt;" in html and INJECTED not in html
    assert "No longer matching: chlorine" in html
    assert "no longer matches the current text" in html
    assert 'class="mark-badge mark-edited"' in client.get("/?state=all").text
    with db.session(readonly=True) as session:
        [item] = [i for i in queries.queue_page(session, queries.QueueFilter()).items
                  if i.id == edited]
    assert item.marks == ["edited"]


def test_warc_download_needs_login_and_matches_its_digest(
    app: Any, client: TestClient, edited: int
) -> None:
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as stranger:
        assert stranger.get(f"/item/{edited}/evidence.warc.gz").status_code in (302, 303, 401)
    response = client.get(f"/item/{edited}/evidence.warc.gz")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/warc"
    assert "attachment" in response.headers["content-disposition"]
    digest = b64encode(hashlib.sha256(response.content).digest()).decode()
    assert response.headers["repr-digest"] == f"sha-256=:{digest}:"
    types = [r.rec_type for r in ArchiveIterator(io.BytesIO(response.content), check_digests=True)]
    assert types == ["warcinfo", "resource", "resource", "metadata"]  # ingested: no captures
    assert client.get("/item/999999/evidence.warc.gz").status_code == 404


@pytest.fixture
def live(review_settings: Settings, db: Database, edited: int) -> Iterator[tuple[str, int]]:
    port = free_port()
    web = WebServer(create_app(review_settings, db, environ={}), "127.0.0.1", port).start()
    deadline = time.monotonic() + 10
    while not web.server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", edited
    web.stop()


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (/usr/bin/chromium)")
def test_diff_in_chromium(live: tuple[str, int], page: Any, tmp_path: Path) -> None:  # noqa: F811
    base, item = live
    page.goto(f"{base}/login?next=/item/{item}")
    page.fill("input[name=user]", USER)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/item/{item}")
    diff = page.locator(".edit .diff-text")
    assert diff.evaluate("el => getComputedStyle(el).direction") == "rtl"
    assert "غاز الكلور" in page.locator(".edit .diff-text del").all_inner_texts()
    assert "مادة سامة" in " ".join(page.locator(".edit .diff-text ins").all_inner_texts())
    deleted = page.locator(".edit .diff-text del").first
    assert deleted.evaluate("el => getComputedStyle(el).textDecorationLine") == "line-through"
    assert page.locator(".changes li[data-kind=edited]").count() == 1
    assert INJECTED in diff.inner_text()  # shown as text; the dialog guard fails on script
    page.screenshot(path=str(tmp_path / "item-diff.png"), full_page=True)
    page.goto(f"{base}/?state=all")
    assert page.locator(f'tr[data-item="{item}"] .mark-edited').inner_text() == "edited"

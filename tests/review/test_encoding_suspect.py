"""Garbled text is not silent (shared/reliability.md B2): a page whose Arabic arrives
mis-decoded matches no rule, yet it is listed in the review queue with an "encoding suspect"
mark, explained on its item page, and counted in its source's health until triaged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import column, select, table
from starlette.testclient import TestClient

from monitor.config import Settings
from monitor.domain import RawPage
from monitor.service import health
from monitor.service.wiring import make_pipeline
from monitor.store import models
from monitor.store.db import Database
from monitor.store.migrate import alembic_config, upgrade

ARABIC = (
    "<p>أدان الائتلاف الوطني السوري الهجوم الكيميائي الذي استهدف بلدة خان شيخون في ريف إدلب،"
    " وطالب مجلس الأمن بمحاسبة المسؤولين عن استخدام الأسلحة الكيميائية ضد المدنيين.</p>"
)
PAGE = (
    '<html lang="ar"><head><meta charset="utf-8"><title>{title}</title></head><body><article>'
    "<h1>{title}</h1>{body}</article></body></html>"
)
TITLE = "الائتلاف يدين الهجوم الكيميائي على خان شيخون"


def garble(text: str) -> str:
    """UTF-8 bytes read as windows-1252: what a wrong charset header does to Arabic."""
    return text.encode("utf-8").decode("cp1252", "replace")


def page(url: str, title: str, body: str) -> RawPage:
    return RawPage(
        url=url,
        source="etilaf",
        body=PAGE.format(title=title, body=body * 3).encode("utf-8"),
        fetched_at=datetime.now(UTC),
        headers={"Content-Type": "text/html; charset=utf-8"},
    )


@pytest.fixture
def ingest(review_settings: Settings, db: Database) -> Callable[[RawPage], Any]:
    pipeline = make_pipeline(review_settings, db)
    with db.session() as session:
        session.add(models.Source(key="etilaf", name="Syrian National Coalition"))
    return pipeline.ingest


def test_a_mis_decoded_page_is_queued_marked_and_counted_until_triaged(
    ingest: Callable[[RawPage], Any],
    client: TestClient,
    post: Callable[..., Any],
    db: Database,
    review_settings: Settings,
) -> None:
    garbled = ingest(page("https://www.etilaf.org/all-news/news/garbled/", garble(TITLE),
                          garble(ARABIC)))
    clean = ingest(page("https://www.etilaf.org/all-news/news/clean/", TITLE, ARABIC))
    with db.session() as session:
        article = session.get_one(models.Article, garbled.article_id)
        assert "encoding_suspect" in article.flags and article.matches == []
        assert article.review_state == "new"
    assert clean.rules, "the same text, decoded right, is matched by the rules"

    queue = client.get("/?state=all").text
    row = queue.split(f'data-item="{garbled.article_id}"')[1].split("</tr>")[0]
    assert "encoding suspect" in row
    assert "encoding suspect" not in queue.split(f'data-item="{clean.article_id}"')[1].split("</tr>")[0]
    assert f'data-item="{garbled.article_id}"' not in client.get(
        f"/?state=all&rule={clean.rules[0]}").text  # a rule filter shows what the rule matched
    item = client.get(f"/item/{garbled.article_id}").text
    assert "Encoding suspect: this text looks mis-decoded" in item

    now = datetime.now(UTC)
    with db.session() as session:
        (condition,) = [c for c in health.assess(session, review_settings, "etilaf", now)
                        if c.code == "encoding"]
    assert condition.reason.startswith("1 recent article(s) look mis-decoded")

    assert post("/decide", {"ids": str(garbled.article_id), "state": "not_relevant"}
                ).status_code == 303
    with db.session() as session:
        assert not [c for c in health.assess(session, review_settings, "etilaf", now)
                    if c.code == "encoding"]


def test_a_clean_page_no_rule_matches_stays_out_of_the_queue(
    ingest: Callable[[RawPage], Any], client: TestClient, db: Database
) -> None:
    quiet = ingest(page("https://www.etilaf.org/all-news/news/quiet/", "اجتماع الهيئة العامة",
                        "<p>عقدت الهيئة العامة اجتماعها الدوري في مقرها وناقشت جدول الأعمال"
                        " والتقارير المالية للفترة الماضية.</p>"))
    with db.session() as session:
        state = session.scalar(select(models.Article.review_state)
                               .where(models.Article.id == quiet.article_id))
    assert state == "unflagged"
    assert f'data-item="{quiet.article_id}"' not in client.get("/?state=all").text


def test_the_upgrade_marks_mis_decoded_articles_stored_before_it(any_db_url: str) -> None:
    db = Database(any_db_url)
    upgrade(db, ScriptDirectory.from_config(alembic_config(db)).get_base())
    now = datetime(2026, 12, 1, 12, 0)
    articles = table("articles", *map(column, (  # the first revision's columns only
        "url", "source_key", "language", "title", "text", "search_text", "published_is_date",
        "fetched_at", "content_hash", "flags", "review_state", "created_at", "updated_at")))
    with db.engine.begin() as conn:
        for key, flags in (("garbled", '["encoding_suspect"]'), ("fine", '["summary_only"]')):
            conn.execute(articles.insert().values(
                url=f"https://x.test/{key}", source_key="etilaf", language="ar", title="t",
                text="x", search_text="x", published_is_date=False, fetched_at=now,
                content_hash=key, flags=flags, review_state="unflagged", created_at=now,
                updated_at=now))
    upgrade(db)
    with db.session() as session:
        marked = session.execute(select(models.Article.url, models.Article.review_state)
                                 .join(models.ArticleMark)).all()
    assert marked == [("https://x.test/garbled", "new")]
    db.dispose()

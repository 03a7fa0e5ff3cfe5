"""The store behaves the same on SQLite and PostgreSQL for what scraping throws at it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import select

from monitor.store import models
from monitor.store.db import Database


def test_nul_surrogates_and_arabic_survive_on_both_backends(any_db: Database) -> None:
    damascus = timezone(timedelta(hours=3))
    with any_db.session() as session:
        session.add(
            models.Article(
                source_key="rt_arabic",
                url="https://arabic.rt.com/a/1",
                content_hash="h",
                title="الخوذ\x00 البيضاء",
                text="bad \ud800 surrogate",
                flags=["تجربة"],
                published_at=datetime(2026, 11, 20, 12, 0, tzinfo=damascus),
            )
        )
    with any_db.session() as session:
        article = session.scalars(select(models.Article)).one()
        assert article.title == "الخوذ البيضاء"
        assert article.text == "bad ? surrogate"
        assert article.flags == ["تجربة"]
        assert article.published_at == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

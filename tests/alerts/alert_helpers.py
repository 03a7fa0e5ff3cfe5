"""Articles and rule matches for the alert tests, written straight into the store."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from monitor.config import ChannelSettings, NotifySettings, Settings
from monitor.domain import RuleMatch
from monitor.store import models
from monitor.store.db import Database
from monitor.store.rows import match_row

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
_ids = itertools.count(1)

ARABIC_TITLE = "الائتلاف الوطني يدين استخدام غاز الكلور في ريف إدلب"
ARABIC_SNIPPET = "أكد الائتلاف أن النظام استخدم غاز الكلور ضد المدنيين"


def rule_match(
    rule: str = "chlorine",
    severity: str = "high",
    notify: list[str] | None = None,
    terms: list[str] | None = None,
    snippets: list[str] | None = None,
) -> RuleMatch:
    return RuleMatch(
        rule=rule,
        name=rule.replace("_", " ").title(),
        severity=severity,
        terms=terms or ["الكلور"],
        snippets=snippets or [ARABIC_SNIPPET],
        notify=notify or [],
    )


def add_article(
    session,
    *,
    published: datetime | None = NOW - timedelta(hours=1),
    title: str = ARABIC_TITLE,
    url: str | None = None,
    story_id: int | None = None,
    source: str = "etilaf",
    matches: list[RuleMatch] | None = None,
) -> tuple[models.Article, list[RuleMatch]]:
    """One article with its match rows, as the pipeline stores them."""
    matches = matches if matches is not None else [rule_match()]
    n = next(_ids)
    article = models.Article(
        source_key=source,
        url=url or f"https://www.etilaf.org/news/{n}",
        language="ar",
        title=title,
        text=ARABIC_SNIPPET,
        published_at=published,
        fetched_at=NOW,
        content_hash=f"h{n}",
        story_id=story_id,
    )
    article.matches.extend(match_row(m) for m in matches)
    session.add(article)
    session.flush()
    return article, matches


def notify_settings(**channels: ChannelSettings) -> NotifySettings:
    return NotifySettings(
        channels=channels, backoff_seconds=30, backoff_max_seconds=600, max_attempts=4
    )


def settings_with(tmp_path, notify: NotifySettings) -> Settings:
    return Settings(
        data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'monitor.db'}", notify=notify
    )


def ingest(
    db: Database, notify: NotifySettings, now: datetime = NOW, **article
) -> list[models.Alert]:
    """Store an article and enqueue its alerts in one transaction, like the pipeline."""
    from monitor.alerts import enqueue

    with db.session() as session:
        stored, matches = add_article(session, **article)
        return enqueue(session, stored, matches, notify, now)

"""Which flagged articles are due for a re-check, and what to send with the request.

The schedule is offsets from when an article was first seen (default 1 h, 6 h, 24 h, 3 d,
7 d). An article is due when an offset has passed since its last check (or since it was
first seen); a daemon that was down checks it once, not once per missed offset. Articles
first seen before the last offset (plus a day) are left alone: after an upgrade, months of
old items must not be fetched in one burst (`monitor recheck ID` still reaches them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.config import RecheckSettings
from monitor.domain import RecheckTarget
from monitor.store import models
from monitor.versions.checks import watch_of

GRACE = timedelta(days=1)


def next_due(
    first_seen: datetime, last_checked: datetime | None, schedule_hours: Sequence[float]
) -> datetime | None:
    """The first scheduled time after the last check (None: the schedule is over)."""
    slots = sorted(first_seen + timedelta(hours=h) for h in schedule_hours)
    return next((t for t in slots if last_checked is None or t > last_checked), None)


def target_for(session: Session, article: models.Article, reason: str) -> RecheckTarget:
    """The request for one article, with the validators of its last 200."""
    watch = session.get(models.ArticleWatch, article.id)
    if watch is None:  # never re-checked: the first fetch's (the watch row starts from them)
        watch = watch_of(session, article)
        session.expunge(watch)
    return RecheckTarget(
        article.id, article.url, watch.etag, watch.last_modified, watch.body_sha256, reason
    )


def due_targets(
    session: Session, settings: RecheckSettings, now: datetime
) -> dict[str, list[RecheckTarget]]:
    """Due re-checks per source, most overdue first, at most `max_per_round` each."""
    horizon = now - timedelta(hours=max(settings.schedule_hours, default=0)) - GRACE
    flagged = select(models.RuleMatchRow.article_id).where(
        models.RuleMatchRow.article_id == models.Article.id
    )
    waiting = select(models.ArticleCheck.id).where(
        models.ArticleCheck.article_id == models.Article.id,
        models.ArticleCheck.state == "pending",
    )
    rows = session.execute(
        select(models.Article, models.ArticleWatch.last_checked_at)
        .outerjoin(models.ArticleWatch, models.ArticleWatch.article_id == models.Article.id)
        .where(models.Article.created_at >= horizon, flagged.exists(), ~waiting.exists())
    ).all()
    due: dict[str, list[tuple[datetime, models.Article]]] = defaultdict(list)
    for article, last_checked in rows:
        when = next_due(article.created_at, last_checked, settings.schedule_hours)
        if when is not None and when <= now:
            due[article.source_key].append((when, article))
    return {
        key: [
            target_for(session, article, "scheduled")
            for _, article in sorted(found, key=lambda pair: (pair[0], pair[1].id))[
                : settings.max_per_round
            ]
        ]
        for key, found in due.items()
    }

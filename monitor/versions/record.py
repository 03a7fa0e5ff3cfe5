"""Versions and edits, recorded by the pipeline in the transaction that stores a page.

Every raw page processed for an article becomes a version row (its extracted title, text,
date and the rules it matches). A version whose significant text (`significant.text_key`)
differs from the one before is an edit: an `ArticleChange` with the rules that started or
stopped matching, and its alerts. Articles stored before versions existed get their first
version from the article row the first time they are compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.alerts.changes import enqueue_change
from monitor.config import Settings
from monitor.store import models
from monitor.versions.diff import changed_words, word_diff
from monitor.versions.significant import significant_text, text_key

EDITED, REMOVED, MOVED, RESTORED = "edited", "removed", "moved", "restored"


def latest_version(session: Session, article_id: int) -> models.ArticleVersion | None:
    return session.scalar(
        select(models.ArticleVersion)
        .where(models.ArticleVersion.article_id == article_id)
        .order_by(models.ArticleVersion.number.desc())
        .limit(1)
    )


def baseline(session: Session, article: models.Article) -> models.ArticleVersion | None:
    """What the next fetch of an article is compared with (None for a new article).

    Call before the article row is overwritten with the new fetch.
    """
    if article.id is None:
        return None
    latest = latest_version(session, article.id)
    if latest is not None:
        return latest
    first = _version_row(
        article, 1, article.raw_page_id, article.fetched_at, [m.rule_id for m in article.matches]
    )
    session.add(first)
    session.flush()
    return first


def record_version(
    session: Session,
    article: models.Article,
    raw: models.RawPage,
    rules: Sequence[str] | None,
    previous: models.ArticleVersion | None,
    settings: Settings,
    now: datetime,
) -> models.ArticleChange | None:
    """Store the version the article now holds (from `raw`); an edit if its text differs.

    `rules` are the rule ids matching the new text (None: unchanged text, same as before).
    Processing the same raw page twice records nothing the second time.
    """
    known = session.scalar(
        select(models.ArticleVersion.id).where(models.ArticleVersion.raw_page_id == raw.id)
    )
    if known is not None:
        return None
    rules = rules if rules is not None else previous.rules if previous else []
    version = _version_row(
        article, previous.number + 1 if previous else 1, raw.id, raw.fetched_at, rules
    )
    session.add(version)
    session.flush()
    if previous is None or previous.text_key == version.text_key:
        return None
    started = sorted(set(version.rules) - set(previous.rules))
    stopped = sorted(set(previous.rules) - set(version.rules))
    for match in article.matches:
        if match.rule_id in stopped:
            match.spans = []  # they indexed the old text; terms and snippets stay as history
    change = models.ArticleChange(
        article_id=article.id,
        kind=EDITED,
        detected_at=now,
        from_version_id=previous.id,
        to_version_id=version.id,
        old_url=article.url,
        rules_started=started,
        rules_stopped=stopped,
        detail=edit_summary(previous, version),
    )
    return add_change(session, article, change, settings, now)


def _version_row(
    article: models.Article,
    number: int,
    raw_page_id: int | None,
    fetched_at: datetime,
    rules: Sequence[str],
) -> models.ArticleVersion:
    """The version the article row holds now."""
    return models.ArticleVersion(
        article_id=article.id,
        number=number,
        raw_page_id=raw_page_id,
        url=article.url,
        fetched_at=fetched_at,
        title=article.title,
        text=article.text,
        published_at=article.published_at,
        published_is_date=article.published_is_date,
        rules=sorted(set(rules)),
        text_key=text_key(article.title, article.text),
    )


def edit_summary(old: models.ArticleVersion, new: models.ArticleVersion) -> str:
    pieces = word_diff(significant_text(old.title, old.text), significant_text(new.title, new.text))
    lines = []
    if removed := changed_words(pieces, "delete"):
        lines.append(f"Removed words: « {removed} »")
    if added := changed_words(pieces, "insert"):
        lines.append(f"Added words: « {added} »")
    return "\n".join(lines)


def add_change(
    session: Session,
    article: models.Article,
    change: models.ArticleChange,
    settings: Settings,
    now: datetime,
) -> models.ArticleChange:
    session.add(change)
    session.flush()
    enqueue_change(session, article, change, settings, now)
    return change

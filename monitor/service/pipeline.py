"""The whole flow for one page: raw page -> extraction -> article -> rule matches -> outbox.

Everything for one page happens in one transaction, so an article is never stored
without its matches and alerts (transactional outbox), and a crash leaves either all of
it or none. Crawled pages are stored first (state `pending`) and processed here; a page
given to `ingest` goes through the very same `_process` step.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from monitor.alerts.outbox import enqueue
from monitor.config import Settings
from monitor.domain import (
    ExtractedArticle,
    ExtractionError,
    RawPage,
    RuleMatch,
    SourceHints,
    match_document,
)
from monitor.extract import extract_page
from monitor.store import models
from monitor.store.db import Database
from monitor.store.rows import match_row, raw_page_from_row, raw_page_row
from monitor.stories import assign_story

log = logging.getLogger(__name__)


class Matcher(Protocol):
    def match(self, text: str, language: str | None = None) -> list[RuleMatch]: ...


UNFLAGGED = "unflagged"  # review state of articles no rule matched: not in the queue

HintsLookup = Callable[[str], SourceHints | None]


@dataclass
class PageOutcome:
    """What happened to one page; `status` is new, updated, unchanged, duplicate or failed."""

    status: str
    url: str
    article_id: int | None = None
    reason: str | None = None
    error: str | None = None
    rules: list[str] = field(default_factory=list)
    alerts: int = 0


def _mark(session: Session, article: models.Article) -> None:
    """Keep the article's reader-needed mark in step with its extraction flags."""
    session.execute(delete(models.ArticleMark).where(models.ArticleMark.article_id == article.id))
    if models.ENCODING_SUSPECT in article.flags:
        session.add(models.ArticleMark(article_id=article.id, mark=models.ENCODING_SUSPECT))


def content_hash(title: str, text: str) -> str:
    """Hash of the visible text, so markup or whitespace changes do not count as edits."""
    folded = re.sub(r"\s+", " ", f"{title}\n{text}").strip()
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def _published_columns(article: ExtractedArticle) -> dict[str, object]:
    value = article.published
    if value is None:
        return {"published_at": None, "published_offset_min": None, "published_is_date": False}
    if isinstance(value, datetime):
        offset = value.utcoffset()
        return {
            "published_at": value.astimezone(UTC),
            "published_offset_min": int(offset.total_seconds() // 60)
            if offset is not None
            else None,
            "published_is_date": False,
        }
    assert isinstance(value, date)
    return {
        "published_at": datetime.combine(value, time(), UTC),
        "published_offset_min": None,
        "published_is_date": True,
    }


class Pipeline:
    """Extraction, storage, rules and outbox for pages of any source."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        rules: Callable[[], Matcher],
        hints_for: HintsLookup,
    ) -> None:
        self.db = db
        self.settings = settings
        self.rules = rules
        self.hints_for = hints_for

    def ingest(self, page: RawPage) -> PageOutcome:
        """Run one saved page through the pipeline. Bad pages raise and change nothing."""
        extracted = extract_page(page, self.hints_for(page.source))
        with self.db.session() as session:
            raw = raw_page_row(page)
            session.add(raw)
            session.flush()
            return self._store(session, raw, extracted)

    def pending_ids(self, source_key: str | None = None) -> list[int]:
        """Crawled pages waiting in the store, oldest first (of one source if given)."""
        query = select(models.RawPage.id).where(models.RawPage.state == "pending")
        if source_key is not None:
            query = query.where(models.RawPage.source_key == source_key)
        with self.db.session(readonly=True) as session:
            return list(session.scalars(query.order_by(models.RawPage.id)))

    def process_pending(self) -> list[PageOutcome]:
        """Process every crawled page waiting in the store, oldest first."""
        return [self.process_raw(raw_id) for raw_id in self.pending_ids()]

    def process_raw(self, raw_id: int) -> PageOutcome:
        with self.db.session() as session:
            raw = session.get_one(models.RawPage, raw_id)
            try:
                extracted = extract_page(raw_page_from_row(raw), self.hints_for(raw.source_key))
            except ExtractionError as exc:
                raw.state, raw.error_reason, raw.error = "failed", exc.reason, str(exc)
                log.warning("extraction failed for %s: %s (%s)", raw.url, exc, exc.reason)
                return PageOutcome("failed", raw.url, reason=exc.reason, error=str(exc))
            return self._store(session, raw, extracted)

    def _store(
        self, session: Session, raw: models.RawPage, extracted: ExtractedArticle
    ) -> PageOutcome:
        digest = content_hash(extracted.title, extracted.text)
        article = session.scalar(select(models.Article).where(models.Article.url == raw.url))
        if article is None:
            alias = session.scalar(
                select(models.Article).where(
                    models.Article.content_hash == digest,
                    models.Article.source_key == raw.source_key,
                )
            )
            if alias is not None:  # same text under another URL of the same source
                raw.state, raw.article_id = "duplicate", alias.id
                return PageOutcome("duplicate", raw.url, article_id=alias.id)
            article = models.Article(url=raw.url, source_key=raw.source_key)
            session.add(article)
            status = "new"
        elif article.content_hash == digest:
            raw.state, raw.article_id = "unchanged", article.id
            return PageOutcome("unchanged", raw.url, article_id=article.id)
        else:
            status = "updated"
        self._fill(article, extracted, raw, digest)
        session.flush()
        _mark(session, article)
        assign_story(session, article)  # before enqueue: alerts are per story
        raw.state, raw.article_id = "done", article.id
        matches = self._match(session, article)
        # garbled text matches no rule: an analyst must see it, or it would pass in silence
        shown = bool(matches) or models.ENCODING_SUSPECT in article.flags
        if shown and article.review_state == UNFLAGGED:
            article.review_state = "new"
        elif not shown and status == "new":
            article.review_state = UNFLAGGED  # keeps the queue's state index to flagged items
        alerts = enqueue(session, article, matches, self.settings.notify, datetime.now(UTC))
        log.info(
            "%s article %s (%s), %d rule(s), %d alert(s)",
            status,
            article.url,
            article.language,
            len(matches),
            len(alerts),
        )
        return PageOutcome(
            status, raw.url, article.id, rules=[m.rule for m in matches], alerts=len(alerts)
        )

    @staticmethod
    def _fill(
        article: models.Article, extracted: ExtractedArticle, raw: models.RawPage, digest: str
    ) -> None:
        article.title = extracted.title
        article.text = extracted.text
        article.language = extracted.language
        article.author = extracted.author
        article.flags = list(extracted.flags)
        article.published_from = extracted.published_from
        article.fetched_at = raw.fetched_at
        article.content_hash = digest
        article.raw_page_id = raw.id
        for key, value in _published_columns(extracted).items():
            setattr(article, key, value)

    def _match(self, session: Session, article: models.Article) -> list[RuleMatch]:
        """Store matches of rules this article had not matched before; return all matches."""
        matches = self.rules().match(match_document(article.title, article.text), article.language)
        known = {row.rule_id for row in article.matches}
        for m in matches:
            if m.rule not in known:
                article.matches.append(match_row(m))
        session.flush()
        return matches

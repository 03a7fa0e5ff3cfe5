"""The whole flow for one page: raw page -> extraction -> article -> rule matches -> outbox.

Everything for one page happens in one transaction, so an article is never stored
without its matches and alerts (transactional outbox), and a crash leaves either all of
it or none. Crawled pages are stored first (state `pending`) and processed here; a page
given to `ingest` goes through the very same `_process` step.

The daemon runs this in a child process (`processing`); its main process keeps a Pipeline
only for the rules and the pending queue, so extraction, dates (dateparser, htmldate,
lxml), stories (datasketch, scipy) and versions are imported where a page is processed,
not at module level: the main process never loads them.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
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
from monitor.store import models
from monitor.store.db import Database
from monitor.store.rows import listed_at_of, match_row, raw_page_from_row, raw_page_row

log = logging.getLogger(__name__)


class Matcher(Protocol):
    def match(self, text: str, language: str | None = None) -> list[RuleMatch]: ...


UNFLAGGED = "unflagged"  # review state of articles no rule matched: not in the queue
DATE_IS_FETCH_TIME = "date_is_fetch_time"  # flag: no date anywhere, the fetch time stands in

POLL_MODES = ("fresh", "quick")  # crawl runs that poll for new items (a full walk or quick)
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
    """UTC is the sort key; the offset the source gave is kept beside it (and the zone it
    was read in when the page gave none), so the source's own day and time can be shown."""
    value = article.published
    zone = {"published_from": article.published_from, "published_timezone": None}
    if value is None:
        return {
            **zone,
            "published_at": None,
            "published_offset_min": None,
            "published_is_date": False,
        }
    if isinstance(value, datetime):
        offset = value.utcoffset()
        return {
            **zone,
            "published_timezone": article.published_timezone,
            "published_at": value.astimezone(UTC),
            "published_offset_min": int(offset.total_seconds() // 60)
            if offset is not None
            else None,
            "published_is_date": False,
        }
    assert isinstance(value, date)
    return {
        **zone,
        "published_at": datetime.combine(value, time(), UTC),
        "published_offset_min": None,
        "published_is_date": True,
    }


def with_fallback_date(
    article: ExtractedArticle, raw: models.RawPage, hints: SourceHints, fresh_poll: bool
) -> ExtractedArticle:
    """An undated new item takes the date its discovery path gave (feed, sitemap lastmod,
    listing) or, first seen by a fresh poll, the fetch time, flagged: the flood guard holds
    undated items, and a critical alert must not wait because a page shows no date."""
    if article.published is not None:
        return article
    from monitor.extract import dates

    bounds = dates.Bounds(raw.fetched_at, hints.timezone, hints.founded)
    listed = listed_at_of(raw)
    if listed is not None and (value := dates.as_published(listed, bounds)) is not None:
        zone = dates.assumed_zone(value)
        return replace(article, published=value, published_from="listed", published_timezone=zone)
    if fresh_poll:
        flags = [*article.flags, DATE_IS_FETCH_TIME]
        return replace(article, published=raw.fetched_at, published_from="fetched", flags=flags)
    return article


def seen_by_fresh_poll(session: Session, raw: models.RawPage) -> bool:
    """Fetched during a fresh poll of its source that is not the source's first crawl (a
    first crawl finds the backlog: dating it "now" would flood the channels)."""
    run = models.CrawlRun
    rows = session.execute(
        select(run.mode, run.finished_at)
        .where(run.source_key == raw.source_key, run.started_at <= raw.fetched_at)
        .order_by(run.started_at.desc(), run.id.desc())
        .limit(2)
    ).all()
    if len(rows) < 2:
        return False
    mode, finished_at = rows[0]
    return mode in POLL_MODES and (finished_at is None or finished_at >= raw.fetched_at)


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
        from monitor.extract import extract_page

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
        from monitor.extract import extract_page

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
        from monitor.stories import assign_story
        from monitor.versions.record import baseline, record_version

        digest = content_hash(extracted.title, extracted.text)
        now = datetime.now(UTC)
        article = session.scalar(select(models.Article).where(models.Article.url == raw.url))
        previous = baseline(session, article) if article is not None else None
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
            hints = self.hints_for(raw.source_key) or SourceHints()
            fresh = seen_by_fresh_poll(session, raw)
            extracted = with_fallback_date(extracted, raw, hints, fresh)
            article = models.Article(url=raw.url, source_key=raw.source_key)
            session.add(article)
            status = "new"
        elif article.content_hash == digest:
            raw.state, raw.article_id = "unchanged", article.id
            record_version(session, article, raw, None, previous, self.settings, now)
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
        record_version(
            session, article, raw, [m.rule for m in matches], previous, self.settings, now
        )
        alerts = enqueue(session, article, matches, self.settings.notify, now)
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

    def _fill(
        self,
        article: models.Article,
        extracted: ExtractedArticle,
        raw: models.RawPage,
        digest: str,
    ) -> None:
        article.title = extracted.title
        article.text = extracted.text
        article.language = extracted.language
        article.author = extracted.author
        article.flags = list(extracted.flags)
        article.fetched_at = raw.fetched_at
        article.content_hash = digest
        article.raw_page_id = raw.id
        article.source_timezone = (self.hints_for(raw.source_key) or SourceHints()).timezone
        if extracted.published is not None or article.published_at is None:
            for key, value in _published_columns(extracted).items():  # an edit keeps its date
                setattr(article, key, value)

    def _match(self, session: Session, article: models.Article) -> list[RuleMatch]:
        """Store (or refresh) the matches of the current text; return them all."""
        matches = self.rules().match(match_document(article.title, article.text), article.language)
        known = {row.rule_id: row for row in article.matches}
        for m in matches:
            fresh = match_row(m)
            if (row := known.get(m.rule)) is None:
                article.matches.append(fresh)
            else:  # an edited text: the spans must index the text shown now
                row.terms, row.snippets, row.spans = fresh.terms, fresh.snippets, fresh.spans
        session.flush()
        return matches

"""Turn what a re-check saw (`ArticleCheck`) into the article's state and its changes.

    gone, home     -> removed (once, until the article is seen again: restored)
    moved          -> moved: the article and its history take the new URL (if no other
                      article holds it), then the new page is processed as a version
    offsite        -> moved, to an address we do not crawl; the article keeps its URL
    fetched        -> the raw page goes through the pipeline: a new version, maybe an edit
    blocked, error -> nothing changes (a decoy page is not a removal)

Each check is applied once (state pending -> done); applying it again after a crash
records nothing twice (changes follow availability transitions, versions are unique per
raw page).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.config import Settings
from monitor.store import models
from monitor.store.db import Database
from monitor.store.models import utcnow
from monitor.versions.record import MOVED, REMOVED, RESTORED, add_change

log = logging.getLogger(__name__)

LIVE = "live"
AVAILABILITY = {REMOVED: "removed", MOVED: "moved"}
SUCCESS = ("not_modified", "same", "fetched", "moved")


class Processed(Protocol):
    status: str  # the pipeline's outcome: new, updated, unchanged, duplicate, failed


ProcessRaw = Callable[[int], Processed]  # the pipeline's step for one stored raw page


@dataclass
class CheckResult:
    check_id: int
    article_id: int
    outcome: str
    change: str | None = None  # kind of the change recorded while applying it
    page: Processed | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "check": self.check_id,
            "article_id": self.article_id,
            "outcome": self.outcome,
            "change": self.change,
            "page": self.page.status if self.page else None,
        }


def pending_checks(db: Database, article_id: int | None = None) -> list[int]:
    query = select(models.ArticleCheck.id).where(models.ArticleCheck.state == "pending")
    if article_id is not None:
        query = query.where(models.ArticleCheck.article_id == article_id)
    with db.session(readonly=True) as session:
        return list(session.scalars(query.order_by(models.ArticleCheck.id)))


def apply_pending(
    db: Database, process_raw: ProcessRaw, settings: Settings, article_id: int | None = None
) -> list[CheckResult]:
    return [apply_check(db, process_raw, settings, i) for i in pending_checks(db, article_id)]


def watch_of(session: Session, article: models.Article) -> models.ArticleWatch:
    """The article's re-check state; a new one starts from the first fetch's validators."""
    watch = session.get(models.ArticleWatch, article.id)
    if watch is None:
        raw = session.get(models.RawPage, article.raw_page_id) if article.raw_page_id else None
        headers = {k.lower(): v for k, v in (raw.headers or {}).items()} if raw else {}
        watch = models.ArticleWatch(
            article_id=article.id,
            availability=LIVE,
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
            body_sha256=raw.body_sha256 if raw else None,
        )
        session.add(watch)
    return watch


def apply_check(
    db: Database, process_raw: ProcessRaw, settings: Settings, check_id: int
) -> CheckResult:
    now = utcnow()
    with db.session() as session:
        check = session.get_one(models.ArticleCheck, check_id)
        article = session.get_one(models.Article, check.article_id)
        watch = watch_of(session, article)
        change = _Applying(session, article, watch, check, settings, now).transition()
        watch.last_checked_at, watch.last_outcome = check.checked_at, check.outcome
        if check.outcome in SUCCESS:
            _keep_validators(session, watch, check)
        # a moved page is processed only if the article could take its new address
        raw_id = check.raw_page_id if article.url == check.final_url else None
        result = CheckResult(check.id, article.id, check.outcome, change.kind if change else None)
    if raw_id is not None:
        result.page = process_raw(raw_id)
        if result.page.status == "updated" and result.change is None:
            result.change = _edit_kind(db, raw_id)
    with db.session() as session:
        session.get_one(models.ArticleCheck, check_id).state = "done"
    log.info(
        "recheck of article %d: %s%s",
        result.article_id,
        result.outcome,
        f", {result.change}" if result.change else "",
    )
    return result


def _edit_kind(db: Database, raw_id: int) -> str | None:
    """'edited' when processing the page recorded an edit (the pipeline's version step)."""
    with db.session(readonly=True) as session:
        version = session.scalar(
            select(models.ArticleVersion.id).where(models.ArticleVersion.raw_page_id == raw_id)
        )
        if version is None:
            return None
        return session.scalar(
            select(models.ArticleChange.kind).where(models.ArticleChange.to_version_id == version)
        )


@dataclass
class _Applying:
    """One check being applied, inside its transaction."""

    session: Session
    article: models.Article
    watch: models.ArticleWatch
    check: models.ArticleCheck
    settings: Settings
    now: datetime

    def transition(self) -> models.ArticleChange | None:
        check, watch = self.check, self.watch
        if check.outcome == "gone":
            return self.become(REMOVED, f"The page answers HTTP {check.status}.")
        if check.outcome == "home":
            return self.become(
                REMOVED, f"The page now redirects to {check.final_url}, which is not an article."
            )
        if check.outcome == "offsite":
            detail = f"The page now redirects off the source, to {check.final_url}."
            return self.become(MOVED, detail, check.final_url)
        if check.outcome == "moved":
            return self.move()
        if check.outcome in SUCCESS and watch.availability != LIVE:
            detail = f"The page is back (it was {watch.availability})."
            watch.availability = LIVE
            return self.record(RESTORED, detail)
        return None

    def become(
        self, kind: str, detail: str, new_url: str | None = None
    ) -> models.ArticleChange | None:
        if self.watch.availability == AVAILABILITY[kind]:
            return None  # already known: one change, not one per check
        self.watch.availability = AVAILABILITY[kind]
        return self.record(kind, detail, new_url)

    def move(self) -> models.ArticleChange | None:
        article = self.article
        new_url = self.check.final_url or article.url
        if new_url == article.url:
            return None  # applied before (the article already moved)
        holder = self.session.scalar(select(models.Article.id).where(models.Article.url == new_url))
        old_url = article.url
        if holder is None:
            article.url = new_url  # versions and changes stay attached to the article id
            self.watch.availability = LIVE
            detail = "The article moved; its history continues under the new address."
        else:
            self.watch.availability = AVAILABILITY[MOVED]
            detail = f"The page now redirects to another stored article (item {holder})."
        change = self.record(MOVED, detail, new_url)
        change.old_url = old_url
        return change

    def record(self, kind: str, detail: str, new_url: str | None = None) -> models.ArticleChange:
        change = models.ArticleChange(
            article_id=self.article.id,
            kind=kind,
            detected_at=self.now,
            check_id=self.check.id,
            old_url=self.article.url,
            new_url=new_url,
            status=self.check.status if kind == REMOVED else None,
            detail=detail,
        )
        return add_change(self.session, self.article, change, self.settings, self.now)


def _keep_validators(
    session: Session, watch: models.ArticleWatch, check: models.ArticleCheck
) -> None:
    """ETag / Last-Modified of the final answer, sent with the next re-check."""
    final = session.scalar(
        select(models.Capture)
        .where(models.Capture.check_id == check.id)
        .order_by(models.Capture.seq.desc())
        .limit(1)
    )
    if final is None or final.status != 200:
        return
    headers = {name.lower(): value for name, value in final.response_headers}
    watch.etag = headers.get("etag")
    watch.last_modified = headers.get("last-modified")
    if check.raw_page_id is not None:
        raw = session.get_one(models.RawPage, check.raw_page_id)
        watch.body_sha256 = raw.body_sha256

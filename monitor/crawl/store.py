"""What a crawl reads from and writes to the store, one short transaction per call.

Raw pages are committed one by one as they arrive, so a crawl killed half way keeps what
it fetched; validators (ETag / Last-Modified) are written only at the end of a run, and only
for the feeds and listings whose articles were all fetched, so a page that failed is
retried on the next poll instead of hiding behind a 304.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.crawl.summary import CrawlSummary
from monitor.domain import RawPage
from monitor.store import models
from monitor.store.db import Database
from monitor.store.rows import capture_rows, raw_page_row
from spiders.base import Source


@dataclass(frozen=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None
    status: int | None = None
    checked_at: datetime | None = None


class CrawlStore:
    def __init__(self, db: Database, source: Source) -> None:
        self.db = db
        self.source = source

    def start_run(self, mode: str, worker: str) -> int:
        """Ensure the source row exists and open a CrawlRun; returns its id."""
        with self.db.session() as session:
            if session.get(models.Source, self.source.key) is None:
                session.add(models.Source(key=self.source.key, name=self.source.name))
                session.flush()
            run = models.CrawlRun(source_key=self.source.key, mode=mode, worker=worker)
            session.add(run)
            session.flush()
            return run.id

    def finish_run(self, summary: CrawlSummary, finished_at: datetime) -> None:
        with self.db.session() as session:
            run = session.get(models.CrawlRun, summary.run_id)
            if run is None:
                return
            run.finished_at = finished_at
            run.outcome = summary.outcome
            run.discovery = "+".join(summary.discovery)[:40] or None
            for name in ("found", "new", "unchanged", "failed", "blocked", "requests"):
                setattr(run, name, getattr(summary, name))
            run.bytes_received = summary.bytes_received
            run.error = summary.error
            run.links = summary.links
            run.paths = {kind: asdict(count) for kind, count in summary.paths.items()} or None
            run.problems = summary.problems or None

    def known_urls(self) -> set[str]:
        """Canonical URLs already stored for this source (as articles or raw pages)."""
        key = self.source.key
        with self.db.session() as session:
            articles = session.scalars(
                select(models.Article.url).where(models.Article.source_key == key)
            )
            pages = session.scalars(
                select(models.RawPage.url).where(models.RawPage.source_key == key)
            )
            return set(articles) | set(pages)

    def add_page(self, page: RawPage) -> bool:
        """Store a fetched article page; False when its canonical URL is already stored."""
        with self.db.session() as session:
            if _url_stored(session, page.url):
                return False
            row = raw_page_row(page)
            session.add(row)
            session.flush()
            session.add_all(capture_rows(page.captures, raw_page_id=row.id))
            return True

    def validators(self) -> dict[str, Validators]:
        with self.db.session() as session:
            rows = session.scalars(
                select(models.FetchState).where(models.FetchState.source_key == self.source.key)
            )
            return {
                r.url: Validators(r.etag, r.last_modified, r.last_status, r.checked_at)
                for r in rows
            }

    def save_validators(self, states: dict[str, Validators], checked_at: datetime) -> None:
        with self.db.session() as session:
            for url, state in states.items():
                row = session.get(models.FetchState, url)
                if row is None:
                    row = models.FetchState(url=url, source_key=self.source.key)
                    session.add(row)
                if state.status != 304:  # a 304 confirms the validators we already hold
                    row.etag, row.last_modified = state.etag, state.last_modified
                row.last_status = state.status
                row.checked_at = checked_at


def _url_stored(session: Session, url: str) -> bool:
    return bool(
        session.scalar(select(models.Article.id).where(models.Article.url == url).limit(1))
        or session.scalar(select(models.RawPage.id).where(models.RawPage.url == url).limit(1))
    )

"""`monitor sources check KEY`: fetch a source's discovery paths once and say what each found.

The check is a real crawl in check mode (first discovery pages, a couple of sample articles
per path) into a throw-away database, so it exercises exactly what the scheduled crawls
will do - robots.txt, politeness, the URL mapping, the patterns - and leaves the real store
untouched. The sample pages then go through extraction, so a user setting up a source sees
titles and dates, not only link counts.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from monitor.config import Settings
from monitor.crawl.runner import run_crawl
from monitor.crawl.summary import CrawlSummary
from monitor.domain import ExtractionError
from monitor.store import models
from monitor.store.db import Database
from monitor.store.migrate import upgrade
from monitor.store.rows import raw_page_from_row
from spiders.base import Source


@dataclass
class Sample:
    url: str
    title: str | None = None
    published: str | None = None
    language: str | None = None
    words: int = 0
    error: str | None = None


@dataclass
class CheckReport:
    source: str
    summary: CrawlSummary
    samples: list[Sample] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        extracted = [s for s in self.samples if s.title and not s.error]
        return bool(self.summary.found) and not self.summary.problems and bool(extracted)

    def as_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "ok": self.ok,
            "crawl": self.summary.as_json(),
            "documents": [vars(p) for p in self.summary.probes],
            "samples": [vars(s) for s in self.samples],
        }


def check_source(source: Source, settings: Settings) -> CheckReport:
    from monitor.extract import extract_page

    with tempfile.TemporaryDirectory(prefix="monitor-check-") as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'check.db'}")
        try:
            upgrade(db)
            summary = run_crawl(source, settings, db, check=True)
            with db.session() as session:
                rows = session.scalars(select(models.RawPage).order_by(models.RawPage.id))
                pages = [raw_page_from_row(row) for row in rows]
        finally:
            db.dispose()
    samples = []
    for page in pages:
        try:
            article = extract_page(page, source.hints)
        except ExtractionError as exc:
            samples.append(Sample(page.url, error=f"{exc.reason}: {exc}"))
            continue
        samples.append(
            Sample(
                page.url,
                title=article.title or None,
                published=article.published_iso(),
                language=article.language,
                words=len(article.text.split()),
            )
        )
    return CheckReport(source.key, summary, samples)


def render(report: CheckReport) -> str:
    """The human view: one line per discovery document, then the samples, then a verdict."""
    summary = report.summary
    lines = [f"{'kind':<8} {'status':<22} {'links':>5} {'articles':>8}  url"]
    for probe in summary.probes:
        lines.append(
            f"{probe.kind:<8} {probe.status[:22]:<22} {probe.links:>5} {probe.articles:>8}  {probe.url}"
        )
        if probe.next_page:
            lines.append(f"{'':47}next page: {probe.next_page}")
        for url, title, listed in probe.samples:
            lines.append(f"{'':47}- {title or '(no title)'} [{listed or 'undated'}] {url}")
    lines.append("")
    lines.append(f"sample articles fetched and extracted ({len(report.samples)}):")
    for sample in report.samples:
        if sample.error:
            lines.append(f"  ! {sample.url}: {sample.error}")
        else:
            lines.append(
                f"  {sample.published or 'no date':<25} {sample.language or '?':<3} "
                f"{sample.words:>5} words  {sample.title or '(no title)'}  {sample.url}"
            )
    lines.append("")
    lines.extend(f"! {problem}" for problem in summary.problems)
    lines.extend(f"! {reason}: {n}" for reason, n in sorted(summary.failures.items()))
    via = ", ".join(f"{kind} {count.articles}" for kind, count in summary.paths.items())
    verdict = "OK" if report.ok else "NOT WORKING"
    lines.append(
        f"{verdict}: {summary.found} article URLs on {len(summary.probes)} discovery documents"
        + (f" ({via})" if via else "")
    )
    return "\n".join(lines)

"""The counts of one crawl run: kept by the spider while it runs, returned to the caller."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field


@dataclass
class PathCount:
    """What one discovery kind (feed, sitemap, listing, rest, home, section, archive) did."""

    pages: int = 0  # documents read (HTTP 200)
    not_modified: int = 0  # polls answered 304
    failed: int = 0  # documents that failed or were not what the path expects
    links: int = 0  # links to the source's own pages (or items) they held
    articles: int = 0  # distinct article URLs they led to, known or not, any date


@dataclass
class ProbeReport:
    """One discovery document as `monitor sources check` shows it."""

    kind: str
    url: str
    status: str  # an HTTP status, or why it failed (gone, blocked, not a feed, ...)
    links: int = 0
    articles: int = 0
    next_page: str | None = None
    samples: list[tuple[str, str | None, str | None]] = field(
        default_factory=list
    )  # url, title, date


@dataclass
class CrawlSummary:
    source: str
    mode: str = "fresh"  # fresh | backfill | archive
    run_id: int | None = None
    outcome: str = "running"  # ok | degraded | partial | blocked | failed | timeout | error
    discovery: list[str] = field(default_factory=list)  # kinds that led to articles, in order
    found: int = 0  # distinct article URLs discovered
    new: int = 0  # raw pages stored
    unchanged: int = 0  # already stored: skipped without fetching, or a duplicate once fetched
    failed: int = 0
    blocked: int = 0  # decoy / anti-bot pages
    not_modified: int = 0  # feed, sitemap and listing polls answered 304
    capped: int = 0  # article URLs left for the next run by the page cap
    requests: int = 0
    bytes_received: int = 0
    seconds: float = 0.0
    failures: Counter[str] = field(default_factory=Counter)  # reason -> count
    error: str | None = None
    links: int = 0  # links read on discovery documents, articles or not
    paths: dict[str, PathCount] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # silent failures, worded for operators
    hubs: dict[str, str] = field(default_factory=dict)  # WebSub: feed topic URL -> hub URL
    # for `sources check` and bench/discovery.py, not stored: article URLs reached per kind,
    # the URL each was stored under when its page named another (rel=canonical), and every
    # discovery document read
    reached: dict[str, set[str]] = field(default_factory=dict)
    stored_as: dict[str, str] = field(default_factory=dict)
    probes: list[ProbeReport] = field(default_factory=list)

    def fail(self, reason: str) -> None:
        self.failed += 1
        self.failures[reason] += 1

    def use(self, path: str) -> None:
        if path not in self.discovery:
            self.discovery.append(path)

    def path(self, kind: str) -> PathCount:
        return self.paths.setdefault(kind, PathCount())

    def reach(self, kind: str, url: str) -> None:
        urls = self.reached.setdefault(kind, set())
        if url not in urls:
            urls.add(url)
            self.path(kind).articles += 1

    def settle(self) -> None:
        """Derive the outcome from the counts once the run is over."""
        if self.outcome not in ("running", "ok"):
            return
        succeeded = self.new + self.unchanged + self.not_modified
        if self.blocked and not succeeded:
            self.outcome = "blocked"
        elif self.failed and not succeeded:
            self.outcome = "failed"
        elif self.failed or self.blocked:
            self.outcome = "partial"
        else:
            self.outcome = "degraded" if self.problems else "ok"  # never a quiet "ok"
        if self.failures and not self.error:
            self.error = ", ".join(f"{r}: {n}" for r, n in sorted(self.failures.items()))

    def line(self) -> str:
        return (
            f"crawl {self.source} ({self.mode}) {self.outcome}: found={self.found} new={self.new}"
            f" unchanged={self.unchanged} failed={self.failed} blocked={self.blocked}"
            f" not_modified={self.not_modified} capped={self.capped} requests={self.requests}"
            f" bytes={self.bytes_received} via={'+'.join(self.discovery) or '-'}"
            f" in {self.seconds:.1f}s"
            + (f" [{self.error}]" if self.error else "")
            + "".join(f" ! {p}" for p in self.problems)
        )

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data["failures"] = dict(self.failures)
        del data["reached"], data["stored_as"], data["probes"]
        return data

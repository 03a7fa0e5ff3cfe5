"""The counts of one crawl run: kept by the spider while it runs, returned to the caller."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field


@dataclass
class CrawlSummary:
    source: str
    mode: str = "fresh"  # fresh | backfill
    run_id: int | None = None
    outcome: str = "running"  # ok | partial | blocked | failed | timeout | error
    discovery: list[str] = field(default_factory=list)  # paths that worked: feed, sitemap, listing
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

    def fail(self, reason: str) -> None:
        self.failed += 1
        self.failures[reason] += 1

    def use(self, path: str) -> None:
        if path not in self.discovery:
            self.discovery.append(path)

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
            self.outcome = "ok"
        if self.failures and not self.error:
            self.error = ", ".join(f"{r}: {n}" for r, n in sorted(self.failures.items()))

    def line(self) -> str:
        return (
            f"crawl {self.source} ({self.mode}) {self.outcome}: found={self.found} new={self.new}"
            f" unchanged={self.unchanged} failed={self.failed} blocked={self.blocked}"
            f" not_modified={self.not_modified} capped={self.capped} requests={self.requests}"
            f" bytes={self.bytes_received} via={'+'.join(self.discovery) or '-'}"
            f" in {self.seconds:.1f}s" + (f" [{self.error}]" if self.error else "")
        )

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data["failures"] = dict(self.failures)
        return data

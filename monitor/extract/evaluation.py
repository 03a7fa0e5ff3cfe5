"""An extraction evaluation set on disk, and how extraction is scored against it.

A case is `<name>.html` (the response body, in its own encoding) plus `<name>.yaml` (URL,
headers, fetch time, optional feed entry, the source key and the gold values). The hints
come from the caller (the sources' own declarations), so the set measures what production
runs. Shared by the tests and `bench/extraction.py`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from monitor.domain import ExtractedArticle, FeedEntry, Published, RawPage, SourceHints

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Case:
    name: str
    page: RawPage
    hints: SourceHints
    expect: dict[str, Any]

    @property
    def html_text(self) -> str:
        """The body as text, for comparing with bare trafilatura on the same input."""
        return self.page.body.decode(self.expect.get("encoding", "utf-8"))


def load_cases(directory: Path, hints_for: Callable[[str], SourceHints | None]) -> list[Case]:
    cases = []
    for meta_path in sorted(directory.glob("*.yaml")):
        meta = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
        page = RawPage(
            url=meta["url"],
            source=meta["source"],
            body=meta_path.with_suffix(".html").read_bytes(),
            fetched_at=datetime.fromisoformat(meta["fetched_at"]),
            headers=meta.get("headers", {}),
            feed=FeedEntry(**meta["feed"]) if meta.get("feed") else None,
        )
        expect = {**meta["expect"], "encoding": meta.get("encoding", "utf-8")}
        hints = hints_for(meta["source"]) or SourceHints()
        cases.append(Case(meta_path.stem, page, hints, expect))
    return cases


def tokens(text: str) -> Counter[str]:
    return Counter(word.lower() for word in _WORD.findall(text))


def text_scores(extracted: str, gold: str) -> tuple[float, float]:
    """Bag-of-words precision and recall of the extracted text against the gold text."""
    got, want = tokens(extracted), tokens(gold)
    overlap = sum((got & want).values())
    precision = overlap / sum(got.values()) if got else 0.0
    recall = overlap / sum(want.values()) if want else 1.0
    return precision, recall


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def expected_published(value: str | None) -> Published | None:
    if value is None:
        return None
    return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)


def date_correct(article: ExtractedArticle, expect: dict[str, Any]) -> bool:
    """Same precision (a day is not a timestamp), same instant and same day as the source shows
    it: 17:45+03:00 and 14:45 GMT are the same publication; 23:01 UTC for 03:01+04:00 is not."""
    want = expected_published(expect.get("published"))
    got = article.published
    if type(got) is not type(want):
        return False
    if isinstance(got, datetime) and isinstance(want, datetime):
        return got == want and got.date() == want.date()
    return got == want


def generic_hints(hints: SourceHints) -> SourceHints:
    """The generic path alone: no selectors. What is declared about the source itself (zone,
    founding date, language, decoy markers) is not a markup hint and stays."""
    return SourceHints(
        blocked_markers=hints.blocked_markers,
        default_language=hints.default_language,
        date_order=hints.date_order,
        timezone=hints.timezone,
        founded=hints.founded,
    )


def normalized(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()

"""Fixtures for the extraction tests: one long-lived extraction worker, the evaluation set."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.domain import FeedEntry, RawPage, SourceHints
from monitor.extract import TimedExtractor
from monitor.extract.evaluation import Case, load_cases
from monitor.service.wiring import hints_for

EVAL_DIR = Path(__file__).resolve().parents[1] / "data" / "extraction"
FETCHED_AT = datetime(2025, 5, 25, 6, 40, tzinfo=UTC)


@pytest.fixture(scope="session")
def extractor() -> Iterator[TimedExtractor]:
    timed = TimedExtractor()
    yield timed
    timed.close()


@pytest.fixture(scope="session")
def eval_cases() -> list[Case]:
    return load_cases(EVAL_DIR, hints_for)


@pytest.fixture(scope="session")
def source_hints(eval_cases: list[Case]) -> dict[str, SourceHints]:
    """The evaluation set's hints per source key (they mirror shared/sources.md)."""
    return {case.page.source: case.hints for case in eval_cases}


@pytest.fixture
def make_page() -> Callable[..., RawPage]:
    return build_page


def build_page(
    body: bytes | str,
    content_type: str | None = "text/html; charset=utf-8",
    url: str = "https://example.org/news/1",
    feed: FeedEntry | None = None,
) -> RawPage:
    return RawPage(
        url=url,
        source="test",
        body=body.encode("utf-8") if isinstance(body, str) else body,
        fetched_at=FETCHED_AT,
        headers={"Content-Type": content_type} if content_type else {},
        feed=feed,
    )

"""Every page of the evaluation set (tests/data/extraction/) against its gold values."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.domain import ExtractionError
from monitor.extract import TimedExtractor
from monitor.extract.evaluation import (
    Case,
    date_correct,
    expected_published,
    load_cases,
    normalized,
    text_scores,
)
from monitor.service.wiring import hints_for

CASES = load_cases(Path(__file__).resolve().parents[1] / "data" / "extraction", hints_for)


def test_the_set_covers_every_source_and_the_required_forms() -> None:
    assert len(CASES) >= 12
    assert {c.page.source for c in CASES} == {"etilaf", "rt_arabic", "state_dept", "baladi"}
    assert any(c.expect.get("encoding") == "cp1256" for c in CASES)
    assert sum(c.expect.get("language") == "ar" for c in CASES) >= 6


@pytest.mark.parametrize("case", [c for c in CASES if "error" in c.expect], ids=lambda c: c.name)
def test_failing_pages_fail_with_their_reason(case: Case, extractor: TimedExtractor) -> None:
    with pytest.raises(ExtractionError) as failure:
        extractor.extract(case.page, case.hints)
    assert failure.value.reason == case.expect["error"]


@pytest.mark.parametrize(
    "case", [c for c in CASES if "error" not in c.expect], ids=lambda c: c.name
)
def test_page_matches_gold(case: Case, extractor: TimedExtractor) -> None:
    expect = case.expect
    article = extractor.extract(case.page, case.hints)

    assert article.title == expect["title"]
    assert date_correct(article, expect), (
        article.published,
        expected_published(expect["published"]),
    )
    assert article.published_from == expect["published_from"]
    assert article.language == expect["language"]
    assert sorted(article.flags) == sorted(expect.get("flags", []))
    if "author" in expect:
        assert article.author == expect["author"]

    lines = article.text.split("\n")
    for paragraph in expect["text"].split("\n"):
        assert paragraph in lines, f"gold paragraph not a line of the text: {paragraph[:60]}"
    text = normalized(article.text)
    for sentence in expect["must_contain"]:
        assert normalized(sentence) in text
    for boilerplate in expect["must_not_contain"]:
        assert normalized(boilerplate) not in text, f"boilerplate in text: {boilerplate}"
    precision, recall = text_scores(article.text, expect["text"])
    assert precision >= 0.95 and recall >= 0.95

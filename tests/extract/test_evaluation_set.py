"""Every page of the evaluation set (tests/data/extraction/) against its gold values."""

from __future__ import annotations

import statistics
from dataclasses import replace
from pathlib import Path

import pytest

from monitor.domain import ExtractedArticle, ExtractionError
from monitor.extract import TimedExtractor
from monitor.extract.evaluation import (
    Case,
    date_correct,
    f1,
    generic_hints,
    load_cases,
    normalized,
    text_scores,
)
from monitor.service.wiring import hints_for

CASES = load_cases(Path(__file__).resolve().parents[1] / "data" / "extraction", hints_for)


def test_the_set_covers_every_source_and_the_required_forms() -> None:
    assert len(CASES) >= 40
    assert {c.page.source for c in CASES} == {"etilaf", "rt_arabic", "state_dept", "baladi"}
    assert any(c.expect.get("encoding") == "cp1256" for c in CASES)
    assert sum(c.expect.get("language") == "ar" for c in CASES) >= 20
    assert sum(c.expect.get("language") == "en" for c in CASES) >= 10
    # pages in a markup the source's hints were not written for
    assert sum("body_hint_missed" in c.expect.get("flags", []) for c in CASES) >= 12
    assert sum(c.expect.get("published_from") == "visible" for c in CASES) >= 15


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
    assert article.published_iso() == expect["published"]  # the offset as the source gave it
    assert article.published_timezone == expect.get("published_timezone")
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


def test_the_generic_path_alone_meets_its_targets(extractor: TimedExtractor) -> None:
    """Without any source hint (bench/extraction.py prints the same figures): dates >= 95 %,
    body F1 >= 0.93 over the whole set."""
    dated = [c for c in CASES if "error" not in c.expect]
    articles: list[ExtractedArticle | None] = []
    for case in dated:
        try:
            articles.append(extractor.extract(case.page, generic_hints(case.hints)))
        except ExtractionError:
            articles.append(None)
    right = sum(a is not None and date_correct(a, c.expect) for a, c in zip(articles, dated))
    assert right / len(dated) >= 0.95
    scores = [text_scores(a.text if a else "", c.expect["text"]) for a, c in zip(articles, dated)]
    precision = statistics.mean(p for p, _ in scores)
    recall = statistics.mean(r for _, r in scores)
    assert f1(precision, recall) >= 0.93


def test_generic_hints_keep_what_is_declared_about_the_source_only() -> None:
    etilaf = next(c.hints for c in CASES if c.page.source == "etilaf")
    generic = generic_hints(etilaf)
    assert (generic.timezone, generic.founded) == (etilaf.timezone, etilaf.founded)
    assert generic == replace(generic, title_css=(), date_css=(), body_css=(), drop_css=())
    assert etilaf.body_css and not generic.body_css

"""Extraction quality and cost over the evaluation set (tests/data/extraction/).

Every figure twice: with the sources' hints (what production runs on the markup the hints
were written for) and with none (the generic path alone: what runs on a redesign or an
unseen copy of a site). Beside them, bare `trafilatura.extract` on the same pages in the
same run: text precision / recall / F1 (bag of words against the gold text), and cost per
page, ours as a ratio of bare trafilatura's (target <= 1.3): in the extraction worker (what
production runs: one socket round trip per page, which a loaded machine makes slower) and
in process (the extraction work alone). Dates: right = same instant,
same day as the source shows it and same precision (a day is not a timestamp); "as given"
also requires the very offset of the gold value.

    .venv/bin/python bench/extraction.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from monitor.domain import ExtractedArticle, ExtractionError
from monitor.extract import extract_page
from monitor.extract.article import extract_now
from monitor.extract.evaluation import (
    Case,
    date_correct,
    f1,
    generic_hints,
    load_cases,
    text_scores,
)
from monitor.extract.trafilatura_adapter import bare_extract
from monitor.service.wiring import hints_for

EVAL_DIR = Path(__file__).resolve().parents[1] / "tests" / "data" / "extraction"
# Live pages are 100-300 kB: the same articles wrapped in menus and inline script of that
# size show how the cost ratio behaves where trafilatura has more page to search.
PADDING = (
    "<ul class='mega-menu'>"
    + "".join(f"<li><a href='/s/{i}'>قسم الأخبار العاجلة رقم {i}</a></li>" for i in range(1500))
    + "</ul><script>var cfg = {"
    + ",".join(f'"k{i}": "{"x" * 40}"' for i in range(2500))
    + "};</script>"
)
Outcome = ExtractedArticle | ExtractionError


def ours(case: Case) -> Outcome:
    try:
        return extract_page(case.page, case.hints)
    except ExtractionError as exc:
        return exc


def in_process(case: Case) -> Outcome:
    """The same extraction without the worker process: the work alone, no round trip."""
    try:
        return extract_now(case.page, case.hints)
    except ExtractionError as exc:
        return exc


def bare(case: Case) -> str:
    return bare_extract(case.html_text) or ""


def padded(case: Case) -> Case:
    html = case.html_text.replace("</body>", PADDING + "</body>")
    encoding = case.expect.get("encoding", "utf-8")
    return replace(case, page=replace(case.page, body=html.encode(encoding)))


def without_hints(case: Case) -> Case:
    return replace(case, hints=generic_hints(case.hints))


def per_page_seconds(extract: Callable[[Case], object], cases: list[Case]) -> float:
    start = time.perf_counter()
    for case in cases:
        extract(case)
    return (time.perf_counter() - start) / len(cases)


def costs(
    cases: list[Case], rounds: int, extract: Callable[[Case], Outcome] = ours
) -> tuple[float, float, float]:
    """Median seconds per page: with hints, without, bare trafilatura (interleaved rounds, so
    load on the shared machine hits all three alike)."""
    generic = [without_hints(c) for c in cases]
    hinted, plain, base = [], [], []
    for _ in range(rounds):
        base.append(per_page_seconds(bare, cases))
        hinted.append(per_page_seconds(extract, cases))
        plain.append(per_page_seconds(extract, generic))
    return statistics.median(hinted), statistics.median(plain), statistics.median(base)


def cost_line(label: str, measured: tuple[float, float, float]) -> str:
    hinted, plain, base = measured
    return (
        f"{label}: with hints {hinted * 1000:.2f} ms (ratio {hinted / base:.2f}), "
        f"no hints {plain * 1000:.2f} ms (ratio {plain / base:.2f}), "
        f"bare trafilatura.extract {base * 1000:.2f} ms"
    )


def ratio(count: int, total: int) -> str:
    return f"{count}/{total} = {count / total:.3f}"


def text_line(label: str, texts: list[str], cases: list[Case]) -> str:
    scores = [text_scores(text, c.expect["text"]) for text, c in zip(texts, cases, strict=True)]
    precision = statistics.mean(p for p, _ in scores)
    recall = statistics.mean(r for _, r in scores)
    return f"  {label:26} P {precision:.3f}  R {recall:.3f}  F1 {f1(precision, recall):.3f}"


def quality(label: str, cases: list[Case], got: dict[str, Outcome]) -> list[str]:
    dated = [c for c in cases if "error" not in c.expect]
    articles = [a if isinstance(a := got[c.name], ExtractedArticle) else None for c in dated]
    pairs = list(zip(articles, dated, strict=True))
    titles = sum(a is not None and a.title == c.expect["title"] for a, c in pairs)
    days = sum(a is not None and date_correct(a, c.expect) for a, c in pairs)
    given = sum(a is not None and a.published_iso() == c.expect["published"] for a, c in pairs)
    failing = [c for c in cases if "error" in c.expect]
    reasons = sum(getattr(got[c.name], "reason", None) == c.expect["error"] for c in failing)
    lines = [
        f"{label}:",
        f"  titles                     {ratio(titles, len(dated))}",
        f"  dates                      {ratio(days, len(dated))}",
        f"  dates, offset as given     {ratio(given, len(dated))}",
        text_line("text", [a.text if a else "" for a in articles], dated),
    ]
    for language in ("ar", "en"):
        subset = [(a, c) for a, c in pairs if c.expect["language"] == language]
        texts = [a.text if a else "" for a, _ in subset]
        right = sum(a is not None and date_correct(a, c.expect) for a, c in subset)
        lines.append(
            text_line(f"text, {language} ({len(subset)} pages)", texts, [c for _, c in subset])
            + f"  dates {ratio(right, len(subset))}"
        )
    lines.append(f"  expected failures          {reasons}/{len(failing)} with the right reason")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    cases = load_cases(EVAL_DIR, hints_for)
    with_hints = {c.name: ours(c) for c in cases}  # also starts the worker process
    no_hints = {c.name: ours(without_hints(c)) for c in cases}
    dated = [c for c in cases if "error" not in c.expect]
    languages = {lang: sum(c.expect["language"] == lang for c in dated) for lang in ("ar", "en")}
    unseen = sum("body_hint_missed" in c.expect.get("flags", []) for c in dated)

    print(
        f"evaluation set: {len(cases)} pages ({len(dated)} articles: {languages['ar']} Arabic, "
        f"{languages['en']} English; {len(cases) - len(dated)} expected to fail); "
        f"{unseen} in a markup the source's body hint was not written for"
    )
    for line in quality("with source hints", cases, with_hints):
        print(line)
    for line in quality("no hints (generic path)", cases, no_hints):
        print(line)
    print("bare trafilatura.extract:")
    print(text_line("text", [bare(c) for c in dated], dated))

    rounds, quarter = args.rounds, max(1, args.rounds // 4)
    print(
        cost_line(f"cost per page in the worker, median of {rounds} rounds", costs(cases, rounds))
    )
    alone = costs(cases, rounds, in_process)
    print(cost_line(f"cost per page in process, median of {rounds} rounds", alone))
    big = [padded(c) for c in cases]
    print(
        cost_line(f"pages padded to ~200 kB, in the worker, {quarter} rounds", costs(big, quarter))
    )
    print("(target: ours <= 1.3 x bare trafilatura.extract)")


if __name__ == "__main__":
    main()

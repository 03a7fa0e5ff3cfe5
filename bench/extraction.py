"""Extraction quality and cost over the evaluation set (tests/data/extraction/).

Prints, for our `extract_page` and for bare `trafilatura.extract` on the same pages in the
same run: text precision / recall / F1 (bag of words against the gold text), date accuracy
(ours only: bare trafilatura returns no date), and wall-clock cost per page, with our cost
as a ratio of bare trafilatura's (target <= 1.3).

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


def ours(case: Case) -> ExtractedArticle | ExtractionError:
    try:
        return extract_page(case.page, case.hints)
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


def cost_line(label: str, cases: list[Case], rounds: int) -> str:
    ours_costs, bare_costs = [], []
    for _ in range(rounds):  # interleaved, so load on the shared machine hits both alike
        bare_costs.append(per_page_seconds(bare, cases))
        ours_costs.append(per_page_seconds(ours, cases))
    ours_cost, bare_cost = statistics.median(ours_costs), statistics.median(bare_costs)
    return (
        f"cost per page, {label}, median of {rounds} rounds: ours {ours_cost * 1000:.2f} ms, "
        f"bare trafilatura.extract {bare_cost * 1000:.2f} ms, ratio {ours_cost / bare_cost:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    cases = load_cases(EVAL_DIR, hints_for)
    articles = {case.name: ours(case) for case in cases}  # also starts the worker process
    scored = [c for c in cases if "text" in c.expect]
    dated = [c for c in cases if "error" not in c.expect]
    failing = [c for c in cases if "error" in c.expect]

    print(f"evaluation set: {len(cases)} pages ({len(failing)} expected to fail)")
    print(f"{'text (macro avg)':18} {'precision':>9} {'recall':>7} {'F1':>6}")
    for label, text_of in (
        ("ours", lambda c: getattr(articles[c.name], "text", "")),
        ("bare trafilatura", bare),
    ):
        scores = [text_scores(text_of(c), c.expect["text"]) for c in scored]
        precision = statistics.mean(p for p, _ in scores)
        recall = statistics.mean(r for _, r in scores)
        print(f"{label:18} {precision:9.3f} {recall:7.3f} {f1(precision, recall):6.3f}")
    right_dates = sum(
        isinstance(a := articles[c.name], ExtractedArticle) and date_correct(a, c.expect)
        for c in dated
    )
    print(f"date accuracy (ours): {right_dates}/{len(dated)} = {right_dates / len(dated):.3f}")
    right_errors = sum(
        getattr(articles[c.name], "reason", None) == c.expect["error"] for c in failing
    )
    print(f"expected failures with the right reason: {right_errors}/{len(failing)}")
    print(cost_line("evaluation set", cases, args.rounds) + " (target <= 1.3)")
    quarter = max(1, args.rounds // 4)
    print(cost_line("same pages padded to ~200 kB", [padded(c) for c in cases], quarter))
    print(
        cost_line("same pages, no hints (generic path)", [without_hints(c) for c in cases], quarter)
    )


if __name__ == "__main__":
    main()

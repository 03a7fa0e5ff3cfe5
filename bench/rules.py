"""Throughput of rule matching (normalise + Aho-Corasick) beside one Python `re` alternation.

Run: .venv/bin/python bench/rules.py [--mb 50] [--terms 10000] [--re-mb 1]

Generates Arabic news-like text (with diacritics, tatweel and dotted obfuscations, digits,
some English) cut into article-sized documents, plus `--terms` Arabic terms spread over
ten rules beside the default pack. The `re` side runs one alternation of the same terms
over the raw documents; it is far slower, so it runs on the first `--re-mb` MB only, and
the figure printed is MB/s on that slice. Rates are per CPU second of this process (the
machine may be shared); wall-clock rates are printed beside them.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.rules import Rule, RuleBook
from monitor.rules.loader import load_rules
from monitor.text.arabic import normalize

LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
NEWS_SAMPLE = (
    "قال مصدر في الدفاع المدني إن قوات النظام قصفت ريف إدلب الجنوبي صباح اليوم ما أسفر عن "
    "مقتل وإصابة عدد من المدنيين بينهم أطفال ونساء وأكد ناشطون أن الطائرات الحربية استهدفت "
    "الأحياء السكنية والأسواق الشعبية في المدينة كما وثقت الشبكة السورية لحقوق الإنسان "
    "انتهاكات جديدة خلال الشهر الماضي وطالبت المجتمع الدولي بالتحرك العاجل لحماية السكان "
    "وأعلن الائتلاف الوطني رفضه للمبادرة الروسية معتبراً أنها لا تلبي تطلعات الشعب السوري "
    "بينما استمرت المفاوضات في جنيف دون نتائج ملموسة وتواصلت موجات النزوح نحو الحدود التركية"
)
VOCABULARY = NEWS_SAMPLE.split()
PUNCTUATION = ["،", ".", ":", "؛"]
ENGLISH = ["UN", "OCHA", "Reuters", "said", "the", "statement"]


def make_terms(count: int, rng: random.Random) -> list[str]:
    """Distinct made-up Arabic names and two-word phrases, some definite, some with `*`."""
    terms: set[str] = set()
    while len(terms) < count:
        words = [
            "".join(rng.choices(LETTERS, k=rng.randint(4, 8))) for _ in range(rng.choice((1, 1, 2)))
        ]
        term = " ".join(words)
        if rng.random() < 0.2:
            term = "ال" + term
        if rng.random() < 0.1:
            term += "*"
        terms.add(term)
    return sorted(terms)


def obfuscate(word: str, rng: random.Random) -> str:
    cut = rng.randint(1, max(1, len(word) - 1))
    return word[:cut] + rng.choice(["ـ.", "ـ", "\u200c", "-"]) + word[cut:]


def make_documents(megabytes: float, terms: list[str], rng: random.Random) -> list[str]:
    target = int(megabytes * 1_000_000)
    documents, size = [], 0
    while size < target:
        words = []
        for _ in range(rng.randint(400, 900)):  # an article of a few kB
            roll = rng.random()
            if roll < 0.002:
                words.append(obfuscate(rng.choice(terms).rstrip("*"), rng))
            elif roll < 0.02:
                words.append(rng.choice(VOCABULARY) + "ً")  # tanween, as in أيضاً
            elif roll < 0.03:
                words.append(str(rng.randint(1, 2030)) if rng.random() < 0.5 else "٢٠١٣")
            elif roll < 0.035:
                words.append(rng.choice(ENGLISH))
            else:
                words.append(rng.choice(VOCABULARY))
            if rng.random() < 0.08:
                words[-1] += rng.choice(PUNCTUATION)
        document = " ".join(words)
        documents.append(document)
        size += len(document.encode())
    return documents


def mb(documents: list[str]) -> float:
    return sum(len(d.encode()) for d in documents) / 1_000_000


def timed(label: str, documents: list[str], run: Callable[[str], int]) -> float:
    """MB/s of CPU time (the machine may be shared; wall-clock MB/s is printed beside it)."""
    wall, cpu = time.perf_counter(), time.process_time()
    found = sum(run(d) for d in documents)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    size = mb(documents)
    print(
        f"{label:<44} {size:6.1f} MB {cpu:7.2f} s cpu {size / cpu:8.2f} MB/s "
        f"(wall {size / wall:6.2f} MB/s) hits={found}"
    )
    return size / cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=50)
    parser.add_argument("--terms", type=int, default=10_000)
    parser.add_argument("--re-mb", type=float, default=1)
    args = parser.parse_args()
    rng = random.Random(2026)

    terms = make_terms(args.terms, rng)
    rules = [
        Rule.model_validate({"id": f"bench_{i}", "name": f"Bench {i}", "terms": terms[i::10]})
        for i in range(10)
    ]
    started = time.perf_counter()
    book = RuleBook([*load_rules(Path(__file__).resolve().parents[1] / "rules"), *rules])
    print(f"compiled {len(terms)} terms + default pack in {time.perf_counter() - started:.2f} s")

    started = time.perf_counter()
    documents = make_documents(args.mb, terms, rng)
    print(
        f"generated {len(documents)} documents, {mb(documents):.1f} MB UTF-8 "
        f"in {time.perf_counter() - started:.1f} s"
    )

    literal = [t.rstrip("*") for t in terms]
    alternation = re.compile("|".join(map(re.escape, sorted(literal, key=len, reverse=True))))

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    normalise_rate = timed("normalise only", documents, lambda d: len(normalize(d).joins))
    ours = timed("normalise + match (RuleBook.match)", documents, lambda d: len(book.match(d)))
    re_slice, total = [], 0.0
    for document in documents:
        if total >= args.re_mb:
            break
        re_slice.append(document)
        total += len(document.encode()) / 1_000_000
    ours_slice = timed(
        "normalise + match, same slice as re", re_slice, lambda d: len(book.match(d))
    )
    theirs = timed(
        f"re alternation, raw text (first {args.re_mb:g} MB only)",
        re_slice,
        lambda d: sum(1 for _ in alternation.finditer(d)),
    )
    print(
        f"\nnormalise + match: {ours:.1f} MB/s (CPU time) over {mb(documents):.1f} MB "
        f"(target >= 30); normalise alone {normalise_rate:.1f} MB/s"
    )
    print(f"re alternation: {theirs:.2f} MB/s on a {mb(re_slice):.1f} MB slice")
    print(
        f"ratio: {ours / theirs:.0f}x (slice vs slice: {ours_slice / theirs:.0f}x; target >= 10x)"
    )
    print(
        "note: hit counts differ because re sees raw text (no folding of obfuscations, "
        "proclitics or word boundaries), and RuleBook counts rules matched, not term hits"
    )


if __name__ == "__main__":
    main()

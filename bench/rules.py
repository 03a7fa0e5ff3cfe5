"""Rule matching (normalise + Aho-Corasick + checks) as a ratio of bare pyahocorasick.

Run: .venv/bin/python bench/rules.py [--mb 50] [--terms 10000] [--english-mb 2] [--rounds 3]

Generates Arabic news-like text (diacritics, tatweel and dotted obfuscations, spaced-out
letters, emoji inside words, digits, some English) cut into article-sized documents
(400-900 words, ~7.5 kB), plus `--terms` made-up Arabic terms spread over ten rules
beside the default pack, and an English slice of the same document sizes.

Every figure is MB of UTF-8 input per CPU second of this process (`time.process_time`;
wall-clock MB/s is printed beside it), over the same documents, in the same run, one call
per document. The documents are timed in slices of 100 (~0.75 MB), every measurement on
a slice before any on the next, for `--rounds` rounds; each slice counts its best round.
A busy spell on a shared machine lasts seconds, longer than a slice, so it slows all the
measurements alike (whole 50 MB passes, interleaved, gave ratios from 0.48 to 0.72 on
one machine as another job came and went):
- bare pyahocorasick: an `ahocorasick.Automaton` of the same terms (the 10,000 and the
  default pack's, as written, `*` dropped), added in sorted order, iterated over each raw
  document with every hit consumed by `sum(1 for _ in automaton.iter(doc))`;
- book automaton only: the RuleBook's spaced automaton (every term as a whole word between
  spaces, once per proclitic it may take) iterated the same way over the already
  normalised and spaced documents (the careful automaton over any it cannot take): the
  part of our time that is Aho-Corasick itself (keys added frequent letters first, which
  pyahocorasick's linear child lists reward; the bare one gets no such help);
- normalise only: `normalize(doc)` (folding, gluing, stemming, joins; the offset maps are
  built lazily, so only when a hit is mapped back);
- normalise + match: `RuleBook.match(doc)`: normalise, spacing (every non-word character
  made a space), the spaced automaton, the careful automaton with its word-boundary and
  proclitic checks around joins only, rule evaluation (all/none/near) for the rules the
  raw hits could fire, spans mapped back to the original text and snippets for each
  rule that fires.
The ratio printed is normalise + match / bare (target >= 0.6), for Arabic and English.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import ahocorasick

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.rules import BUILTIN_RULES, Rule, RuleBook
from monitor.rules.loader import load_rules
from monitor.text.arabic import normalize
from monitor.text.characters import words_between_spaces

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
ENGLISH_SAMPLE = ["The", "United", "Nations", "said", "on", "Tuesday", "that", "aid", "convoys", "reached", "the", "northwest", "after", "weeks", "of", "delays,", "while", "officials", "in", "Damascus", "accused", "armed", "groups", "of", "shelling", "residential", "areas.", "Rescue", "workers", "pulled", "survivors", "from", "collapsed", "buildings", "and", "hospitals", "reported", "dozens", "of", "injuries;", "the", "organisation", "called", "for", "an", "immediate", "ceasefire", "and", "access."]


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
    if rng.random() < 0.2:
        return " ".join(word)  # letters spaced out
    cut = rng.randint(1, max(1, len(word) - 1))
    return word[:cut] + rng.choice(["ـ.", "ـ", "\u200c", "-", "💥", "ک"]) + word[cut:]


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


Document = TypeVar("Document")
BATCH = 100  # documents (~0.75 MB) per timed slice


class Measure:
    """One figure, timed in slices of BATCH documents: every measure runs on slice k
    before any runs on slice k + 1, and each slice keeps its best round, so a busy spell
    on a shared machine (which lasts seconds, longer than a slice) slows all alike."""

    def __init__(
        self, label: str, documents: list[Any], run: Callable[[Any], int], size: float | None = None
    ) -> None:
        self.label, self.run = label, run
        self.size = mb(documents) if size is None else size  # MB counted when `documents` stand for others
        self.slices = [documents[i : i + BATCH] for i in range(0, len(documents), BATCH)]
        self.cpu = [float("inf")] * len(self.slices)
        self.wall = [float("inf")] * len(self.slices)
        self.found = 0

    def time_slice(self, index: int) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self.found = sum(self.run(d) for d in self.slices[index])
        self.wall[index] = min(self.wall[index], time.perf_counter() - wall)
        self.cpu[index] = min(self.cpu[index], time.process_time() - cpu)

    def rate(self) -> float:
        """MB per CPU second over the best round of every slice."""
        return self.size / sum(self.cpu)

    def report(self) -> str:
        return (
            f"{self.label:<44} {self.size:6.1f} MB {sum(self.cpu):7.2f} s cpu "
            f"{self.rate():8.2f} MB/s (wall {self.size / sum(self.wall):6.2f} MB/s)"
        )


def run_interleaved(measures: list[Measure], rounds: int) -> None:
    for round_ in range(rounds):
        for index in range(max(len(m.slices) for m in measures)):
            for measure in measures:
                if index < len(measure.slices):
                    measure.time_slice(index)
        print(f"-- after round {round_ + 1} of {rounds} (best round of each slice)")
        for measure in measures:
            print(measure.report())


def english_documents(megabytes: float, rng: random.Random) -> list[str]:
    documents, size = [], 0
    while size < megabytes * 1_000_000:
        document = " ".join(rng.choices(ENGLISH_SAMPLE, k=rng.randint(400, 900)))
        documents.append(document)
        size += len(document.encode())
    return documents


def bare_automaton(terms: list[str]) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for term in terms:
        automaton.add_word(term, len(term))
    automaton.make_automaton()
    return automaton


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=50)
    parser.add_argument("--terms", type=int, default=10_000)
    parser.add_argument("--english-mb", type=float, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="each figure is the best round")
    args = parser.parse_args()
    rng = random.Random(2026)

    terms = make_terms(args.terms, rng)
    rules = [
        Rule.model_validate({"id": f"bench_{i}", "name": f"Bench {i}", "terms": terms[i::10]})
        for i in range(10)
    ]
    started = time.perf_counter()
    pack = load_rules(BUILTIN_RULES)
    book = RuleBook([*pack, *rules])
    print(f"compiled {len(terms)} terms + default pack in {time.perf_counter() - started:.2f} s")
    pack_terms = [t for r in pack for _, t in r.term_fields()]
    written = [t.rstrip("*") for t in [*terms, *pack_terms]]
    bare = bare_automaton(written)

    started = time.perf_counter()
    documents = make_documents(args.mb, terms, rng)
    english = english_documents(args.english_mb, rng)
    print(
        f"generated {len(documents)} documents, {mb(documents):.1f} MB UTF-8 "
        f"in {time.perf_counter() - started:.1f} s"
    )
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

    def bare_hits(document: str) -> int:
        return sum(1 for _ in bare.iter(document))

    # the automaton `match` runs over each normalised document, timed on its own
    spaced: list[tuple[Any, str]] = [
        (book._automaton, text) if (words := words_between_spaces(text)) is None
        else (book._spaced, words)
        for text in (normalize(d).text for d in documents)
    ]

    def automaton_hits(pair: tuple[Any, str]) -> int:
        automaton, text = pair
        return sum(1 for _ in automaton.iter(text))

    measures = {
        "bare": Measure("bare pyahocorasick, raw text", documents, bare_hits),
        "automaton": Measure(
            "book automaton only, normalised text", spaced, automaton_hits, size=mb(documents)
        ),
        "normalise": Measure("normalise only", documents, lambda d: len(normalize(d).joins)),
        "ours": Measure("normalise + match (RuleBook.match)", documents, lambda d: len(book.match(d))),
        "english_bare": Measure("English: bare pyahocorasick", english, bare_hits),
        "english_ours": Measure("English: normalise + match", english, lambda d: len(book.match(d))),
    }
    run_interleaved(list(measures.values()), args.rounds)
    rates = {name: measure.rate() for name, measure in measures.items()}
    baseline, ours, normalise_rate = rates["bare"], rates["ours"], rates["normalise"]
    english_bare, english_ours = rates["english_bare"], rates["english_ours"]
    print(
        f"\nnormalise + match: {ours:.1f} MB/s (CPU time) over {mb(documents):.1f} MB of Arabic, "
        f"{len(terms)} terms; normalise alone {normalise_rate:.1f} MB/s"
    )
    print(f"bare pyahocorasick on the same text: {baseline:.1f} MB/s")
    print(
        f"the book's automaton alone takes {baseline / rates['automaton']:.2f} of bare's time; "
        "normalising, spacing, the checks around joins and the rules take the rest"
    )
    print(f"ratio normalise + match / bare: {ours / baseline:.2f} (target >= 0.6)")
    print(f"English: {english_ours:.1f} MB/s, ratio {english_ours / english_bare:.2f}")
    print(
        "note: hit counts differ: the bare automaton sees raw text (no folding, proclitics "
        "or word boundaries) and counts term hits; RuleBook counts rules matched"
    )


if __name__ == "__main__":
    main()

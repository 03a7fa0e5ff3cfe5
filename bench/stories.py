"""Story matching: precision/recall on the labelled test set, then 100,000 synthetic items.

Run: .venv/bin/python bench/stories.py [--items N]

Part 1 reads tests/data/stories/documents.yaml and prints what the thresholds in
monitor/stories/index.py were chosen from: how well each shingle length separates copies
from other texts, pair-level P/R around each threshold, and the P/R of the stories built
when the documents arrive in publication order; then the same P/R on holdout.yaml, which
was written after the thresholds were fixed.

Part 2 generates synthetic items (Zipf-distributed words, names and numbers, over one
year): originals, copies quoting 60-100% of an earlier item, translations (other language,
same names and numbers, no shared words) and templated look-alikes (same words, other
names and numbers in the lead, a different story). It prints the time to fingerprint and
to assign them to stories, the memory of the index with the default bound and unbounded
side by side, and the pairwise P/R against the generator's truth.
"""

from __future__ import annotations

import argparse
import gc
import resource
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from monitor.store import models
from monitor.store.db import Database
from monitor.store.migrate import upgrade
from monitor.stories import assign_story
from monitor.stories import index as story_index
from monitor.stories.crosslang import evidence, similarity
from monitor.stories.evaluate import (
    Doc,
    Scores,
    fingerprints,
    load_documents,
    pairs,
    score_pairs,
    story_scores,
)
from monitor.stories.fingerprint import Fingerprint, fingerprint, shingles, words
from monitor.stories.gazetteer import NAMES
from monitor.stories.index import Entry, StoryIndex, names_another_event

DATA = Path(__file__).parents[1] / "tests" / "data" / "stories"
TESTSET, HOLDOUT = DATA / "documents.yaml", DATA / "holdout.yaml"


# ---------------------------------------------------------------- part 1: the test set


def exact_containment(a: set[bytes], b: set[bytes]) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def shingle_lengths(docs: list[Doc]) -> None:
    print("same-language pairs, exact containment by shingle length k: the lowest copy, the")
    print("highest other pair, and the highest other pair the lead check lets through")
    print("  k  lowest copy  highest other  after lead check  margin")
    same = pairs(docs, cross_language=False)
    prints = fingerprints(docs)
    for k in (1, 2, 3, 4, 5):
        sets = {d.id: shingles(words(f"{d.title}\n\n{d.text}"), k) for d in docs}
        copies = [exact_containment(sets[a.id], sets[b.id]) for a, b in same if a.story == b.story]
        others = [(exact_containment(sets[a.id], sets[b.id]),
                   names_another_event(prints[a.id], prints[b.id]))
                  for a, b in same if a.story != b.story]
        kept = max(c for c, vetoed in others if not vetoed)
        print(f"  {k}  {min(copies):11.2f}  {max(c for c, _ in others):13.2f}  {kept:15.2f}"
              f"  {min(copies) - kept:6.2f}")


def threshold_sweep(docs: list[Doc]) -> None:
    prints = fingerprints(docs)

    def copy_rule(threshold: float, veto: bool) -> Callable[[Doc, Doc], bool]:
        def same(a: Doc, b: Doc) -> bool:
            fa, fb = prints[a.id], prints[b.id]
            if veto and names_another_event(fa, fb):
                return False
            return fa.containment(fb) >= threshold
        return same

    print("copies (same language), pair level, by CONTAINMENT; with / without the lead check")
    same = pairs(docs, cross_language=False)
    for threshold in (0.3, 0.4, 0.5, 0.6, 0.7):
        print(f"  {threshold:.1f}  with: {score_pairs(same, copy_rule(threshold, True))}")
        print(f"       without: {score_pairs(same, copy_rule(threshold, False))}")

    def translation_rule(threshold: float) -> Callable[[Doc, Doc], bool]:
        def same(a: Doc, b: Doc) -> bool:
            fa, fb = prints[a.id].features, prints[b.id].features
            return (abs(a.day - b.day) <= story_index.CROSS_DAYS
                    and similarity(fa, fb) >= threshold
                    and evidence(fa, fb) >= story_index.CROSS_EVIDENCE)
        return same

    print("translations, pair level, by CROSS_SIMILARITY (pairs also need "
          f"{story_index.CROSS_EVIDENCE} of shared names/numbers, {story_index.CROSS_DAYS} days)")
    cross = pairs(docs, cross_language=True)
    for threshold in (0.5, 0.6, 0.7, 0.8, 0.9):
        print(f"  {threshold:.1f}  {score_pairs(cross, translation_rule(threshold))}")


def testset_report() -> None:
    docs = load_documents(TESTSET)
    stories = len({d.story for d in docs})
    print(f"== test set: {len(docs)} documents, {stories} stories ({TESTSET.name})")
    shingle_lengths(docs)
    threshold_sweep(docs)
    print(f"stories built in publication order (CONTAINMENT {story_index.CONTAINMENT}, "
          f"CROSS_SIMILARITY {story_index.CROSS_SIMILARITY}):")
    print(f"  same-language pairs:  {story_scores(docs, cross_language=False)}")
    print(f"  cross-language pairs: {story_scores(docs, cross_language=True)}")
    held = load_documents(HOLDOUT)
    print(f"held-out set ({len(held)} documents written after the thresholds were fixed):")
    print(f"  same-language pairs:  {story_scores(held, cross_language=False)}")
    print(f"  cross-language pairs: {story_scores(held, cross_language=True)}")


# ---------------------------------------------------------------- part 2: synthetic load


@dataclass
class Item:
    story: int
    language: str
    day: int
    lead: list[str]  # names and numbers, as concept keys and digits
    words: list[str]


class Generator:
    ARABIC_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
    LATIN_LETTERS = "abcdefghijklmnopqrstuvwxyz"

    def __init__(self, seed: int = 7) -> None:
        self.rng = np.random.default_rng(seed)
        self.vocab = {"ar": self._vocab(self.ARABIC_LETTERS), "en": self._vocab(self.LATIN_LETTERS)}
        ranks = np.arange(1, 20_001)
        self.cdf = np.cumsum(1 / ranks**1.05)
        self.cdf /= self.cdf[-1]
        self.names = list(NAMES)

    def _vocab(self, letters: str) -> list[str]:
        lengths = self.rng.integers(2, 9, 20_000)
        return ["".join(self.rng.choice(list(letters), n)) for n in lengths]

    def _words(self, language: str, n: int) -> list[str]:
        picks = np.searchsorted(self.cdf, self.rng.random(n))
        vocab = self.vocab[language]
        return [vocab[i] for i in picks]

    def _lead(self) -> list[str]:
        names = list(self.rng.choice(self.names, 3, replace=False))
        return names + [str(n) for n in self.rng.integers(40, 20_000, 2)]

    def text(self, item: Item) -> str:
        lead = [NAMES[x][0 if item.language == "ar" else 1][0] if x in NAMES else x
                for x in item.lead]
        return " ".join(item.words[:8] + lead + item.words[8:])

    def items(self, count: int, days: int = 365) -> list[Item]:
        out: list[Item] = []
        for i in range(count):
            day = 730_000 + i * days // count
            kind = self.rng.random()
            if out:
                earlier = out[max(0, len(out) - int(self.rng.integers(1, 300)))]
            if kind < 0.70 or not out:
                language = "ar" if self.rng.random() < 0.7 else "en"
                size = int(self.rng.integers(120, 400))
                out.append(Item(i, language, day, self._lead(), self._words(language, size)))
            elif kind < 0.85:  # a report quoting 60-100% of an earlier item
                n = len(earlier.words)
                keep = int(n * self.rng.uniform(0.6, 1.0))
                start = int(self.rng.integers(0, n - keep + 1))
                added = self._words(earlier.language, int(n * self.rng.uniform(0, 0.6)))
                quoted = earlier.words[start : start + keep]
                out.append(Item(earlier.story, earlier.language, day, earlier.lead,
                                quoted[:8] + added + quoted[8:]))
            elif kind < 0.93:  # a translation: same names and numbers, no shared word
                language = "en" if earlier.language == "ar" else "ar"
                out.append(Item(earlier.story, language, earlier.day + int(self.rng.integers(0, 2)),
                                earlier.lead, self._words(language, len(earlier.words))))
            else:  # a templated statement: same words, another place and toll in the lead
                out.append(Item(i, earlier.language, day, self._lead(), list(earlier.words)))
        return out


def pair_scores(truth: list[int], predicted: list[int]) -> Scores:
    """Pairwise P/R of a clustering, counted from the contingency table (no n^2 loop)."""
    def pairs_in(counts: Iterable[int]) -> int:
        return sum(n * (n - 1) // 2 for n in counts)

    both = pairs_in(Counter(zip(truth, predicted, strict=True)).values())
    said, real = pairs_in(Counter(predicted).values()), pairs_in(Counter(truth).values())
    return Scores(both, said - both, real - both)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def assign(items: list[Item], prints: list[Fingerprint], max_items: int) -> tuple[float, Scores, int]:
    index = StoryIndex(max_items)
    predicted: list[int] = []
    started = time.perf_counter()
    for article_id, (item, print_) in enumerate(zip(items, prints, strict=True)):
        link = index.find(print_, item.day, item.language)
        predicted.append(link.story_id if link else article_id)
        index.put(Entry(article_id, predicted[-1], item.day, item.language, print_))
    elapsed = time.perf_counter() - started
    return elapsed, pair_scores([i.story for i in items], predicted), len(index)


def through_the_store(items: list[Item], texts: list[str]) -> None:
    """assign_story as the pipeline calls it: one transaction per item, on SQLite."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.db")
        upgrade(db)
        started, cpu = time.perf_counter(), time.process_time()
        for number, (item, text) in enumerate(zip(items, texts, strict=True)):
            with db.session() as session:
                when = datetime.fromordinal(item.day).replace(tzinfo=UTC)
                article = models.Article(url=f"https://bench/{number}", source_key="bench",
                                         language=item.language, text=text, content_hash="-",
                                         published_at=when)
                session.add(article)
                session.flush()
                assign_story(session, article)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        db.dispose()
    print(f"through the store (SQLite, one transaction per item, {len(items):,} items): "
          f"{elapsed / len(items) * 1e3:.2f} ms/item wall, {cpu / len(items) * 1e3:.2f} CPU")


def synthetic_report(count: int) -> None:
    print(f"== synthetic: {count:,} items over one year")
    generator = Generator()
    started = time.perf_counter()
    items = generator.items(count)
    texts = [generator.text(item) for item in items]
    print(f"generated in {time.perf_counter() - started:.1f} s "
          f"({sum(map(len, texts)) / 1e6:.0f} MB of text)")
    started, cpu = time.perf_counter(), time.process_time()
    prints = [fingerprint("", text) for text in texts]
    elapsed = time.perf_counter() - started
    print(f"fingerprint (normalise, shingle, MinHash, features): {elapsed:.1f} s wall, "
          f"{time.process_time() - cpu:.1f} s CPU, {elapsed / count * 1e3:.2f} ms/item")
    stored = sum(len(p.to_bytes()) for p in prints) / count
    print(f"stored fingerprint: {stored:.0f} bytes/item in Article.minhash")
    through_the_store(items[:2000], texts[:2000])
    del texts
    gc.collect()
    for bound in (story_index.MAX_ITEMS, count):
        before = rss_mb()
        elapsed, scores, size = assign(items, prints, bound)
        grown = rss_mb() - before
        print(f"assign with max_items={bound:,}: {elapsed:.1f} s ({elapsed / count * 1e3:.2f} "
              f"ms/item), index holds {size:,}, peak RSS +{grown:.0f} MB "
              f"(process peak {rss_mb():.0f} MB)")
        print(f"  pairwise vs generator truth: {scores}")
        gc.collect()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    args = parser.parse_args()
    testset_report()
    print()
    synthetic_report(args.items)


if __name__ == "__main__":
    main()

"""Precision and recall of story matching on a labelled set of documents.

Used by the tests (a regression gate) and by bench/stories.py (to choose thresholds).
A document set is YAML: `documents: [{id, story, source, language, published, url,
title, text}]`; two documents are the same story exactly when their labels are equal.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from monitor.stories.fingerprint import Fingerprint, fingerprint
from monitor.stories.index import Entry, StoryIndex


@dataclass(frozen=True)
class Doc:
    id: str
    story: str
    source: str
    language: str
    published: date
    url: str
    title: str
    text: str

    @property
    def day(self) -> int:
        return self.published.toordinal()


def load_documents(path: Path) -> list[Doc]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Doc(**item) for item in data["documents"]]


@dataclass(frozen=True)
class Scores:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def __str__(self) -> str:
        return (
            f"precision {self.precision:.2f} recall {self.recall:.2f} "
            f"(tp {self.tp}, fp {self.fp}, fn {self.fn})"
        )


Pair = tuple[Doc, Doc]


def pairs(docs: list[Doc], cross_language: bool) -> list[Pair]:
    return [
        (a, b)
        for a, b in itertools.combinations(docs, 2)
        if (a.language != b.language) == cross_language
    ]


def score_pairs(labelled: Iterable[Pair], predict: Callable[[Doc, Doc], bool]) -> Scores:
    tp = fp = fn = 0
    for a, b in labelled:
        same, said = a.story == b.story, predict(a, b)
        tp += same and said
        fp += said and not same
        fn += same and not said
    return Scores(tp, fp, fn)


def fingerprints(docs: list[Doc]) -> dict[str, Fingerprint]:
    return {d.id: fingerprint(d.title, d.text) for d in docs}


def assign_all(docs: list[Doc], index: StoryIndex | None = None) -> dict[str, int]:
    """Story of each document when they arrive in publication order (as assign_story does)."""
    index = index or StoryIndex()
    prints = fingerprints(docs)
    stories: dict[str, int] = {}
    for number, doc in enumerate(sorted(docs, key=lambda d: (d.published, d.id)), start=1):
        link = index.find(prints[doc.id], doc.day, doc.language)
        stories[doc.id] = link.story_id if link else number
        index.put(Entry(number, stories[doc.id], doc.day, doc.language, prints[doc.id]))
    return stories


def story_scores(docs: list[Doc], cross_language: bool) -> Scores:
    """Pairwise precision/recall of the stories assign_all builds."""
    stories = assign_all(docs)
    return score_pairs(pairs(docs, cross_language), lambda a, b: stories[a.id] == stories[b.id])

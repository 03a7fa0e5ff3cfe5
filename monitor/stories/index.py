"""In-memory index of recent fingerprints: which earlier item is a copy of a new one?

Two lookups, tried in order:
1. same text (any language, any source): MinHash LSH finds candidates whose Jaccard
   similarity may be as low as about 0.2, because a report that quotes most of a press
   release and adds as much again has a low Jaccard but a high containment; candidates are
   then kept only if the estimated containment of the smaller text in the larger one
   reaches CONTAINMENT and the names and numbers of the smaller one's lead are found in
   the larger one (templated statements share their wording, not their place and toll).
2. translation: items in another language published within CROSS_DAYS days whose names,
   numbers and dates agree (see crosslang.py).

Memory is bounded by `max_items` (oldest evicted first); copies of one statement appear
within days of each other, so a window of the last twenty thousand items loses nothing
we need. The index is not thread-safe by itself; callers hold `lock`.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

from datasketch import MinHashLSH

from monitor.stories.crosslang import WEIGHTS, evidence, similarity
from monitor.stories.fingerprint import NUM_PERM, Fingerprint

# Thresholds chosen on tests/data/stories/documents.yaml with bench/stories.py: copies
# there have an estimated containment of 0.50 and more, other pairs (after the lead check)
# 0.10 at most; translations a similarity of 0.78 and more, other pairs 0.60 at most.
CONTAINMENT = 0.4  # share of the smaller text found in the larger one (estimate: +-0.05)
MIN_SHINGLES = 8  # below this a text is too short to call a copy of anything
LEAD_MISSING = 0.25  # share of the lead's names and numbers a copy may lack
CROSS_SIMILARITY = 0.7  # weighted Dice of names, numbers and dates
CROSS_EVIDENCE = 4.0  # weight of shared names and numbers (dates left out)
CROSS_DAYS = 2
# 32 bands of 2 rows: a pair with Jaccard 0.2 becomes a candidate with p = 0.73, at 0.3
# with p = 0.95, at 0.05 (unrelated texts on one topic) with p = 0.08.
LSH_BANDS = (32, 2)
_MIN_SHARED = math.ceil(CROSS_EVIDENCE / max(WEIGHTS.values()))  # features to reach it
# About 11 KB per item, nearly all of it the LSH's 32 bucket tables (bench/stories.py):
# 20,000 items is about 230 MB and, at a few hundred items a day, months of news.
MAX_ITEMS = 20_000


@dataclass(frozen=True, eq=False)  # identity: removed from day lists by identity
class Entry:
    article_id: int
    story_id: int
    day: int  # date.toordinal() of publication (or fetch when undated)
    language: str
    fingerprint: Fingerprint


@dataclass(frozen=True)
class Link:
    """Why a new item joins an existing story."""

    story_id: int
    article_id: int
    kind: str  # "copy" or "translation"
    score: float


def names_another_event(a: Fingerprint, b: Fingerprint) -> bool:
    """True when the lead of the shorter text names places or numbers the longer one lacks."""
    short, long = (a, b) if a.size <= b.size else (b, a)
    if not short.lead:
        return False
    return len(short.lead - long.features) / len(short.lead) > LEAD_MISSING


class StoryIndex:
    def __init__(self, max_items: int = MAX_ITEMS) -> None:
        self.max_items = max_items
        self.max_id = 0  # highest article id loaded from the database
        self.lock = threading.RLock()
        # hash() of the band bytes: a smaller key than the bytes, and the index never
        # leaves this process, so the per-process salt does not matter.
        self._lsh = MinHashLSH(num_perm=NUM_PERM, params=LSH_BANDS, hashfunc=hash)
        self._entries: OrderedDict[int, Entry] = OrderedDict()
        self._days: dict[int, dict[str, list[Entry]]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, article_id: int) -> bool:
        return article_id in self._entries

    def put(self, entry: Entry) -> None:
        """Add or replace an entry, evicting the oldest beyond `max_items`."""
        self.remove(entry.article_id)
        self._entries[entry.article_id] = entry
        self._lsh.insert(entry.article_id, entry.fingerprint.minhash, check_duplication=False)
        self._days.setdefault(entry.day, {}).setdefault(entry.language, []).append(entry)
        while len(self._entries) > self.max_items:
            self.remove(next(iter(self._entries)))

    def remove(self, article_id: int) -> None:
        entry = self._entries.pop(article_id, None)
        if entry is None:
            return
        self._lsh.remove(article_id)
        by_language = self._days[entry.day]
        by_language[entry.language].remove(entry)
        if not by_language[entry.language]:
            del by_language[entry.language]
            if not by_language:
                del self._days[entry.day]

    def find(self, fingerprint: Fingerprint, day: int, language: str) -> Link | None:
        return self.find_copy(fingerprint) or self.find_translation(fingerprint, day, language)

    def find_copy(self, fingerprint: Fingerprint) -> Link | None:
        if fingerprint.size < MIN_SHINGLES:
            return None
        best: Link | None = None
        for article_id in self._lsh.query(fingerprint.minhash):
            entry = self._entries[article_id]
            if entry.fingerprint.size < MIN_SHINGLES:
                continue
            score = fingerprint.containment(entry.fingerprint)
            if (
                score >= CONTAINMENT
                and (best is None or score > best.score)
                and not names_another_event(fingerprint, entry.fingerprint)
            ):
                best = Link(entry.story_id, article_id, "copy", score)
        return best

    def find_translation(self, fingerprint: Fingerprint, day: int, language: str) -> Link | None:
        features = fingerprint.features
        best: Link | None = None
        for d in range(day - CROSS_DAYS, day + CROSS_DAYS + 1):
            for other_language, entries in self._days.get(d, {}).items():
                if other_language == language:
                    continue
                for entry in entries:
                    theirs = entry.fingerprint.features
                    if len(features & theirs) < _MIN_SHARED:  # cheap filter before weighing
                        continue
                    score = similarity(features, theirs)
                    if (
                        score >= CROSS_SIMILARITY
                        and evidence(features, theirs) >= CROSS_EVIDENCE
                        and (best is None or score > best.score)
                    ):
                        best = Link(entry.story_id, entry.article_id, "translation", score)
        return best

"""Words in normalised text: boundaries, and the Arabic proclitics a word may carry.

A "join" (see `monitor.text.arabic.Normalized.joins`) is a place where punctuation inside
a word was removed; a word may begin or end there, since the writer may simply have left
out a space (`الكيماوي.وقال`).
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet

ARTICLE = "ال"
_CONJUNCTIONS = ("", "و", "ف")
_PREPOSITIONS = ("", "ب", "ك", "ل")


def _proclitics(with_article: bool) -> frozenset[str]:
    out = set()
    article = ARTICLE if with_article else ""
    for conjunction in _CONJUNCTIONS:
        for preposition in _PREPOSITIONS:
            # ل + ال is written لل (the alef drops): للكيماوي, وللمدنيين
            prefix = conjunction + (
                "لل" if preposition == "ل" and article else preposition + article
            )
            out.add(prefix)
    return frozenset(out)


# Prefixes (normalised) accepted before an Arabic term: و ف, then ب ك ل, then ال.
PROCLITICS = _proclitics(False) | _proclitics(True)
# Prefixes that carry the article, for terms written with it (`الكيماوي` needs ال or لل).
DEFINITE_PROCLITICS = _proclitics(True)
MAX_PROCLITIC = max(map(len, PROCLITICS))

_WORD = re.compile(r"[^\W_]+")


def is_arabic_word(text: str) -> bool:
    return bool(text) and "\u0600" <= text[0] <= "\u06ff"


def starts_word(text: str, index: int, joins: AbstractSet[int]) -> bool:
    return index == 0 or index in joins or not text[index - 1].isalnum()


def ends_word(text: str, index: int, joins: AbstractSet[int]) -> bool:
    return index == len(text) or index in joins or not text[index].isalnum()


def possible_starts(text: str, index: int, joins: AbstractSet[int], limit: int) -> list[int]:
    """Where the word around `index` may begin, at most `limit` characters back, furthest
    first: its real start and any join on the way (`وبال.كيمياوي` may start at و or at ك)."""
    starts = []
    position = index
    while True:
        if starts_word(text, position, joins):
            starts.append(position)
        if position == 0 or not text[position - 1].isalnum() or index - position >= limit:
            return starts[::-1]
        position -= 1


def word_end(text: str, index: int, joins: AbstractSet[int]) -> int:
    end = index
    while not ends_word(text, end, joins):
        end += 1
    return end


def word_starts(text: str, joins: AbstractSet[int]) -> list[int]:
    """Where each word begins (for counting words between two hits)."""
    return sorted({m.start() for m in _WORD.finditer(text)} | set(joins))

"""Words in normalised text: boundaries, and the Arabic proclitics a word may carry.

A "join" (see `monitor.text.arabic.Normalized.joins`) is a place where punctuation inside
a word was removed; a word may begin or end there, since the writer may simply have left
out a space (`الكيماوي.وقال`).
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from functools import lru_cache

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

_WORD_START = re.compile(r"(?<![^\W_])[^\W_]")  # the look-behind sees before `pos` too
_ALNUM_RUN = re.compile(r"[^\W_]*")  # `\w` is str.isalnum() and "_"


def is_arabic_word(text: str) -> bool:
    return bool(text) and "\u0600" <= text[0] <= "\u06ff"


def starts_word(text: str, index: int, joins: AbstractSet[int]) -> bool:
    return index == 0 or index in joins or not text[index - 1].isalnum()


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


def proclitic_before(text: str, index: int) -> str | None:
    """In text without joins: the proclitic from the start of the word around `index` up
    to `index`, or None if what stands there is not one (what `possible_starts` finds,
    for the case that occurs thousands of times per article, decided once per spelling)."""
    if index > MAX_PROCLITIC:
        return _proclitic_ending(text[index - MAX_PROCLITIC - 1 : index])
    return _proclitic_ending(" " + text[:index])  # the text's start is a word start


@lru_cache(maxsize=1 << 16)
def _proclitic_ending(window: str) -> str | None:
    start = len(window)
    while window[start - 1].isalnum() and len(window) - start < MAX_PROCLITIC:
        start -= 1
    if window[start - 1].isalnum():
        return None
    prefix = window[start:]
    return prefix if prefix in PROCLITICS else None


def word_end(text: str, index: int, joins: AbstractSet[int]) -> int:
    """Where the word running through `index` ends (at a join, if one comes first)."""
    end = _ALNUM_RUN.match(text, index).end()  # type: ignore[union-attr]  # `*` always matches
    return min((j for j in joins if index <= j < end), default=end)


def words_from(text: str, joins: AbstractSet[int], start: int, end: int, limit: int) -> int:
    """How many words begin in text[start:end] (a join begins one too), counted up to
    `limit` + 1: a `near` clause asks about the gap between two hits, so only that gap
    is scanned, and only as far as the answer needs."""
    found = set()
    for word in _WORD_START.finditer(text, start, end):
        found.add(word.start())
        if len(found) > limit:
            return len(found)
    found.update(j for j in joins if start <= j < end)
    return len(found)

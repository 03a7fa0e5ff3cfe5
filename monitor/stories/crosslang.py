"""Language-free evidence that an English text translates an Arabic one.

A translation shares almost no words with its original, but it keeps the numbers, the
dates and the names. We reduce a text to a set of such features (names through the
gazetteer, so إدلب and Idlib become one feature) and compare two texts by a weighted Dice
coefficient. Features are 32-bit ints (kind in the top two bits) so they fit in the stored
fingerprint.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache

from monitor.stories.gazetteer import MONTHS, NAMES
from monitor.text.arabic import normalize_arabic

NAME, NUMBER, DATE = 0, 1, 2
# Day numbers, years and months are shared by every text of one day: weak evidence.
WEIGHTS = {NAME: 1.0, NUMBER: 2.0, DATE: 0.5}

_NUMBER = re.compile(r"(?<![\w.,])\d{1,3}(?:[,٬]\d{3})+(?!\d)|\d+")
_ARABIC_WORD = re.compile(r"[\u0621-\u064a\u066e-\u06d3]+")
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+")
# The normaliser joins letters across inserted punctuation (an anti-evasion rule), which
# would glue "آذار/مارس" into one word; for names we split there first.
_SEPARATOR = re.compile(r"[/|\\]")
# Proclitics as they attach to a noun: conjunction, preposition, article (normalised).
_PROCLITICS = frozenset(
    {c + p + a for c in ("", "و", "ف") for p in ("", "ب", "ل", "ك") for a in ("", "ال")}
    | {"لل", "ولل", "فلل"}
) - {""}
_LONGEST_PROCLITIC = max(map(len, _PROCLITICS))


def feature_id(kind: int, value: str) -> int:
    return (kind << 30) | (zlib.crc32(value.encode()) & 0x3FFFFFFF)


def kind_of(feature: int) -> int:
    return feature >> 30


@lru_cache(maxsize=1 << 16)
def _variants(token: str) -> frozenset[str]:
    """The token and the token without each proclitic it may carry."""
    if not _ARABIC_WORD.match(token):
        return frozenset((token, token.lower()))
    stripped = (
        token[k:]
        for k in range(1, min(_LONGEST_PROCLITIC, len(token) - 2) + 1)
        if token[:k] in _PROCLITICS
    )
    return frozenset((token, *stripped))


Entry = tuple[tuple[str, ...], int]


@cache
def _entries() -> dict[str, list[Entry]]:
    """First word -> (all words, feature) for every form in the gazetteer."""
    table: dict[str, list[Entry]] = {}
    for kind, concepts in ((NAME, NAMES), (DATE, MONTHS)):
        prefix = "month:" if kind == DATE else ""
        for concept, (arabic, english) in concepts.items():
            feature = feature_id(kind, prefix + concept)
            forms = [_ARABIC_WORD.findall(normalize_arabic(f)) for f in arabic]
            forms += [_LATIN_WORD.findall(f) for f in english]
            for words in forms:
                table.setdefault(words[0], []).append((tuple(words), feature))
    return table


@lru_cache(maxsize=1 << 16)
def _first_words(token: str) -> tuple[str, ...]:
    """The gazetteer words this token may be (most tokens: none)."""
    return tuple(_variants(token) & _entries().keys())


def _names(tokens: list[str]) -> Iterator[int]:
    table = _entries()
    for i, token in enumerate(tokens):
        for variant in _first_words(token):
            for words, feature in table[variant]:
                following = tokens[i + 1 : i + len(words)]
                if len(following) == len(words) - 1 and all(
                    w in _variants(t) for w, t in zip(words[1:], following, strict=True)
                ):
                    yield feature


def _numbers(normalised: str) -> Iterator[int]:
    for raw in _NUMBER.findall(normalised):
        digits = re.sub(r"\D", "", raw).lstrip("0")
        if len(digits) < 2:  # one-digit numbers are usually spelt out in English
            continue
        value = int(digits)
        is_date = value <= 31 or 1990 <= value <= 2039
        yield feature_id(DATE if is_date else NUMBER, digits)


def features(text: str) -> frozenset[int]:
    normalised = normalize_arabic(_SEPARATOR.sub(" ", text))
    arabic = _ARABIC_WORD.findall(normalised)
    latin = _LATIN_WORD.findall(text)
    return frozenset([*_names(arabic), *_names(latin), *_numbers(normalised)])


def weight(items: Iterable[int]) -> float:
    return sum(WEIGHTS[kind_of(f)] for f in items)


def similarity(a: frozenset[int], b: frozenset[int]) -> float:
    """Weighted Dice coefficient of two feature sets (1.0: the same evidence)."""
    total = weight(a) + weight(b)
    return 2 * weight(a & b) / total if total else 0.0


def evidence(a: frozenset[int], b: frozenset[int]) -> float:
    """Weight of the shared names and numbers, dates left out."""
    return weight(f for f in a & b if kind_of(f) != DATE)

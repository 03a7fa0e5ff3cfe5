"""Arabic and English text normalisation for matching and duplicate detection (pure functions).

Writers dodge keyword filters by breaking words (`كيمـ.يائية`: tatweel, a dot, zero-width
characters) and the same word has several spellings (أ/إ/آ/ا, ى/ي, ة/ه). The normalised
form folds all of that away, and an `OffsetMap` remembers where every normalised character
came from so a hit can be shown exactly as it was written.

Steps, in order:
1. per character: compatibility folding as in NFKC (done as NFKD, so the marks it splits
   off are dropped too), case-folding, removal of diacritics, tatweel, zero-width and
   direction marks and soft hyphens; alef/hamza forms to ا (ؤ→و, ئ→ي),
   ى→ي, ة→ه, Persian yeh/keheh to Arabic, any decimal digit to ASCII, any space to " ";
2. English possessive and plural endings (`Syria's` → `syria`, `weapons` → `weapon`);
3. punctuation inserted between two letters of a word is removed (`أسـ.لحة` → `اسلحه`)
   and runs of spaces become one; each removal point is recorded as a "join", a place a
   word may also begin or end (`الكيماوي.وقال` is two words written without a space).
"""

from __future__ import annotations

import os.path
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

TATWEEL = "\u0640"
_REMOVED_CATEGORIES = frozenset({"Mn", "Me", "Cf"})
_LETTER_MAP = {
    "\u0671": "ا",  # alef wasla (أ, إ, آ lose their hamza/madda mark under NFKD)
    "ى": "ي",
    "ة": "ه",
    "\u06cc": "ي",  # Persian yeh
    "\u06a9": "ك",  # keheh
    "\u2018": "'",
    "\u2019": "'",
    "\u02bc": "'",
}
# Spelling variants common enough in Arabic text to be replaced by str.replace (C speed);
# everything rarer goes through the per-character table below.
_FREQUENT = (
    ("أ", "ا"),
    ("إ", "ا"),
    ("آ", "ا"),
    ("ٱ", "ا"),
    ("ى", "ي"),
    ("ة", "ه"),
    ("ؤ", "و"),
    ("ئ", "ي"),
    *((chr(0x0660 + d), str(d)) for d in range(10)),
    *((chr(0x06F0 + d), str(d)) for d in range(10)),
)
# Code points outside the BMP that fold to something else (mathematical letters that spell
# ASCII words, enclosed letters, invisible tag characters and variation selectors).
_ASTRAL_RANGES = ((0x1D400, 0x1D800), (0x1F100, 0x1F200), (0xE0000, 0xE01F0))


def _is_removed(char: str) -> bool:
    category = unicodedata.category(char)
    return (
        category in _REMOVED_CATEGORIES
        or char == TATWEEL
        or (category == "Cc" and not char.isspace())
    )


def _fold_char(char: str) -> str:
    """How one character folds; the tables that the fast path uses are built from this."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", char).casefold())
    out = []
    for c in folded:
        if _is_removed(c):
            continue
        if c.isspace():
            out.append(" ")
        elif unicodedata.category(c) == "Nd":
            out.append(str(unicodedata.digit(c)))
        else:
            out.append(_LETTER_MAP.get(c, c))
    return "".join(out)


def _code_points() -> Iterator[int]:
    yield from (cp for cp in range(0x10000) if not 0xD800 <= cp < 0xE000)
    for start, stop in _ASTRAL_RANGES:
        yield from range(start, stop)


def _build_tables() -> tuple[dict[int, str], dict[int, str]]:
    """(rest, irregular): the rare-character table, and every character whose folded form
    is not exactly one character long (these move offsets, so the map must record them)."""
    frequent = dict(_FREQUENT)
    rest: dict[int, str] = {}
    for cp in _code_points():
        char = chr(cp)
        if char not in frequent and (folded := _fold_char(char)) != char:
            rest[cp] = folded
    irregular = {}
    for cp in _code_points():
        folded = "".join(rest.get(ord(c), c) for c in _replace_frequent(chr(cp).casefold()))
        if len(folded) != 1:
            irregular[cp] = folded
    return rest, irregular


def _replace_frequent(text: str) -> str:
    for old, new in _FREQUENT:
        if old in text:
            text = text.replace(old, new)
    return text


def _char_class(code_points: Iterable[int]) -> str:
    """A regex class written as ranges: `re` scans a long list of single characters slowly."""
    ranges: list[list[int]] = []
    for cp in sorted(code_points):
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    body = "".join(
        re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in ranges
    )
    return f"[{body}]"


def _runs_of(code_points: Iterable[int]) -> re.Pattern[str]:
    """Runs of the given characters, or of any astral character: one astral range keeps
    the class a bitmap (many astral entries make `re` test a list, 3x slower). Written
    `[c][c]*` rather than `[c]+` so `re` can skip ahead to the first candidate."""
    char = _char_class(cp for cp in code_points if cp < 0x10000)[:-1] + "\U00010000-\U0010ffff]"
    return re.compile(char + char + "*")


_REST, _IRREGULAR = _build_tables()
_REST_RUNS = _runs_of(_REST)
_IRREGULAR_RUNS = _runs_of(_IRREGULAR)
# Marks and invisible characters are common (tanween in أيضاً, shadda): one regex scan finds
# them to cut out, leaving the per-run Python callback to rarer substitutions.
_REMOVABLE = {cp for cp, folded in _REST.items() if not folded and cp < 0x10000}
_REMOVABLE_RUNS = re.compile(_char_class(_REMOVABLE) * 2 + "*")
_SUBSTITUTE_RUNS = _runs_of(_REST.keys() - _REMOVABLE)
# A possessive, bounded letter run: a bare `[a-z]+` here backtracks quadratically on a long
# word (50 kB of "a" took 18 s); words longer than the bound are only seen by their tail.
_ENGLISH_ENDING = re.compile(r"[a-z][a-z]{0,40}+(?:(?<=s)'?|'s)(?![a-z])")
_PUNCTUATION = _char_class(cp for cp in range(0x10000) if unicodedata.category(chr(cp))[0] in "PS")
_INSERTED_PUNCTUATION = re.compile(_PUNCTUATION * 2 + "{0,2}(?=[^\\W\\d_])")
_EXTRA_SPACES = re.compile("  +")


Edit = tuple[int, int, int]  # (start, end, length of the replacement) in the input string


class OffsetMap:
    """Maps an index in an edited string back to the index in the string it was made from.

    Stored as pieces, so a long text with few edits costs a few integers, not one per char.
    """

    __slots__ = ("_at", "_flat", "_source", "length")

    def __init__(self, edits: Iterable[Edit], source_length: int) -> None:
        at, source, flat = [0], [0], [False]
        shift = 0
        for start, end, new_length in edits:
            if new_length:  # every replacement character points at the start of what it replaced
                at.append(start + shift)
                source.append(start)
                flat.append(True)
            shift += new_length - (end - start)
            at.append(end + shift)
            source.append(end)
            flat.append(False)
        self._at, self._source, self._flat = at, source, flat
        self.length = source_length + shift

    def __call__(self, index: int) -> int:
        piece = bisect_right(self._at, index) - 1
        if self._flat[piece]:
            return self._source[piece]
        return self._source[piece] + index - self._at[piece]

    def as_list(self) -> list[int]:
        out: list[int] = []
        bounds = [*self._at[1:], self.length]
        for at, end, source, flat in zip(self._at, bounds, self._source, self._flat, strict=True):
            out.extend([source] * (end - at) if flat else range(source, source + end - at))
        return out


@dataclass(frozen=True)
class Normalized:
    """A normalised text, how to find each of its characters in the original, and the joins."""

    text: str
    original: str
    maps: tuple[OffsetMap, ...]  # applied last to first
    joins: frozenset[int]  # indexes in `text` where inserted punctuation was removed

    def source_index(self, index: int) -> int:
        for offsets in reversed(self.maps):
            index = offsets(index)
        return index

    @cached_property
    def index_map(self) -> list[int]:
        composed = list(range(len(self.text)))
        for offsets in reversed(self.maps):
            table = offsets.as_list()
            composed = [table[i] for i in composed]
        return composed


def _fold_characters(text: str) -> tuple[str, tuple[OffsetMap, ...]]:
    cased = text.casefold()
    folded = _replace_frequent(cased)
    if len(cased) != len(text):  # case-folding grew a character (ß → ss): find offsets apart
        changes = _length_changes(text, _IRREGULAR_RUNS, _IRREGULAR)
        folded = _REST_RUNS.sub(lambda run: run.group().translate(_REST), folded)
        return folded, (OffsetMap(changes, len(text)),)
    removed = [(m.start(), m.end(), 0) for m in _REMOVABLE_RUNS.finditer(folded)]
    if removed:
        folded = _cut(folded, removed)
    edits: list[Edit] = []

    def fold_run(run: re.Match[str]) -> str:
        out = run.group().translate(_REST)
        if len(out) != len(run.group()):
            edits.extend(_length_changes(run.group(), None, _REST, run.start()))
        return out

    folded_length = len(folded)
    folded = _SUBSTITUTE_RUNS.sub(fold_run, folded)
    return folded, (OffsetMap(removed, len(text)), OffsetMap(edits, folded_length))


def _cut(text: str, edits: list[Edit]) -> str:
    """`text` without the spans of `edits` (faster than a second regex pass)."""
    kept, last = [], 0
    for start, end, _ in edits:
        kept.append(text[last:start])
        last = end
    kept.append(text[last:])
    return "".join(kept)


def _length_changes(
    text: str, runs: re.Pattern[str] | None, table: dict[int, str], offset: int = 0
) -> list[Edit]:
    """Edits for the characters of `text` (or of its `runs`) that `table` lengthens or drops."""
    spans = [(m.start(), m.group()) for m in runs.finditer(text)] if runs else [(0, text)]
    return [
        (offset + i, offset + i + 1, len(table[ord(c)]))
        for start, chunk in spans
        for i, c in enumerate(chunk, start)
        if ord(c) in table and len(table[ord(c)]) != 1
    ]


def _plural_to_singular(word: str) -> str:
    """A deliberately small English stemmer: the same rule runs on rule terms and texts."""
    if len(word) < 4 or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zzes")):
        return word[:-2]
    return word[:-1]


def _english_endings(text: str) -> tuple[str, OffsetMap]:
    if "s" not in text:  # most Arabic articles: skip the scan
        return text, OffsetMap((), len(text))
    parts: list[str] = []
    edits: list[Edit] = []
    last = 0
    for m in _ENGLISH_ENDING.finditer(text):
        word = m.group()
        if word.endswith("'s"):
            stem = word[:-2]
        else:
            stem = _plural_to_singular(word.removesuffix("'"))
        if stem == word:
            continue
        keep = len(os.path.commonprefix([stem, word]))
        parts.append(text[last : m.start() + keep])
        parts.append(stem[keep:])
        edits.append((m.start() + keep, m.end(), len(stem) - keep))
        last = m.end()
    if not edits:
        return text, OffsetMap((), len(text))
    parts.append(text[last:])
    return "".join(parts), OffsetMap(edits, len(text))


def _joins_and_spaces(text: str) -> tuple[str, OffsetMap, frozenset[int]]:
    removals = [
        (m.start(), m.end(), True)
        for m in _INSERTED_PUNCTUATION.finditer(text)
        if m.start() and text[m.start() - 1].isalpha()
    ]
    if "  " in text:
        removals += [(m.start() + 1, m.end(), False) for m in _EXTRA_SPACES.finditer(text)]
        removals.sort()
    if not removals:
        return text, OffsetMap((), len(text)), frozenset()
    edits = [(start, end, 0) for start, end, _ in removals]
    joins: set[int] = set()
    removed = 0
    for start, end, is_join in removals:
        if is_join:
            joins.add(start - removed)
        removed += end - start
    return _cut(text, edits), OffsetMap(edits, len(text)), frozenset(joins)


def normalize(text: str) -> Normalized:
    """The full normalisation, with everything needed to map results back to `text`."""
    folded, fold_maps = _fold_characters(text)
    singular, english_map = _english_endings(folded)
    joined, join_map, joins = _joins_and_spaces(singular)
    return Normalized(joined, text, (*fold_maps, english_map, join_map), joins)


def normalize_arabic(text: str) -> str:
    """Normalised text for matching and duplicate detection (Arabic and English)."""
    return normalize(text).text


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """Normalised text and, for each of its characters, the index it came from in `text`."""
    result = normalize(text)
    return result.text, result.index_map

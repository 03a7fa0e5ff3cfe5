"""Arabic and English text normalisation for matching and duplicate detection (pure functions).

Writers dodge keyword filters by breaking words (`كيمـ.يائية`: tatweel, a dot, zero-width
characters; `ك ي م ي ا ئ ي ة`: letters spaced out; emoji inside a word; Cyrillic `с` in
`сhlorine`) and the same word has several spellings (أ/إ/آ/ا, ى/ي, ة/ه, Persian ک ی,
Urdu ہ ے). The normalised form folds all of that away, and `OffsetMap`s remember where every
normalised character came from so a hit can be shown exactly as it was written.

Stages:
1. characters: compatibility folding as in NFKC (done as NFKD, so the marks it splits off
   are dropped too) where it is safe (a symbol never becomes letters: ™ stays a symbol,
   ⓐ is a), case-folding of non-ASCII letters, removal of diacritics, tatweel, zero-width
   and direction marks and soft hyphens; alef/hamza forms to ا (ؤ→و, ئ→ي), ى→ي, ة→ه,
   Persian/Urdu letter variants, any decimal digit to ASCII, any space to " ";
   Latin/Cyrillic/Greek look-alikes inside a Latin word to the Latin letter;
2. words: up to 16 punctuation marks, symbols or emoji pushed between two letters are
   removed (`أسـ.لحة` → `اسلحه`) and each removal point is recorded as a "join", a place a
   word may also begin or end (`الكيماوي.وقال` is two words written without a space);
   letters spaced out one by one (`ك ي م ي ا ئ ي ة`, `s-a-r-i-n`, at least three of them,
   optionally after a proclitic, up to 16 separators apart) are glued into one word; runs of spaces
   become one; `weapons.The` (lower case, sentence mark, capital) stays two words;
3. English: every Latin word is lower-cased and reduced to its Snowball (Porter 2) stem,
   so `chemical weapons` finds "Chemical Weapon's" and `attack` finds "attacked".

Speed (every article goes through this): no stage loops over characters in Python, and
none scans the text with a regex character class (`re` tests a class at ~5 ns a character,
each such pass a third of the time the whole Aho-Corasick match takes). One pass of our C
module over the text's code points gives, for every character, what it folds to and its
word category (`monitor.text.characters`); stage 1 folds and drops in that pass, and
stages 2 and 3 find their few places in the category string, with C scans or with bytes
patterns that start with a literal (which `re` skips ahead to), or skip entirely when
there is nothing to do. Python runs per *edit*, and edits are rare. Texts with a
character whose fold depends on its neighbours (look-alikes, expansions such as ﻻ) take
the careful path of stage 1, `str.replace` and regex passes: as exact, and slower.
"""

from __future__ import annotations

import os.path
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import accumulate, islice, pairwise
from operator import itemgetter
from typing import TypeVar

import Stemmer

from monitor.text import characters as chars
from monitor.text.characters import (
    FOLDS,
    FREQUENT,
    LETTER,
    LOOKALIKES,
    MARK_CLASS,
    char_class,
    with_astral,
)
from monitor.text.tokens import PROCLITICS


def _replace_frequent(text: str) -> str:
    for old, new in FREQUENT:
        if old in text:
            text = text.replace(old, new)
    return text


def _runs_of(code_points: Iterable[int]) -> re.Pattern[str]:
    """Runs of the given characters, or of any astral character. Written `[c][c]*`
    rather than `[c]+` so `re` can skip ahead to the first candidate."""
    char = with_astral(char_class(cp for cp in code_points if cp < 0x10000))
    return re.compile(char + char + "*")


# The careful path of stage 1: marks and invisible characters are cut out by one regex
# scan, then the per-run Python callback folds the rest.
_REMOVABLE = {cp for cp, folded in FOLDS.items() if not folded and cp < 0x10000}
_REMOVABLE_RUNS = re.compile(char_class(_REMOVABLE) * 2 + "*")
_SUBSTITUTE_RUNS = _runs_of((FOLDS.keys() - _REMOVABLE) | LOOKALIKES.keys())
_LETTERS = re.compile(LETTER + "+")

_SEPARATOR = MARK_CLASS[:-1] + " ]"  # a space, punctuation, a symbol or an emoji
# A whole spaced-out run from its start: a head of one to four letters, then single letters
# each after one to 16 separators (a dodge on top of a hyphen: `z.-.💥.Z`).
_SPACED_RUN = re.compile(f"({LETTER}{{1,4}})((?:{_SEPARATOR}{{1,16}}{LETTER}(?!{LETTER}))+)")
_SEPARATOR_RUNS = re.compile(_SEPARATOR + "+")
_EXTRA_SPACES = re.compile("  +")
# `weapons.The`: a sentence end without its space, two words, not one dodged word
_SENTENCE_END = re.compile(r"[a-z]{2}[.!?;:,][A-Z][a-z]{2}")

# Bytes patterns over word categories (a: ASCII letter, l: other letter, M: mark,
# X: both), each starting with a literal so `re` skips ahead at memchr speed.
# Punctuation, symbols or emoji inside a word: one to 16 marks between two letters (in C,
# `characters.marks_between_letters`, unless an astral letter is both).
_JOIN_WITH_BOTH = re.compile(rb"[MX](?<=[alX][MX])[MX]{0,15}(?=[alX])")
# a one-letter word after separators with a space among them (a spaced-out candidate)
_SPACED_LETTER = re.compile(rb" [ M]{0,15}[al](?![al])")
_SPACED_LETTER_WITH_BOTH = re.compile(rb" [ MX]{0,15}[alX](?![alX])")
_LATIN_WORD = re.compile("([A-Za-z]+)")  # captured: split keeps the words
_STEMMER = Stemmer.Stemmer("english")
MAX_STEMMED = 40  # longer "words" (URLs glued by joins, junk) are only lower-cased


Edit = tuple[int, int, int]  # (start, end, length of the replacement) in the input string
_Text = TypeVar("_Text", str, bytes)


class OffsetMap:
    """Maps an index in an edited string back to the index in the string it was made from.

    Stored as pieces, so a long text with few edits costs a few integers, not one per char;
    built on first use, since only texts with a hit are ever mapped back.
    """

    __slots__ = ("_edits", "_pieces", "_source_length")

    def __init__(self, edits: Iterable[Edit], source_length: int) -> None:
        self._edits = edits
        self._source_length = source_length
        self._pieces: tuple[list[int], list[int], list[bool], int] | None = None

    def _built(self) -> tuple[list[int], list[int], list[bool], int]:
        if self._pieces is None:
            at, source, flat = [0], [0], [False]
            shift = 0
            for start, end, new_length in self._edits:
                if new_length:  # every replacement character points at the start of what it replaced
                    at.append(start + shift)
                    source.append(start)
                    flat.append(True)
                shift += new_length - (end - start)
                at.append(end + shift)
                source.append(end)
                flat.append(False)
            self._pieces = (at, source, flat, self._source_length + shift)
        return self._pieces

    def __call__(self, index: int) -> int:
        at, source, flat, _ = self._built()
        piece = bisect_right(at, index) - 1
        if flat[piece]:
            return source[piece]
        return source[piece] + index - at[piece]

    def as_list(self) -> list[int]:
        at_, source_, flat_, length = self._built()
        out: list[int] = []
        bounds = [*at_[1:], length]
        for at, end, source, flat in zip(at_, bounds, source_, flat_, strict=True):
            out.extend([source] * (end - at) if flat else range(source, source + end - at))
        return out


class DropMap:
    """Maps an index in a text whose DROPPED characters were cut out back to the text they
    were cut from, by the drops themselves (found on first use, in C, from the
    categories before the cut): a text has a few dozen drops (tanween, shadda) and
    thousands of kept characters, and only a hit's ends are ever mapped."""

    __slots__ = ("_before_drop", "_kept_before")

    def __init__(self, before_drop: bytes) -> None:
        self._before_drop = before_drop
        self._kept_before: list[int] | None = None

    def _drops(self) -> list[int]:
        """For each drop, how many kept characters come before it (non-decreasing)."""
        if self._kept_before is None:
            self._kept_before = chars.kept_before_drops(self._before_drop)
        return self._kept_before

    def __call__(self, index: int) -> int:
        # the kept character `index` comes after every drop with at most `index` before it
        return index + bisect_right(self._drops(), index)

    def as_list(self) -> list[int]:
        drops = {kept + k for k, kept in enumerate(self._drops())}  # where each drop stood
        return [i for i in range(len(self._before_drop)) if i not in drops]


@dataclass(frozen=True)
class Normalized:
    """A normalised text, how to find each of its characters in the original, and the joins."""

    text: str
    original: str
    maps: tuple[OffsetMap | DropMap, ...]  # applied last to first
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


def _fold(text: str) -> tuple[str, tuple[OffsetMap | DropMap, ...], bytes]:
    """Stage 1, and the word categories of its result: one table look-up for nearly every
    text (`characters.fold_one_to_one`), the careful path for the rest."""
    quick = chars.fold_one_to_one(text)
    if quick is None:
        folded, maps = _fold_carefully(text)
        return folded, maps, chars.word_categories(folded)
    folded, categories, before_drop = quick
    return folded, () if before_drop is None else (DropMap(before_drop),), categories


def _fold_carefully(text: str) -> tuple[str, tuple[OffsetMap, ...]]:
    """Stage 1 for any text: the frequent letters replaced, marks cut, the rest folded
    run by run (lengths may change, look-alikes depend on their word)."""
    folded = _replace_frequent(text)  # 1:1 replacements: no offsets move
    removed = [(m.start(), m.end(), 0) for m in _REMOVABLE_RUNS.finditer(folded)]
    if removed:
        folded = _cut(folded, removed)
    edits: list[Edit] = []

    def fold_run(run: re.Match[str]) -> str:
        chunk = run.group()
        out = chunk.translate(FOLDS)
        if len(out) != len(chunk):
            edits.extend(_length_changes(chunk, FOLDS, run.start()))
        elif any(ord(c) in LOOKALIKES for c in out):  # 1:1 here, so segments line up
            for letters in _LETTERS.finditer(out):
                if _in_latin_word(run.string, run.start() + letters.start(), run.start() + letters.end()):
                    a, b = letters.span()
                    out = out[:a] + out[a:b].translate(LOOKALIKES) + out[b:]
        return out

    folded_length = len(folded)
    folded = _SUBSTITUTE_RUNS.sub(fold_run, folded)
    return folded, (OffsetMap(removed, len(text)), OffsetMap(edits, folded_length))


def _in_latin_word(text: str, start: int, end: int) -> bool:
    """Whether look-alikes at text[start:end] sit in a Latin word: one with an ASCII letter,
    or one made only of look-alikes (`ѕаrіn`); `Сирия` (и, я have no Latin twin) is not."""
    while start and text[start - 1].isalpha():
        start -= 1
    while end < len(text) and text[end].isalpha():
        end += 1
    word = text[start:end].translate(FOLDS)
    return any(c.isascii() for c in word) or all(ord(c) in LOOKALIKES for c in word)


def _cut(text: _Text, edits: list[Edit]) -> _Text:
    """`text` (or its categories) without the spans of `edits`."""
    kept, last = [], 0
    for start, end, _ in edits:
        kept.append(text[last:start])
        last = end
    kept.append(text[last:])
    return text[:0].join(kept)


def _length_changes(text: str, table: dict[int, str], offset: int) -> list[Edit]:
    """Edits for the characters of `text` that `table` lengthens or drops."""
    return [
        (offset + i, offset + i + 1, len(table[ord(c)]))
        for i, c in enumerate(text)
        if ord(c) in table and len(table[ord(c)]) != 1
    ]


def _word_edits(text: str, categories: bytes) -> tuple[str, OffsetMap, frozenset[int], bytes]:
    """Stage 2: glue dodged words, collapse spaces; the joins are in the result's indexes."""
    edits = _spaced_out(text, categories)
    glued_until = edits[-1][1] if edits else -1
    join_at: set[int] = set()
    for start, end in _joins(text, categories):
        if not _inside(edits, start):
            edits.append((start, end, 0))
            join_at.add(start)
    if chars.has_double_space(categories):
        edits += [
            (m.start() + 1, m.end(), 0)
            for m in _EXTRA_SPACES.finditer(text)
            if m.start() > glued_until or not _inside(edits, m.start() + 1)
        ]
    if not edits:
        return text, OffsetMap((), len(text)), frozenset(), categories
    edits.sort()
    joins, removed = set(), 0
    for start, end, _ in edits:
        if start in join_at:
            joins.add(start - removed)
        removed += end - start
    return _cut(text, edits), OffsetMap(edits, len(text)), frozenset(joins), _cut(categories, edits)


def _joins(text: str, categories: bytes) -> Iterator[tuple[int, int]]:
    """Punctuation, symbols or emoji pushed inside a word, except a sentence end written
    without its space (`weapons.The`: two words, not one dodged word)."""
    if chars.BOTH in categories:  # an astral letter is a letter and a mark to `re`
        runs = [m.span() for m in _JOIN_WITH_BOTH.finditer(categories)]
    else:
        runs = chars.marks_between_letters(categories)
    for start, end in runs:
        if not (end - start == 1 and start >= 2 and _SENTENCE_END.match(text, start - 2)):
            yield start, end


def _spaced_out(text: str, categories: bytes) -> list[Edit]:
    """The separators to remove inside runs of letters written one by one: three single
    letters at least, or three after a head of two to four letters (a proclitic). A run
    has two one-letter words 2 to 17 characters apart (its single letters, after 1 to 16
    separators), and ordinary text nearly never does: only around such pairs are the
    candidates looked for. A one-letter word with no other near it (a lone "a", a lone
    و) glues nothing, and the run tried from it ends before any later candidate, so
    skipping it changes nothing."""
    if chars.BOTH in categories:  # an astral letter is a letter and a separator to `re`
        return _glue(text, (m.span() for m in _SPACED_LETTER_WITH_BOTH.finditer(categories)))
    alone = chars.one_letter_words(categories)
    paired = {p for pair in pairwise(alone) if pair[1] - pair[0] <= 17 for p in pair}
    if not paired:
        return []  # most texts
    candidates = (
        candidate.span()
        for start, end in _windows(paired)
        for candidate in _SPACED_LETTER.finditer(categories, start, end)
        if candidate.end() - 1 in paired
    )
    return _glue(text, candidates)


def _windows(letters: Iterable[int]) -> list[list[int]]:
    """Where the candidate for each of these one-letter words may stand (from the space
    up to 16 separators before it), overlapping stretches merged."""
    windows: list[list[int]] = []
    for letter in sorted(letters):
        if windows and letter - 16 <= windows[-1][1]:
            windows[-1][1] = letter + 1
        else:
            windows.append([max(0, letter - 16), letter + 1])
    return windows


def _glue(text: str, candidates: Iterable[tuple[int, int]]) -> list[Edit]:
    """The edits of the runs tried from each candidate (the span of a one-letter word
    and the separators before it) in turn."""
    edits: list[Edit] = []
    covered = -1
    for start, end in candidates:
        if start < covered:
            continue
        run = _SPACED_RUN.match(text, _head(text, end - 1))
        if run is None:
            continue
        singles = sum(1 for c in run.group(2) if c.isalpha())
        if singles >= (2 if len(run.group(1)) == 1 else 3):
            offset = run.start(2)
            edits += [
                (offset + m.start(), offset + m.end(), 0)
                for m in _SEPARATOR_RUNS.finditer(run.group(2))
            ]
        covered = run.end()
    return edits


def _head(text: str, letter: int) -> int:
    """Where a spaced-out run through the one-letter word at `letter` starts: back over
    the one-letter words before it, and an Arabic proclitic before those (وال ك ي م)."""
    head = letter
    while True:
        end = head
        while end and not text[end - 1].isalnum() and head - end < 16:
            end -= 1
        start = end
        while start and text[start - 1].isalpha():
            start -= 1
        if start == end or (start and text[start - 1].isalnum()) or start == head:
            return head
        if end - start == 1:
            head = start
            continue
        return start if text[start:end] in PROCLITICS else head


def _inside(edits: list[Edit], index: int) -> bool:
    i = bisect_right(edits, (index, len(edits) and 1 << 62)) - 1
    return i >= 0 and edits[i][0] <= index < edits[i][1]


def _stem_english(
    text: str, joins: frozenset[int], categories: bytes
) -> tuple[str, OffsetMap, frozenset[int]]:
    """Stage 3: Latin words lower-cased and stemmed, each spelling stemmed once
    (`_english_spelling` remembers). The edits record where a tail changed, so every kept
    letter still maps to itself."""
    if chars.ASCII_LETTER not in categories:
        return text, OffsetMap((), len(text)), joins
    if categories.count(chars.ASCII_LETTER) * 4 > len(categories):
        return _stem_english_text(text, joins)
    pieces: list[str] = []
    edits: list[Edit] = []
    last = 0
    for start, end in chars.latin_runs(categories):  # a few words in an Arabic text
        stem, keep, tail = _english_spelling(text[start:end])
        pieces += (text[last:start], stem)
        if tail >= 0:
            edits.append((start + keep, end, tail))
        last = end
    pieces.append(text[last:])
    return "".join(pieces), OffsetMap(edits, len(text)), _shift(joins, edits)


def _stem_english_text(text: str, joins: frozenset[int]) -> tuple[str, OffsetMap, frozenset[int]]:
    """Stage 3 for an English text: the words replaced in one batch, and the edits listed
    (a Python step per word) only when the map is used or joins must move."""
    pieces = _LATIN_WORD.split(text)  # one C pass beats a step per word here
    words = pieces[1::2]
    spellings = list(map(_english_spelling, words))
    ends = list(islice(accumulate(map(len, pieces)), 1, None, 2))  # each word's end in `text`
    edits: Iterable[Edit] = (
        (end - len(word) + keep, end, tail)
        for end, word, (_, keep, tail) in zip(ends, words, spellings, strict=True)
        if tail >= 0
    )
    if joins:
        edits = list(edits)
        joins = _shift(joins, edits)
    pieces[1::2] = map(itemgetter(0), spellings)
    return "".join(pieces), OffsetMap(edits, len(text)), joins


@lru_cache(maxsize=1 << 16)
def _english_spelling(word: str) -> tuple[str, int, int]:
    """A Latin word lower-cased and reduced to its Snowball stem; how many of its first
    letters keep their place; and the length of the new tail after them, or -1 when
    every letter still maps to itself (only the case changed, or nothing)."""
    low = word.lower()
    stem = _STEMMER.stemWord(low) if len(low) <= MAX_STEMMED else low
    keep = len(stem) if low.startswith(stem) else len(os.path.commonprefix([stem, low]))
    if len(stem) != len(word) or keep < len(word):
        return stem, keep, len(stem) - keep
    return stem, keep, -1


def _shift(positions: frozenset[int], edits: list[Edit]) -> frozenset[int]:
    """Positions carried through `edits` (one inside a replaced tail moves to its start)."""
    if not positions or not edits:
        return positions
    starts = [start for start, _, _ in edits]
    shifts = [0]
    for start, end, new_length in edits:
        shifts.append(shifts[-1] + new_length - (end - start))
    moved = set()
    for p in positions:
        i = bisect_right(starts, p) - 1
        if i >= 0 and p < edits[i][1]:
            p = min(p, edits[i][0] + edits[i][2])  # inside an edit: clamp to what replaced it
            moved.add(p + shifts[i])
        else:
            moved.add(p + shifts[i + 1])
    return frozenset(moved)


def normalize(text: str) -> Normalized:
    """The full normalisation, with everything needed to map results back to `text`."""
    folded, fold_maps, categories = _fold(text)
    glued, word_map, joins, categories = _word_edits(folded, categories)
    stemmed, stem_map, joins = _stem_english(glued, joins, categories)
    return Normalized(stemmed, text, (*fold_maps, word_map, stem_map), joins)


def normalize_arabic(text: str) -> str:
    """Normalised text for matching and duplicate detection (Arabic and English)."""
    return normalize(text).text


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """Normalised text and, for each of its characters, the index it came from in `text`."""
    result = normalize(text)
    return result.text, result.index_map

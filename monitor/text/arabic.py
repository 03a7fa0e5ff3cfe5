"""Arabic and English text normalisation for matching and duplicate detection (pure functions).

Writers dodge keyword filters by breaking words (`كيمـ.يائية`: tatweel, a dot, zero-width
characters; `ك ي م ي ا ئ ي ة`: letters spaced out; emoji inside a word; Cyrillic `с` in
`сhlorine`) and the same word has several spellings (أ/إ/آ/ا, ى/ي, ة/ه, Persian ک ی,
Urdu ہ ے). The normalised form folds all of that away, and `OffsetMap`s remember where every
normalised character came from so a hit can be shown exactly as it was written.

Stages, each a few whole-text `str.replace` / compiled-regex passes (C speed: no Python
loop per character; Python runs only per *match*, and matches are rare in real text):
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
"""

from __future__ import annotations

import json
import os.path
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from importlib.resources import files
from itertools import accumulate

import Stemmer
from confusable_homoglyphs import categories

from monitor.text.tokens import PROCLITICS

TATWEEL = "\u0640"
_REMOVED_CATEGORIES = frozenset({"Mn", "Me", "Cf"})
_LETTER_MAP = {
    "\u0671": "ا",  # alef wasla (أ, إ, آ lose their hamza/madda mark under NFKD)
    "\u0672": "ا",  # alef with wavy hamza (Kashmiri, Urdu)
    "\u0673": "ا",
    "ى": "ي",
    "ة": "ه",
    "\u06cc": "ي",  # Persian yeh
    "\u06d0": "ي",  # yeh with two dots below (Pashto)
    "\u06d2": "ي",  # Urdu yeh barree
    "\u06a9": "ك",  # keheh (Persian kaf)
    "\u06aa": "ك",  # swash kaf
    "\u06c1": "ه",  # Urdu heh goal
    "\u06be": "ه",  # heh doachashmee
    "\u06d5": "ه",  # ae (Kurdish), also what ۀ decomposes to
    "\u06c3": "ه",  # teh marbuta goal
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
)
# Code points outside the BMP that fold to something else (mathematical letters that spell
# ASCII words, enclosed letters, invisible tag characters and variation selectors).
_ASTRAL_RANGES = ((0x1D400, 0x1D800), (0x1F100, 0x1F200), (0xE0000, 0xE01F0))
_ASCII_UPPER = frozenset(range(ord("A"), ord("Z") + 1))  # left to the English stage


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
    if not char.isspace():  # ﹰ (isolated fathatan) is " ً" under NFKD: not a word break
        folded = folded.strip()
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
    result = "".join(out)
    if unicodedata.category(char)[0] == "S" and len(result) > 1:
        return char  # ™ → "tm" would put letters into a word; it stays a symbol
    return result


def _code_points() -> Iterator[int]:
    yield from (cp for cp in range(0x10000) if not 0xD800 <= cp < 0xE000)
    for start, stop in _ASTRAL_RANGES:
        yield from range(start, stop)


def _build_table() -> dict[int, str]:
    """Every character that folds to something else, except the frequent letters (replaced
    first) and ASCII capitals (the English stage lower-cases whole words)."""
    frequent = dict(_FREQUENT)
    table: dict[int, str] = {}
    for cp in _code_points():
        char = chr(cp)
        if char not in frequent and cp not in _ASCII_UPPER and (folded := _fold_char(char)) != char:
            table[cp] = folded
    return table


def _build_lookalikes(table: dict[int, str]) -> dict[int, str]:
    """Non-ASCII Latin, Cyrillic and Greek letters that look like one ASCII letter, keyed by
    their folded (lower-case) form; from Unicode's confusables data (UTS #39)."""
    data = json.loads((files("confusable_homoglyphs") / "confusables.json").read_text("utf-8"))
    own: dict[int, str] = {}
    by_capital: dict[int, str] = {}
    for char, glyphs in data.items():
        if len(char) != 1 or categories.alias(char) not in ("LATIN", "CYRILLIC", "GREEK"):
            continue
        latin = next((g["c"] for g in glyphs if len(g["c"]) == 1 and g["c"].isascii()), None)
        folded = table.get(ord(char), char)
        if latin and latin.isalpha() and len(folded) == 1 and not folded.isascii():
            (own if folded == char else by_capital)[ord(folded)] = latin.lower()
    return by_capital | own  # a small letter's own look-alike wins (ν looks like v, Ν like N)


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


def _with_astral(char_class: str) -> str:
    """One astral range keeps the class a bitmap (many astral entries make `re` test a
    list, 3x slower); astral characters left after folding are symbols and emoji."""
    return char_class[:-1] + "\U00010000-\U0010ffff]"


def _runs_of(code_points: Iterable[int]) -> re.Pattern[str]:
    """Runs of the given characters, or of any astral character. Written `[c][c]*`
    rather than `[c]+` so `re` can skip ahead to the first candidate."""
    char = _with_astral(_char_class(cp for cp in code_points if cp < 0x10000))
    return re.compile(char + char + "*")


_REST = _build_table()
_LOOKALIKE = _build_lookalikes(_REST)
# Marks and invisible characters are common (tanween in أيضاً, shadda): one regex scan finds
# them to cut out, leaving the per-run Python callback to rarer substitutions.
_REMOVABLE = {cp for cp, folded in _REST.items() if not folded and cp < 0x10000}
_REMOVABLE_RUNS = re.compile(_char_class(_REMOVABLE) * 2 + "*")
_SUBSTITUTE_RUNS = _runs_of((_REST.keys() - _REMOVABLE) | _LOOKALIKE.keys())

_LETTER = r"[^\W\d_]"
_LETTERS = re.compile(_LETTER + "+")
_MARK_CLASS = _with_astral(
    _char_class(cp for cp in range(0x10000) if unicodedata.category(chr(cp))[0] in "PS")
)
_SEPARATOR = _MARK_CLASS[:-1] + " ]"  # a space, punctuation, a symbol or an emoji
# Each pattern starts with a literal or a narrow class, so `re` skips ahead to candidates.
_INSIDE_WORD = re.compile(
    _MARK_CLASS
    + "(?:"
    # `weapons.The`: a sentence end without its space, two words, not one dodged word
    + r"(?P<sentence>(?<=[a-z]{2}[.!?;:,])(?=[A-Z][a-z]{2}))"
    # punctuation, symbols or emoji inside a word
    + f"|(?P<join>(?<={_LETTER}{_MARK_CLASS}){_MARK_CLASS}{{0,15}}(?={_LETTER})))"
)
# a one-letter word after separators with a space among them (a candidate)
_SPACED_LETTER = re.compile(f" {_SEPARATOR}{{0,15}}{_LETTER}(?!{_LETTER})")
# A whole spaced-out run from its start: a head of one to four letters, then single letters
# each after one to 16 separators (a dodge on top of a hyphen: `z.-.💥.Z`).
_SPACED_RUN = re.compile(f"({_LETTER}{{1,4}})((?:{_SEPARATOR}{{1,16}}{_LETTER}(?!{_LETTER}))+)")
_EXTRA_SPACES = re.compile("  +")
_SEPARATOR_RUNS = re.compile(_SEPARATOR + "+")
_LATIN_WORD = re.compile("([A-Za-z]+)")  # captured: split keeps the words
_STEMMER = Stemmer.Stemmer("english")
MAX_STEMMED = 40  # longer "words" (URLs glued by joins, junk) are only lower-cased


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
    folded = _replace_frequent(text)  # 1:1 replacements: no offsets move
    removed = [(m.start(), m.end(), 0) for m in _REMOVABLE_RUNS.finditer(folded)]
    if removed:
        folded = _cut(folded, removed)
    edits: list[Edit] = []

    def fold_run(run: re.Match[str]) -> str:
        chunk = run.group()
        out = chunk.translate(_REST)
        if len(out) != len(chunk):
            edits.extend(_length_changes(chunk, _REST, run.start()))
        elif any(ord(c) in _LOOKALIKE for c in out):  # 1:1 here, so segments line up
            for letters in _LETTERS.finditer(out):
                if _in_latin_word(run.string, run.start() + letters.start(), run.start() + letters.end()):
                    a, b = letters.span()
                    out = out[:a] + out[a:b].translate(_LOOKALIKE) + out[b:]
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
    word = text[start:end].translate(_REST)
    return any(c.isascii() for c in word) or all(ord(c) in _LOOKALIKE for c in word)


def _cut(text: str, edits: list[Edit]) -> str:
    """`text` without the spans of `edits` (faster than a second regex pass)."""
    kept, last = [], 0
    for start, end, _ in edits:
        kept.append(text[last:start])
        last = end
    kept.append(text[last:])
    return "".join(kept)


def _length_changes(text: str, table: dict[int, str], offset: int) -> list[Edit]:
    """Edits for the characters of `text` that `table` lengthens or drops."""
    return [
        (offset + i, offset + i + 1, len(table[ord(c)]))
        for i, c in enumerate(text)
        if ord(c) in table and len(table[ord(c)]) != 1
    ]


def _word_edits(text: str) -> tuple[str, OffsetMap, frozenset[int]]:
    """Stage 2: glue dodged words, collapse spaces; the joins are in the result's indexes."""
    edits = _spaced_out(text)
    glued_until = edits[-1][1] if edits else -1
    join_at: set[int] = set()
    for m in _INSIDE_WORD.finditer(text):
        if m.lastgroup == "join" and not _inside(edits, m.start()):
            edits.append((m.start(), m.end(), 0))
            join_at.add(m.start())
    if "  " in text:
        edits += [
            (m.start() + 1, m.end(), 0)
            for m in _EXTRA_SPACES.finditer(text)
            if m.start() > glued_until or not _inside(edits, m.start() + 1)
        ]
    if not edits:
        return text, OffsetMap((), len(text)), frozenset()
    edits.sort()
    joins, removed = set(), 0
    for start, end, _ in edits:
        if start in join_at:
            joins.add(start - removed)
        removed += end - start
    return _cut(text, edits), OffsetMap(edits, len(text)), frozenset(joins)


def _spaced_out(text: str) -> list[Edit]:
    """The separators to remove inside runs of letters written one by one: three single
    letters at least, or three after a head of two to four letters (a proclitic). A
    candidate is rare (a one-letter word), so Python runs per candidate, not per letter."""
    edits: list[Edit] = []
    covered = -1
    for candidate in _SPACED_LETTER.finditer(text):
        if candidate.start() < covered:
            continue
        run = _SPACED_RUN.match(text, _head(text, candidate.end() - 1))
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


def _stem_english(text: str, joins: frozenset[int]) -> tuple[str, OffsetMap, frozenset[int]]:
    """Stage 3: Latin words lower-cased and stemmed, in batches (split, join and the
    stemmer are C); Python runs once per changed word, to record where its tail changed,
    so every kept letter still maps to itself."""
    pieces = _LATIN_WORD.split(text)  # text, word, text, word, …, text
    if len(pieces) == 1:
        return text, OffsetMap((), len(text)), joins
    words = pieces[1::2]
    lowered = "\0".join(words).lower().split("\0")
    stems = _STEMMER.stemWords([w if len(w) <= MAX_STEMMED else "" for w in lowered])
    edits: list[Edit] = []
    starts = list(accumulate(map(len, pieces)))  # starts[2k] is where word k begins
    for k, (word, low, stem) in enumerate(zip(words, lowered, stems, strict=True)):
        if stem == word:
            continue
        if not stem:  # too long to stem
            stem = low
        keep = len(stem) if low.startswith(stem) else len(os.path.commonprefix([stem, low]))
        pieces[2 * k + 1] = low[:keep] + stem[keep:]
        if len(stem) != len(word) or keep < len(word):
            edits.append((starts[2 * k] + keep, starts[2 * k + 1], len(stem) - keep))
    return "".join(pieces), OffsetMap(edits, len(text)), _shift(joins, edits)


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
    folded, fold_maps = _fold_characters(text)
    glued, word_map, joins = _word_edits(folded)
    stemmed, stem_map, joins = _stem_english(glued, joins)
    return Normalized(stemmed, text, (*fold_maps, word_map, stem_map), joins)


def normalize_arabic(text: str) -> str:
    """Normalised text for matching and duplicate detection (Arabic and English)."""
    return normalize(text).text


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """Normalised text and, for each of its characters, the index it came from in `text`."""
    result = normalize(text)
    return result.text, result.index_map

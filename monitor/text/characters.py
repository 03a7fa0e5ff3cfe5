"""What each character folds to, and per-character classes of a whole text at C speed.

The folding rules (`FOLDS`, `LOOKALIKES`) are computed once from Unicode data. The
normaliser also needs, for every character of a text, what it folds to (or whether it is
dropped, or needs the careful path) and the word category of the result (letter, mark,
space). `re` tests a character class at about 5 ns a character, one full pass per
question; the tables built here answer all of them in one pass of our C module
(`_fold.c`, which says why it is hand-written) at under 1 ns a character. The categories
come back as a bytes string, one letter per character, that bytes patterns starting with
a literal search quickly.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from array import array
from collections.abc import Iterable, Iterator
from importlib.resources import files

from confusable_homoglyphs import categories as scripts

from monitor.text import _fold

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
# Spelling variants common enough in Arabic text to be replaced by str.replace on the
# careful path; everything rarer goes through the per-character table `FOLDS`.
FREQUENT = (
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
ASTRAL_FOLDED = ((0x1D400, 0x1D800), (0x1F100, 0x1F200), (0xE0000, 0xE01F0))
_ASCII_UPPER = frozenset(range(ord("A"), ord("Z") + 1))  # left to the English stage


def _is_removed(char: str) -> bool:
    category = unicodedata.category(char)
    return (
        category in _REMOVED_CATEGORIES
        or char == TATWEEL
        or (category == "Cc" and not char.isspace())
    )


def _fold_char(char: str) -> str:
    """How one character folds; every table here is built from this."""
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


def _foldable_code_points() -> Iterator[int]:
    yield from (cp for cp in range(0x10000) if not 0xD800 <= cp < 0xE000)
    for start, stop in ASTRAL_FOLDED:
        yield from range(start, stop)


def _build_folds() -> dict[int, str]:
    """Every character that folds to something else, except the frequent letters (replaced
    first) and ASCII capitals (the English stage lower-cases whole words)."""
    frequent = dict(FREQUENT)
    table: dict[int, str] = {}
    for cp in _foldable_code_points():
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
        if len(char) != 1 or scripts.alias(char) not in ("LATIN", "CYRILLIC", "GREEK"):
            continue
        latin = next((g["c"] for g in glyphs if len(g["c"]) == 1 and g["c"].isascii()), None)
        folded = table.get(ord(char), char)
        if latin and latin.isalpha() and len(folded) == 1 and not folded.isascii():
            (own if folded == char else by_capital)[ord(folded)] = latin.lower()
    return by_capital | own  # a small letter's own look-alike wins (ν looks like v, Ν like N)


def char_class(code_points: Iterable[int]) -> str:
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


def with_astral(char_class: str) -> str:
    """One astral range keeps the class a bitmap (many astral entries make `re` test a
    list, 3x slower); astral characters left after folding are symbols and emoji."""
    return char_class[:-1] + "\U00010000-\U0010ffff]"


FOLDS = _build_folds()
LOOKALIKES = _build_lookalikes(FOLDS)
LETTER = r"[^\W\d_]"
MARK_CLASS = with_astral(
    char_class(cp for cp in range(0x10000) if unicodedata.category(chr(cp))[0] in "PS")
)

# Word categories, one byte a character (the letters the normaliser's bytes patterns use);
# the two letter categories sort last, so one comparison finds every letter.
ASCII_LETTER, OTHER_LETTER, MARK, SPACE, OTHER = b"a", b"l", b"M", b" ", b"."
BOTH = b"X"  # an astral letter: `re` counts it as a letter and as a mark (see MARK_CLASS)
# and, before stage 1, a character it drops, or one whose fold needs the careful path
DROPPED, CAREFUL = b"D", b"C"
_ASTRAL_START, _END = 0x10000, 0x110000
_ASTRAL_CAREFUL = 0x80  # flag on an astral category: its fold needs the careful path


def _runs(pattern: str, start: int, stop: int) -> Iterator[tuple[int, int]]:
    """The spans (as code points) of the runs of `pattern` among these code points."""
    every = array("I", range(start, stop)).tobytes().decode(f"utf-32-{sys.byteorder[0]}e", "surrogatepass")
    for run in re.finditer(pattern + "+", every):
        yield start + run.start(), start + run.end()


def _build_categories() -> bytes:
    """The word category of each BMP character, read off the very patterns the careful
    path uses (`LETTER`, `MARK_CLASS`), so both paths agree on every character."""
    table = bytearray(OTHER * _ASTRAL_START)
    for pattern, category in ((LETTER, OTHER_LETTER), (MARK_CLASS, MARK)):
        for start, end in _runs(pattern, 0, _ASTRAL_START):
            table[start:end] = category * (end - start)
    for cp in (*range(ord("A"), ord("Z") + 1), *range(ord("a"), ord("z") + 1)):
        table[cp] = ord(ASCII_LETTER)
    table[ord(" ")] = ord(SPACE)
    return bytes(table)


def _build_astral() -> bytes:
    """Per astral character: MARK (`MARK_CLASS` takes in every astral character) or BOTH
    (`LETTER` takes in the astral letters too), flagged when its fold needs the careful
    path (it folds to something else, or is a look-alike)."""
    table = bytearray(MARK * (_END - _ASTRAL_START))
    for start, end in _runs(LETTER, _ASTRAL_START, _END):
        table[start - _ASTRAL_START : end - _ASTRAL_START] = BOTH * (end - start)
    careful = [cp for start, stop in ASTRAL_FOLDED for cp in range(start, stop)]
    for cp in (*careful, *(cp for cp in LOOKALIKES if cp >= _ASTRAL_START)):
        table[cp - _ASTRAL_START] |= _ASTRAL_CAREFUL
    return bytes(table)


def _fold_code(cp: int) -> tuple[int, bytes | None]:
    """What a BMP character folds to, and its category when that is not the category of
    what it folds to. CAREFUL: folds to several characters or to an astral one (a few
    CJK compatibility ideographs), or is (or folds to) a look-alike whose fold depends on
    its word, or is a lone surrogate."""
    folded = _FREQUENT.get(chr(cp)) or FOLDS.get(cp, chr(cp))
    if 0xD800 <= cp < 0xE000 or (cp in LOOKALIKES and cp not in FOLDS):
        return cp, CAREFUL
    if not folded:
        return 0, DROPPED
    if len(folded) > 1 or ord(folded) in LOOKALIKES or ord(folded) >= _ASTRAL_START:
        return cp, CAREFUL
    return ord(folded), None


def _build_folds_table() -> bytes:
    """Per BMP character, 4 bytes: what it folds to (2 bytes, little-endian), 0, and the
    word category of that (or DROPPED, CAREFUL). One look-up gives both."""
    words = bytearray()
    for cp in range(_ASTRAL_START):
        folded, category = _fold_code(cp)
        words += folded.to_bytes(2, "little") + b"\0" + (category or _CATEGORIES[folded : folded + 1])
    return bytes(words)


_FREQUENT = dict(FREQUENT)
_CATEGORIES = _build_categories()
_ASTRAL = _build_astral()
_FOLDS_TABLE = _build_folds_table()
# 1 for each BMP character that is a letter or a digit (`str.isalnum`)
_ALNUM = bytes(chr(cp).isalnum() for cp in range(_ASTRAL_START))


def fold_one_to_one(text: str) -> tuple[str, bytes, bytes | None] | None:
    """The text with every character folded one to one and the dropped ones removed, the
    word category of each character of that, and the categories before the drop (None
    when nothing was dropped); or None when some character needs the careful path."""
    return _fold.fold(text, _FOLDS_TABLE, _ASTRAL)


def word_categories(text: str) -> bytes:
    """One category byte per character of the text (ASCII_LETTER, OTHER_LETTER, MARK,
    SPACE, OTHER, BOTH)."""
    return _fold.categorise(text, _CATEGORIES, _ASTRAL)


def kept_before_drops(before_drop: bytes) -> list[int]:
    """For each DROPPED character, how many kept characters stand before it."""
    return _fold.kept_before_drops(before_drop)


def one_letter_words(categories: bytes) -> list[int]:
    """Where a letter stands with no letter on either side."""
    return _fold.one_letter_words(categories)


def marks_between_letters(categories: bytes) -> list[tuple[int, int]]:
    """The runs of 1 to 16 MARK between two letters (categories without BOTH)."""
    return _fold.marks_between_letters(categories)


def latin_runs(categories: bytes) -> list[tuple[int, int]]:
    """The runs of ASCII letters: the Latin words to stem."""
    return _fold.latin_runs(categories)


def has_double_space(categories: bytes) -> bool:
    return _fold.has_double_space(categories)


def words_between_spaces(text: str) -> str | None:
    """` text `, with a space at each end and for every character that is not a letter or
    a digit (`str.isalnum`), so a word is always a space, the word, a space: the form in
    which an automaton finds whole words by itself. None when the text has an astral
    character (left to slower paths)."""
    return _fold.words_between_spaces(text, _ALNUM)

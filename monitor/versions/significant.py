"""The part of an article's text whose change is an edit.

Extraction already drops most chrome (menus, footers, share widgets); what can still slip
into the extracted text and change between two fetches without anyone editing the
article is handled here, in a deliberately small set of generic rules:

- whitespace, Unicode presentation forms (NFKC), zero-width and bidi controls, tatweel;
- counters: a short line carrying a number ("1,234 views", "١٢ تعليق") keeps its words
  but not its digits; a number inside a sentence is content and is compared as written
  (casualty figures are exactly what gets edited);
- related-article blocks: a "Read more: …" line, and a "Related"/"اقرأ أيضا" heading
  with the short link lines under it.

Nothing is learnt per site; a site whose chrome still leaks belongs in its source hints.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

COUNTER_LINE_WORDS = 4  # a line this short with a digit in it is a counter or a date stamp
RELATED_LINK_WORDS = 20  # link titles under a "related" heading are shorter than this

_INVISIBLE = re.compile("[\u0640\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_DIGITS = re.compile(r"\d+(?:[.,\u066b\u066c]\d+)*")
_RELATED = (
    "related",
    "related articles",
    "related stories",
    "read more",
    "read also",
    "see also",
    "more on this",
    "اقرأ أيضا",
    "اقرأ ايضا",
    "اقرأ المزيد",
    "إقرأ أيضا",
    "مواضيع ذات صلة",
    "أخبار ذات صلة",
    "ذات صلة",
    "شاهد أيضا",
)


def _clean(line: str) -> str:
    line = _INVISIBLE.sub("", unicodedata.normalize("NFKC", line))
    return " ".join(line.split())


def _heading_of(line: str) -> str | None:
    """The related-block phrase a line starts with ("Read more: x" or a bare heading)."""
    folded = line.casefold().rstrip(" :.-–—")
    for phrase in _RELATED:
        if folded == phrase or folded.startswith((phrase + ":", phrase + " :")):
            return phrase
    return None


def significant_lines(text: str) -> list[str]:
    lines: list[str] = []
    in_related = False
    for raw in text.splitlines():
        line = _clean(raw)
        if not line:
            continue
        phrase = _heading_of(line)
        if phrase is not None:
            in_related = line.casefold().rstrip(" :.-–—") == phrase  # bare heading: a block
            continue
        words = len(line.split())
        if in_related and words < RELATED_LINK_WORDS:
            continue
        in_related = False
        if words <= COUNTER_LINE_WORDS:
            line = _DIGITS.sub("#", line)
        lines.append(line)
    return lines


def significant_text(title: str, text: str) -> str:
    """Title and body as compared between versions (one normalised line per paragraph)."""
    return "\n".join([_clean(title), *significant_lines(text)])


def text_key(title: str, text: str) -> str:
    """Equal keys: no edit that matters between the two versions."""
    return hashlib.sha256(significant_text(title, text).encode("utf-8")).hexdigest()

"""Word-level differences between two versions of a text (difflib over word tokens).

Tokens are words, runs of whitespace and single punctuation marks, so a diff shows whole
words removed and added, keeps the line breaks of the text, and works the same for Arabic
and English (Python's `\\w` covers Arabic letters and both digit sets).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")
MAX_TOKENS = 40_000  # beyond this a diff is shown per paragraph only (quadratic worst case)


@dataclass(frozen=True)
class Piece:
    op: str  # equal | delete | insert
    text: str


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def word_diff(old: str, new: str) -> list[Piece]:
    """Pieces that rebuild `old` (equal + delete) and `new` (equal + insert)."""
    a, b = tokens(old), tokens(new)
    if len(a) + len(b) > MAX_TOKENS:
        a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    pieces: list[Piece] = []
    for changed, i1, i2, j1, j2 in _runs(a, b):
        if not changed:
            _add(pieces, "equal", "".join(a[i1:i2]))
            continue
        _add(pieces, "delete", "".join(a[i1:i2]))
        _add(pieces, "insert", "".join(b[j1:j2]))
    return pieces


def _runs(a: list[str], b: list[str]) -> list[tuple[bool, int, int, int, int]]:
    """Opcodes as (changed, a-range, b-range); a lone space between two changes joins them,
    so "gas chlorine" -> "toxic substance" reads as one phrase replaced, not two words."""
    ops = SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    runs: list[tuple[bool, int, int, int, int]] = []
    for n, (op, i1, i2, j1, j2) in enumerate(ops):
        gap = op == "equal" and 0 < n < len(ops) - 1 and all(token.isspace() for token in a[i1:i2])
        changed = op != "equal" or gap
        if runs and changed and runs[-1][0]:
            runs[-1] = (True, runs[-1][1], i2, runs[-1][3], j2)
        else:
            runs.append((changed, i1, i2, j1, j2))
    return runs


def _add(pieces: list[Piece], op: str, text: str) -> None:
    if not text:
        return
    if pieces and pieces[-1].op == op:
        pieces[-1] = Piece(op, pieces[-1].text + text)
    else:
        pieces.append(Piece(op, text))


def changed_words(pieces: list[Piece], op: str, limit: int = 300) -> str:
    """The removed (`delete`) or added (`insert`) words, joined, for a short summary."""
    text = " … ".join(" ".join(p.text.split()) for p in pieces if p.op == op and p.text.strip())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"

"""Matched words as segments of plain text, for templates to escape and wrap in <mark>.

Highlighting never builds HTML: the text is cut at the stored match spans and every
piece stays a string that autoescaping handles, so a span in the wrong place can at worst
mark the wrong words, never open a tag.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from monitor.domain import match_document

# Explicit embeddings and overrides (LRE RLE PDF LRO RLO, LRI RLI FSI PDI): in scraped
# titles they can reverse the text around them ("exe.pdf" shown as "fdp.exe"). Marks
# (LRM, RLM, ALM) are harmless and kept, since Arabic text uses them.
_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def strip_bidi_controls(text: str) -> str:
    return text.translate(_BIDI_CONTROLS)


@dataclass(frozen=True)
class Segment:
    text: str
    hit: bool


def _merged(spans: Iterable[Sequence[int]], length: int) -> list[tuple[int, int]]:
    clean = sorted(
        (max(0, s[0]), min(length, s[1]))
        for s in spans
        if len(s) == 2 and all(isinstance(v, int) for v in s) and s[0] < s[1]
    )
    merged: list[tuple[int, int]] = []
    for start, end in clean:
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _segments(part: str, offset: int, spans: list[tuple[int, int]]) -> list[Segment]:
    out: list[Segment] = []
    cursor = 0
    for start, end in spans:
        start, end = max(start - offset, 0), min(end - offset, len(part))
        if start >= end:
            continue
        if start > cursor:
            out.append(Segment(part[cursor:start], False))
        out.append(Segment(part[start:end], True))
        cursor = end
    if cursor < len(part):
        out.append(Segment(part[cursor:], False))
    return out


def highlight(
    title: str, text: str, spans: Iterable[Sequence[int]]
) -> tuple[list[Segment], list[Segment]]:
    """Title and text segments from spans that index `match_document(title, text)`."""
    document = match_document(title, text)
    merged = _merged(spans, len(document))
    body_start = len(document) - len(text)
    return _segments(title, 0, merged), _segments(text, body_start, merged)

"""Extraction: a stored RawPage -> ExtractedArticle (clean text, title, date, language).

`extract_page` is the only entry point the pipeline and the CLI need. It refuses
non-text, empty and oversized bodies in the caller's process (cheap, and nothing big is
shipped to the worker), then runs the extraction in a child process under a wall-clock
limit (see `worker.py`). Failures are `ExtractionError` with a reason from
`ExtractionError.REASONS`.

ExtractedArticle.published_from: "feed" | "markup" (the source's date selector) | "meta"
(<meta>, JSON-LD) | "visible" (the date shown nearest the headline) | "htmldate" | "text" (a
dateline) | None; the pipeline adds "listed" (the discovery date) and "fetched" (fetch time).
`published` keeps the offset the page gave; `published_timezone` names the source's zone when
the page gave a local time without one.
ExtractedArticle.flags: "encoding_suspect" (mojibake survived decoding), "summary_only"
(body not in the HTML, meta description used), "feed_body" (text from content:encoded),
"body_hint_missed" (the source's body selector matched nothing: its markup changed).
"""

from __future__ import annotations

import atexit

from monitor.domain import ExtractedArticle, RawPage, SourceHints
from monitor.extract.decode import decode_html, refuse_non_text
from monitor.extract.worker import TimedExtractor

__all__ = ["TimedExtractor", "decode_html", "extract_page"]

_EXTRACTOR = TimedExtractor()
atexit.register(_EXTRACTOR.close)


def extract_page(page: RawPage, hints: SourceHints | None = None) -> ExtractedArticle:
    """Extract one page with its source's hints (generic path when None)."""
    if page.body.strip() or not (page.feed and page.feed.content_html):
        refuse_non_text(page.body, page.headers)
    return _EXTRACTOR.extract(page, hints or SourceHints())

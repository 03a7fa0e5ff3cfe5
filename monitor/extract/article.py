"""One RawPage -> ExtractedArticle, in this process and without a time limit.

Field precedence (each step only when the one before found nothing usable):
- body: feed content:encoded -> source body container minus its boilerplate -> trafilatura
  (only when no container matched) -> meta description (only when the source allows it;
  flagged "summary_only");
- title: source selector -> feed title -> trafilatura's title heuristics;
- date: feed pubDate -> source date markup -> <meta>/JSON-LD -> the date shown nearest the
  headline (`visible.py`) -> htmldate -> dateline in the text. Offsets are kept; a local
  time without one is read in the source's zone (`SourceHints.timezone`).
Callers use `monitor.extract.extract_page`, which runs this under a wall-clock limit.
"""

from __future__ import annotations

import re
from datetime import datetime

from lxml import etree, html

from monitor.domain import ExtractedArticle, ExtractionError, FeedEntry, RawPage, SourceHints
from monitor.extract import dates, fields, generic
from monitor.extract.decode import decode, looks_mis_decoded
from monitor.extract.language import detect_language
from monitor.extract.trafilatura_adapter import generic_title
from monitor.extract.visible import visible_date

MAX_ELEMENTS = 100_000  # a news page has a few thousand; far more is a table dump or an attack
MIN_BODY_CHARS = 40
SHORT_PAGE_CHARS = 50_000  # decoy/anti-bot pages are small; only those are searched in full

# Structured metadata for the publication date, most specific first (Open Graph/Yoast,
# schema.org microdata, Dublin Core, common CMS names).
DATE_META_KEYS = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "publish-date",
    "pubdate",
    "publishdate",
    "dc.date.issued",
    "dcterms.created",
    "parsely-pub-date",
    "sailthru.date",
)
DESCRIPTION_META_KEYS = ("description", "og:description", "twitter:description")
# WordPress/Yoast append this to every feed item's content:encoded.
_FEED_FOOTER = re.compile(r"^The post .{1,400} appeared first on .{1,200}$", re.MULTILINE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def extract_now(page: RawPage, hints: SourceHints) -> ExtractedArticle:
    feed = page.feed or FeedEntry()
    flags: list[str] = []
    if not page.body.strip() and feed.content_html:
        tree = fields.fragment(feed.content_html)  # the feed is all we have
    else:
        decoded = decode(page.body, page.headers)
        if decoded.suspect:
            flags.append("encoding_suspect")
        tree = _parse(decoded.text)
        _refuse_blocked(tree, hints, len(decoded.text))

    fields.drop(tree, hints.drop_css)  # first: a top bar's "today" must not become the date
    title = fields.first_text(tree, hints.title_css) or (feed.title or "").strip()
    title = title or fields.title_shown(tree, fields.clean_line(generic_title(tree) or ""))
    author = fields.first_text(tree, hints.author_css) or feed.author
    bounds = dates.Bounds(page.fetched_at, hints.timezone, hints.founded)
    published, published_from, date_widget = _date_from_page(
        tree, hints, feed, page.url, title, bounds
    )
    text = _body(tree, hints, feed, page.url, flags, title, date_widget)
    if text.split("\n", 1)[0] == title:
        text = text.partition("\n")[2]
    if published is None and (published := dates.find_dateline(text, hints.date_order, bounds)):
        published_from = "text"
    if "encoding_suspect" not in flags and looks_mis_decoded(title + "\n" + text):
        flags.append("encoding_suspect")
    return ExtractedArticle(
        url=page.url,
        title=title,
        text=text,
        published=published,
        published_from=published_from,
        published_timezone=dates.assumed_zone(published),
        language=detect_language(text or title, hints.default_language),
        author=author,
        source=page.source,
        flags=flags,
    )


def _parse(text: str) -> html.HtmlElement:
    text = _CONTROL_CHARS.sub("", _XML_DECLARATION.sub("", text, count=1))
    try:
        tree = html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError("not_html", f"not parseable as HTML: {exc}") from None
    size = int(tree.xpath("count(//*)"))  # counted in C: no Python object per element
    if size > MAX_ELEMENTS:
        raise ExtractionError("too_large", f"{size} elements exceed {MAX_ELEMENTS}")
    return tree


def _refuse_blocked(tree: html.HtmlElement, hints: SourceHints, page_chars: int) -> None:
    """A decoy served with HTTP 200: its marker in the title/headline, or anywhere if short."""
    if not hints.blocked_markers:
        return
    heads = " ".join(e.text_content() for e in tree.iter("title", "h1"))
    searched = " ".join(tree.itertext()) if page_chars <= SHORT_PAGE_CHARS else heads
    for marker in hints.blocked_markers:
        if marker in heads or marker in searched:
            raise ExtractionError("blocked", f"decoy page served instead of content ({marker!r})")


def _date_from_page(
    tree: html.HtmlElement,
    hints: SourceHints,
    feed: FeedEntry,
    url: str,
    title: str,
    bounds: dates.Bounds,
) -> tuple[dates.Published | None, str | None, html.HtmlElement | None]:
    """The date, the rule that found it, and the date element shown on the page when it was
    read from one (the generic body leaves that element out)."""
    order = hints.date_order
    feed_dates = [feed.published] if feed.published else []
    markup = (fields.element_text(e) for e in fields.select(tree, hints.date_css))
    meta = [
        *fields.meta_values(tree, (*hints.date_meta, *DATE_META_KEYS)),
        *fields.json_ld_values(tree, "datePublished"),
    ]
    for origin, candidates in (("feed", feed_dates), ("markup", markup), ("meta", meta)):
        for candidate in candidates:
            if (value := dates.parse_date(candidate, order, bounds)) is not None:
                return _in_zone_shown(value, tree, title, order, bounds), origin, None
    if (shown := visible_date(tree, title, order, bounds)) is not None:
        return shown.value, "visible", shown.element if shown.widget else None
    if (day := dates.htmldate_day(tree, url, bounds)) is not None:
        return day, "htmldate", None
    return None, None, None


def _in_zone_shown(
    value: dates.Published, tree: html.HtmlElement, title: str, order: str, bounds: dates.Bounds
) -> dates.Published:
    """A local time read in the source's zone, unless the page shows that same time with a
    zone of its own (RT: meta "2026-03-14 09:21", on the page "09:21 GMT")."""
    if dates.assumed_zone(value) is None or not isinstance(value, datetime):
        return value
    shown = visible_date(tree, title, order, bounds)
    if (
        shown is not None
        and isinstance(shown.value, datetime)
        and dates.assumed_zone(shown.value) is None
        and shown.value.replace(tzinfo=None) == value.replace(tzinfo=None)
    ):
        return shown.value
    return value


def _body(
    tree: html.HtmlElement,
    hints: SourceHints,
    feed: FeedEntry,
    url: str,
    flags: list[str],
    title: str,
    date_widget: html.HtmlElement | None,
) -> str:
    if feed.content_html and (text := _feed_text(feed.content_html, hints)):
        flags.append("feed_body")
        return text
    containers = fields.select(tree, hints.body_css)
    text = fields.unique_lines(
        line for c in containers for line in fields.block_text(c).split("\n")
    )
    if hints.body_css and not containers:
        flags.append("body_hint_missed")  # the site's markup changed: the hint needs a look
    if not containers:  # a container found empty means "not in the HTML": no guessing around it
        text = generic.body_text(tree, url, title, date_widget)
    if len(text) >= MIN_BODY_CHARS:
        return text
    if hints.summary_fallback:
        summary = next(fields.meta_values(tree, DESCRIPTION_META_KEYS), None) or feed.summary
        if summary and (summary := fields.clean_line(summary)):
            flags.append("summary_only")
            return summary
    raise ExtractionError("no_body", "no article text found on the page")


def _feed_text(content_html: str, hints: SourceHints) -> str:
    container = fields.fragment(content_html)
    fields.drop(container, hints.drop_css)
    text = _FEED_FOOTER.sub("", fields.block_text(container)).strip()
    return text if len(text) >= MIN_BODY_CHARS else ""

"""The generic discovery path's reading of an HTML page: article links (with the date
printed next to them), section pages worth reading, the next page, feeds it announces.

Written by hand because no library classifies a news site's links for us: courlan (which
trafilatura's crawler uses) files `?p=123` and `/archives/123` under navigation, and
its content filters are private. The rules here are plain and named, so a wrong guess on a
new site is cheap to see (`monitor sources check`) and to fix with the source's own
article pattern. No HTTP here.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit

from courlan import is_not_crawlable
from lxml import etree
from parsel import Selector

from monitor.crawl.discovery import Link, iso_moment, listing_date

YEAR = re.compile(r"(19|20)\d\d")
LONG_NUMBER = re.compile(r"\d{4,}")
ID_QUERY = re.compile(r"^(p|id|article|articleid|news|newsid|nid|story|post)$", re.IGNORECASE)
WORD_SPLIT = re.compile(r"[-_+.\s]+")
# Path segments that mark a page about many articles (or none), never one article.
# fmt: off
NOT_ARTICLE = frozenset({
    "tag", "tags", "category", "categories", "cat", "author", "authors", "page", "search",
    "feed", "rss", "amp", "print", "comments", "trackback", "embed", "attachment", "wp-json",
    "wp-content", "wp-admin", "wp-includes", "cdn-cgi", "login", "logout", "register",
    "signin", "signup", "account", "contact", "contact-us", "privacy", "privacy-policy",
    "terms", "cookies", "about", "about-us", "aboutus", "static", "assets", "storage",
    "uploads", "images", "img", "media", "section", "sections", "topic", "topics",
})
# fmt: on
# ...and those not worth reading as a section (sections and categories are).
NOT_SECTION = NOT_ARTICLE - {"category", "categories", "cat", "section", "sections", "topic"}
SECTION_QUERY = re.compile(r"^(cat|category|section|lang)=[\w-]+$", re.IGNORECASE)
MAX_SECTION_SEGMENTS = 3
# Pagination: a number in the URL, or a link that says "next" / "older" in en or ar.
# (a bare trailing number is not one: `/ar/category/2` is another category, not page 2)
PAGE_IN_PATH = re.compile(r"(?P<pre>/page/|/Page-)(?P<n>\d{1,4})(?P<post>\.html|/)?$")
PAGE_PARAMS = ("page", "paged", "pg")  # not WordPress's `p`: a post id
NEXT_TEXT = re.compile(
    r"^(next|next page|older|older posts|older entries|older articles|more|more news|"
    r"load more|show more|[»›>]+|next\s*[»›>]+|older\s*[»›>]+|التالي|التالى|الصفحة التالية|"
    r"الأقدم|أقدم|الأخبار الأقدم|المزيد|عرض المزيد)$",
    re.IGNORECASE,
)
NEXT_CLASS = re.compile(r"\b(next|nav-previous|older|pagination-next|load-more)\b", re.IGNORECASE)
NAV_CONTAINER = (
    "ancestor::nav or ancestor::header or ancestor::footer or ancestor::*[@role='navigation']"
    " or ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' menu ')]"
)
ITEM_DEPTH = 5
DATE_CLASS = re.compile(r"date|time|publish|posted", re.IGNORECASE)
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")


class SourceLike(Protocol):
    """What page reading needs to know of a source (spiders.base.Source provides it)."""

    @property
    def article_patterns(self) -> tuple[str, ...]: ...
    def owns(self, url: str) -> bool: ...
    def is_article(self, url: str) -> bool: ...


@dataclass
class PageLinks:
    """What one HTML discovery page offers."""

    articles: list[Link] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    next_page: str | None = None
    feeds: list[str] = field(default_factory=list)
    wordpress: bool = False  # it announces a WordPress REST API
    links: int = 0  # links to the source's own pages, of any kind


def is_page(path: str) -> bool:
    """Not an image, style sheet, PDF, feed or other file: something a browser shows."""
    kind = mimetypes.guess_type(unquote(path.rstrip("/")) or "/")[0]
    return kind in (None, "text/html", "application/xhtml+xml")


def _segments(path: str) -> list[str]:
    return [unquote(s) for s in path.split("/") if s]


def _words(segment: str) -> int:
    stem = segment.rsplit(".", 1)[0] if "." in segment else segment
    return len([w for w in WORD_SPLIT.split(stem) if w])


def looks_like_article(path: str, query: str = "") -> bool:
    """The generic guess for a source without article patterns: a path carrying an id
    (`/1745002-slug/`, `/articles/49180/…`, `/archives/123456`), a date then a slug
    (`/2026/11/20/slug/`), a long slug (`/press/four-or-more-words`) or `?p=<id>`."""
    if not is_page(path):
        return False
    segments = _segments(path)
    if any(s.lower() in NOT_ARTICLE for s in segments):
        return False
    if any(ID_QUERY.match(k) and v.isdigit() for k, v in parse_qsl(query)):
        return True
    if not segments:
        return False
    if any(LONG_NUMBER.search(s) and not YEAR.fullmatch(s) for s in segments):
        return True
    last = segments[-1]
    if any(YEAR.fullmatch(s) for s in segments[:-1]) and not last.isdigit():
        return _words(last) >= 2
    return _words(last) >= 4


def looks_like_section(path: str, query: str = "") -> bool:
    """A page listing articles worth reading: a section, a category, a language edition."""
    segments = _segments(path)
    if query and not SECTION_QUERY.match(query):
        return False
    if not segments:
        return bool(query)  # WordPress's /?cat=7
    if len(segments) > MAX_SECTION_SEGMENTS or not is_page(path):
        return False
    if is_not_crawlable(path) or any(s.lower() in NOT_SECTION for s in segments):
        return False
    return not any(YEAR.fullmatch(s) for s in segments)  # date archives: too many pages


def page_number(url: str) -> tuple[int, Callable[[int], list[str]]]:
    """The page number of a listing URL (1 when it shows none) and a function giving the
    URLs page N may have: `/page/N`, `?page=N` (and its kin), `/N`, K2's `Page-N.html`."""
    parts = urlsplit(url)
    params = parse_qsl(parts.query, keep_blank_values=True)
    for i, (key, value) in enumerate(params):
        if key.lower() in PAGE_PARAMS and value.isdigit():

            def with_param(n: int, i: int = i, key: str = key) -> list[str]:
                query = params[:i] + [(key, str(n))] + params[i + 1 :]
                return [parts._replace(query="&".join(f"{k}={v}" for k, v in query)).geturl()]

            return int(value), with_param
    if match := PAGE_IN_PATH.search(parts.path):
        head = parts.path[: match.start()]

        def in_path(n: int) -> list[str]:
            tail = f"{match['pre']}{n}{match['post'] or ''}"
            return [parts._replace(path=head + tail).geturl()]

        return int(match["n"]), in_path
    base = parts.path.rstrip("/")

    def first_page(n: int) -> list[str]:
        paths = (f"{base}/page/{n}", f"{base}/page/{n}/", f"{base}/Page-{n}.html")
        queries = [f"{k}={n}" for k in ("page", "paged")]
        sep = "&" if parts.query else ""
        return [parts._replace(path=p).geturl() for p in paths] + [
            parts._replace(path=parts.path or "/", query=parts.query + sep + q).geturl()
            for q in queries
        ]

    return 1, first_page


def _clean_text(node: etree._Element) -> str:
    return " ".join("".join(node.itertext()).split())


def _item_date(
    anchor: etree._Element, url: str, story: dict[etree._Element, str], order: str
) -> date | datetime | None:
    """The date printed in the same list item as an article link: the nearest enclosing
    element (up to ITEM_DEPTH levels) that has a date and links to no other article."""
    for up, node in enumerate(anchor.iterancestors()):
        if up >= ITEM_DEPTH or any(story.get(a, url) != url for a in node.iter("a")):
            return None
        if (found := _date_in(node, order)) is not None:
            return found
    return None


def _date_in(item: etree._Element, order: str) -> date | datetime | None:
    for stamp in item.iter("time"):
        if (moment := iso_moment(stamp.get("datetime") or "")) is not None:
            return moment
        if text := _clean_text(stamp):
            return listing_date(text, order)
    for node in item.iter():
        dated = isinstance(node.tag, str) and DATE_CLASS.search(node.get("class") or "")
        if dated and (text := _clean_text(node)) and (found := listing_date(text, order)):
            return found
    return None


def read_page(
    html: str,
    base_url: str,
    to_public: Callable[[str], str | None],
    source: SourceLike,
    date_order: str = "DMY",
) -> PageLinks:
    """Classify the links of a home, section or listing page. `to_public` maps an absolute
    (fetched) URL to its canonical public URL, or None when it is not usable;
    `date_order` reads numeric dates next to the links (the source's)."""
    selector = Selector(text=html)
    if declared := selector.xpath("//base/@href").get():
        base_url = urljoin(base_url, declared.strip())
    page = PageLinks()
    own: dict[str, tuple[etree._Element, str]] = {}  # public URL -> (its anchor, text)
    story: dict[etree._Element, str] = {}  # every anchor to an article -> the article
    for anchor in selector.xpath("//a[@href]"):
        url = to_public(urljoin(base_url, anchor.attrib["href"].strip()))
        if not url or not source.owns(url):
            continue
        if source.is_article(url):
            story[anchor.root] = url
        text = _clean_text(anchor.root)
        if url not in own or len(text) > len(own[url][1]):
            own[url] = (anchor.root, text)  # the title link rather than the picture link
    page.links = len(own)
    generic = not source.article_patterns
    in_nav = {url for url, (node, _) in own.items() if generic and node.xpath(NAV_CONTAINER)}
    page.next_page = _next_page(selector, base_url, own, to_public)
    for url, (node, text) in own.items():
        parts = urlsplit(url)
        if url == page.next_page:
            continue
        if source.is_article(url):
            if url not in in_nav:  # a menu's links are not the page's stories
                dated = _item_date(node, url, story, date_order)
                page.articles.append(Link(url, listed=dated, title=text or None))
        elif looks_like_section(parts.path, parts.query):
            page.sections.append(url)
    page.feeds = [
        url
        for href in selector.xpath(_feed_xpath()).getall()
        if (url := to_public(urljoin(base_url, href.strip())))
    ]
    page.wordpress = bool(selector.xpath("//link[@rel='https://api.w.org/']"))
    return page


def _feed_xpath() -> str:
    types = " or ".join(f"@type='{t}'" for t in FEED_TYPES)
    return f"//link[contains(@rel, 'alternate') and ({types})]/@href"


def _next_page(
    selector: Selector,
    base_url: str,
    own: dict[str, tuple[etree._Element, str]],
    to_public: Callable[[str], str | None],
) -> str | None:
    """rel=next first, then a link to this page's number plus one, then a "next"/"older"
    link. None on the last page."""
    for href in selector.xpath("//link[@rel='next']/@href | //a[contains(@rel, 'next')]/@href"):
        if (url := to_public(urljoin(base_url, href.get().strip()))) in own:
            return url
    here = to_public(base_url)
    if here is None:
        return None
    number, url_of = page_number(here)
    wanted = {_slashless(u) for u in url_of(number + 1)}
    for url in own:
        if _slashless(url) in wanted:
            return url
    path = urlsplit(here).path.rstrip("/")
    for url, (node, text) in own.items():
        classes = " ".join(node.xpath("ancestor-or-self::*/@class"))
        if url == here or not (NEXT_TEXT.match(text) or NEXT_CLASS.search(classes)):
            continue
        # "more" under a block heading leads to a section, not to this page's next page
        if page_number(url)[0] > number or urlsplit(url).path.rstrip("/") == path:
            return url
    return None


def _slashless(url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(path=parts.path.rstrip("/") or "/").geturl()


def article_links(
    html: str, base_url: str, css: str, to_public: Callable[[str], str | None]
) -> Iterator[tuple[str, str]]:
    """(public URL, anchor text) of the links a declared listing's selector picks."""
    selector = Selector(text=html)
    for anchor in selector.css(css):
        href = anchor.attrib.get("href")
        if href and (url := to_public(urljoin(base_url, href.strip()))):
            yield url, _clean_text(anchor.root)

"""Reading single fields out of a parsed page: CSS hints, <meta>, JSON-LD, block text.

Pure lxml helpers; which field wins over which is decided in `article.py`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

from lxml import etree, html
from lxml.cssselect import CSSSelector

_BLOCK_TAG_NAMES = (
    "p div h1 h2 h3 h4 h5 h6 li ul ol dl dt dd blockquote pre table tr td th caption section "
    "article header footer aside figure figcaption address br hr main nav"
)
_BLOCK_TAGS = frozenset(_BLOCK_TAG_NAMES.split())
_SKIP_TAG_NAMES = "script style noscript template iframe svg button form select"
_SKIP_TAGS = frozenset(_SKIP_TAG_NAMES.split())
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=256)
def _selector(css: str) -> CSSSelector:
    return CSSSelector(css, translator="html")


def select(root: html.HtmlElement, selectors: Iterable[str]) -> list[html.HtmlElement]:
    """All elements matched by the first selector that matches anything."""
    for css in selectors:
        if found := _selector(css)(root):
            return list(found)
    return []


def first_text(root: html.HtmlElement, selectors: Iterable[str]) -> str | None:
    """Text of the first element (in selector order) whose text is not empty."""
    for css in selectors:
        for element in _selector(css)(root):
            if text := element_text(element):
                return text
    return None


def element_text(element: html.HtmlElement) -> str:
    """Visible text on one line; for a <meta> selected by a hint, its content."""
    if element.tag == "meta":
        return clean_line(element.get("content") or "")
    return clean_line(element.text_content())


def drop(root: html.HtmlElement, selectors: Iterable[str]) -> None:
    """Remove the matched elements, keeping the text that follows them (their tail)."""
    for css in selectors:
        for element in _selector(css)(root):
            if element.getparent() is not None:
                element.drop_tree()


def meta_values(root: html.HtmlElement, keys: Iterable[str]) -> Iterator[str]:
    """<meta> content for each key in order, matched on name, property or itemprop."""
    wanted = [key.lower() for key in keys]
    found: dict[str, str] = {}
    for meta in root.iter("meta"):
        key = (meta.get("name") or meta.get("property") or meta.get("itemprop") or "").lower()
        content = (meta.get("content") or "").strip()
        if key in wanted and content and key not in found:
            found[key] = content
    return (found[key] for key in wanted if key in found)


def json_ld_values(root: html.HtmlElement, key: str) -> Iterator[str]:
    """String values of `key` anywhere in the page's JSON-LD blocks (including @graph)."""
    for script in root.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        yield from _walk_json(data, key)


def _walk_json(data: object, key: str) -> Iterator[str]:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(value := item.get(key), str):
                yield value
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def block_text(root: html.HtmlElement) -> str:
    """Visible text with one line per block element; duplicate lines kept once.

    Line breaks come from the markup (blocks, <br>), never from newlines in the source.
    """
    parts: list[str] = []
    skipping = 0
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""
        tail = element.tail if event == "end" and element is not root else None
        if tag in _SKIP_TAGS:
            skipping += 1 if event == "start" else -1
        elif not skipping:
            if tag in _BLOCK_TAGS:
                parts.append("\n")
            if event == "start" and tag and element.text:
                parts.append(element.text.replace("\n", " "))
        if tail and not skipping:
            parts.append(tail.replace("\n", " "))
    return unique_lines("".join(parts).split("\n"))


def unique_lines(lines: Iterable[str]) -> str:
    seen: set[str] = set()
    kept = []
    for line in map(clean_line, lines):
        if line and line not in seen:
            seen.add(line)
            kept.append(line)
    return "\n".join(kept)


def clean_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def fragment(markup: str) -> html.HtmlElement:
    """Parse an HTML snippet (a feed's content:encoded) into one container element."""
    return html.fragment_fromstring(markup, create_parent="div")


_TITLE_SEPARATORS = re.compile(r"\s+(?:[|:·•«»–—-]|::)\s+")


def headline_element(root: html.HtmlElement, title: str) -> html.HtmlElement | None:
    """The element showing the article's title, else the first h1."""
    shown = showing_title(root, title)
    return shown if shown is not None else next(root.iter("h1"), None)


def showing_title(root: html.HtmlElement, title: str) -> html.HtmlElement | None:
    """The element whose text is exactly the title (a heading first), or None."""
    return _element_showing(root, clean_line(title)) if title else None


def title_shown(root: html.HtmlElement, title: str) -> str:
    """A <title> with the site name around it ("بلدي نيوز :: …") -> its longest part, when the
    page shows that part alone as its headline; else the title as it is."""
    parts = [clean_line(p) for p in _TITLE_SEPARATORS.split(title)]
    longest = max(parts, key=len)
    if len(parts) > 1 and _element_showing(root, longest) is not None:
        return longest
    return title


def _element_showing(root: html.HtmlElement, text: str) -> html.HtmlElement | None:
    """A heading with exactly this text, else any element whose own text it is (old table
    layouts put the headline in a plain cell)."""
    for heading in root.iter("h1", "h2", "h3"):
        if clean_line(heading.text_content()) == text:
            return heading
    # not a link: a breadcrumb or a teaser elsewhere on the page may repeat the title
    found = root.xpath("//body//*[not(ancestor-or-self::a)][normalize-space(text())=$t]", t=text)
    return found[0] if found else None

"""The body of a page no hint was written for: trafilatura, with what it leaves in on news pages.

Before trafilatura (on the tree): layout tables become blocks (old sites lay the whole page out
in tables, which trafilatura renders as one pipe-separated row); what comes before the headline,
the date widget the visible-date reader used, short byline/caption/credit elements and
link-only paragraphs are removed. After it (on the lines): what precedes the headline (kicker, section, date), lines
that are only a date, repeated lines (a lead shown twice) and "read also" teasers go.
Each rule is measured on the evaluation set (`bench/extraction.py`, "no hints" figures).
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from monitor.extract.dates import is_date_line
from monitor.extract.fields import clean_line, showing_title, unique_lines
from monitor.extract.trafilatura_adapter import generic_text

# short elements that label the article rather than tell it
_NOISE_NAME = re.compile(
    r"(?<![a-z])(?:author|byline|speaker|writer|reporter|caption|credit|copyright|views|hits"
    r"|read-?time|breadcrumb)"
)
_NOISE_TAGS = ("figcaption",)
NOISE_MAX_CHARS = 120
LINK_SHARE = 0.8  # a paragraph that is this much link text is navigation or a teaser
TITLE_WITHIN_LINES = 6  # the headline repeated in the text sits in its first lines
DATE_LINES_AT_START = 2
_READ_ALSO = re.compile(
    r"^(?:[إا]قرأ\s+(?:أيضا|أيضاً|ايضا|المزيد)|شاهد\s+(?:أيضا|أيضاً)|read\s+(?:also|more)"
    r"|see\s+also|related\s*:)",
    re.IGNORECASE,
)


def body_text(tree: HtmlElement, url: str, title: str, date_element: HtmlElement | None) -> str:
    """The article text of a whole page by the generic path ('' when none is found)."""
    _unlayout_tables(tree)
    if (headline := showing_title(tree, title)) is not None:
        _drop_before(headline)
    for element in _noise(tree, date_element):
        if element.getparent() is not None:
            element.drop_tree()
    return tidy(generic_text(tree, url), title)


def tidy(text: str, title: str) -> str:
    lines = text.split("\n")
    head = [clean_line(line) for line in lines[:TITLE_WITHIN_LINES]]
    if title and clean_line(title) in head:
        lines = lines[head.index(clean_line(title)) + 1 :]
    lines = [line for line in lines if not _READ_ALSO.match(line.strip())]
    while lines and is_date_line(lines[-1]):
        lines.pop()
    start = [line for line in lines[:DATE_LINES_AT_START] if not is_date_line(line)]
    return unique_lines(start + lines[DATE_LINES_AT_START:])


def _drop_before(headline: HtmlElement) -> None:
    """Article text never comes before its headline: what does is navigation, a kicker, a
    section name, a sidebar laid out first."""
    node = headline
    while (parent := node.getparent()) is not None and node.tag != "body":
        for sibling in list(node.itersiblings(preceding=True)):
            parent.remove(sibling)  # with its tail: text before the headline as well
        parent.text = None
        node = parent


def _unlayout_tables(tree: HtmlElement) -> None:
    """Tables that hold other tables or long prose are page layout, not data: make them
    blocks so their cells read as paragraphs."""
    layout = [t for t in tree.iter("table") if _is_layout(t)]
    for table in layout:
        for element in table.iter("table", "tbody", "thead", "tfoot", "tr", "td", "th"):
            element.tag = "div"


def _is_layout(table: HtmlElement) -> bool:
    if table.tag != "table":  # already turned into a block as part of an outer layout
        return False
    if next(table.iterdescendants("table"), None) is not None:
        return True
    return any(len(cell.text_content()) > 400 for cell in table.iter("td"))


def _noise(tree: HtmlElement, date_element: HtmlElement | None) -> list[HtmlElement]:
    found = [date_element] if date_element is not None else []
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        names = f"{element.get('class') or ''} {element.get('id') or ''}".lower()
        if element.tag in _NOISE_TAGS or (names.strip() and _NOISE_NAME.search(names)):
            if len(element.text_content()) <= NOISE_MAX_CHARS:
                found.append(element)
        elif element.tag == "p" and _mostly_links(element):
            found.append(element)
    return found


def _mostly_links(paragraph: HtmlElement) -> bool:
    text = clean_line(paragraph.text_content())
    if not text:
        return False
    linked = sum(len(clean_line(a.text_content())) for a in paragraph.iter("a"))
    return linked >= LINK_SHARE * len(text)

"""The publication date a reader sees on the page, for pages whose metadata gives none.

Where it looks: `<time>` elements and date properties (microdata `itemprop`, RDFa
`property`), elements whose class, id or itemprop names a date or a time (bylines, post
meta), and the short lines just under the headline. What it skips: navigation, top bars
(many Arabic sites show *today's* date there), sidebars, related and most-read lists,
footers, comments, and teaser cards of other articles. Of the dates left, the one nearest
the headline wins; an "updated" date only when nothing else is there.

No library does this: htmldate reads the same kinds of elements but ranks them without
knowing where the headline is, so a sidebar or related-post date often wins (measured on the
evaluation set), and it knows neither the Levantine month names nor Arabic digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from lxml import etree
from lxml.html import HtmlElement

from monitor.domain import Published
from monitor.extract.dates import Bounds, normalize_date_text, parse_date, written_dates
from monitor.extract.fields import clean_line, headline_element

# class/id words of containers whose dates are not this article's; "no-share",
# "has-sidebar" and the like are layout modifiers of the main content, not asides
_ASIDE = re.compile(
    r"(?<![a-z])(?<!no-)(?<!no_)(?<!has-)(?<!has_)(?<!with-)"
    r"(?:nav|menu|top-?bar|header-?top|header_+top|sidebar|side-bar|related|popular"
    r"|most-?read|most-?viewed|trend|ticker|breaking|latest|recent|more-?news|more-?stories"
    r"|read-?more|footer|comment|share|social|breadcrumb|today|current-?date|weather|prayer"
    r"|newsletter|recommend|also|next-?post|prev)"
)
_ASIDE_TAGS = frozenset(
    "nav footer aside form select button script style noscript template".split()  # noqa: SIM905
)
_ASIDE_ROLES = frozenset(("navigation", "complementary", "contentinfo", "banner", "search"))
_DATE_NAME = re.compile(r"date|time|when|publish|posted|byline|dateline|stamp|created|meta|تاريخ")
_MODIFIED_NAME = re.compile(r"modif|updat|edited")
_PUBLISHED_NAME = re.compile(r"publish|entry-date|post-date|created")
_DATE_PROPERTIES = ("datepublished", "datecreated", "dc:date", "dc:created", "dcterms:created")
_MODIFIED_PROPERTIES = ("datemodified", "dc:modified", "dcterms:modified")
_UPDATED_LABEL = re.compile(
    r"(?:updated|modified|last edit|تحديث|تعديل|حدث)\W{0,3}\s*$", re.IGNORECASE
)
_YEAR = re.compile(r"(?:19|20)\d\d|[١٢][٠٩][٠-٩][٠-٩]")
_CAMEL = re.compile(r"([a-z])([A-Z])")

MAX_TEXT_CHARS = 160  # a date element or line is short; longer text is prose
MAX_CHILDREN = 8  # ... and has few children: a "meta"-named wrapper of a whole section is not one
UNDER_HEADLINE_ELEMENTS = 30  # "just under the title": this many elements after the headline
ABOVE_HEADLINE_ELEMENTS = 6  # ... or right above it (section and date line over the title)
TEASER_LINK_CHARS = 25  # a link this long is another article's headline (teaser card)
TEASER_LEVELS = 5
PENALTY_PLAIN_TEXT = 6  # a dated line without a date-ish name ranks after named elements
PENALTY_MODIFIED = 10_000  # "updated" only when there is nothing else
SAME_DAY_WINDOW = 12  # elements within which a time for the same day completes a day
MACHINE_BONUS = 3  # a datetime= attribute beats the same date as text in a wrapper around it
BEFORE_HEADLINE_WEIGHT = 2  # dates come under the headline more often than above it


@dataclass
class _Candidate:
    element: HtmlElement
    index: int
    text: str
    penalty: int
    attribute: bool = False  # a machine value (datetime=, content=), not visible text
    plain: bool = False  # a line of text with no date-ish name: counts only near the headline


@dataclass(frozen=True)
class ShownDate:
    value: Published
    element: HtmlElement  # where it was read
    widget: bool  # a date element (class, <time>, property), not a line of the text


def visible_date(tree: HtmlElement, title: str, order: str, bounds: Bounds) -> ShownDate | None:
    """The publication date shown nearest the headline, or None.

    A day is completed with a time shown close by for the same day (the time in a sibling,
    or in a `datetime=` attribute of the same block)."""
    headline = headline_element(tree, title)
    candidates, anchor = _candidates(tree, headline)
    around_headline = set(headline.iterancestors()) if headline is not None else set()
    ranked = sorted((_distance(c, anchor) + c.penalty, n, c) for n, c in enumerate(candidates))
    day: ShownDate | None = None
    window = 0
    for score, _, candidate in ranked:
        if day is not None and score > window:
            break
        if headline is not None and _in_teaser(candidate.element, around_headline):
            continue
        value = _read(candidate, order, bounds)
        if value is None:
            continue
        shown = ShownDate(value, candidate.element, widget=not candidate.plain)
        if isinstance(value, datetime) and (day is None or value.date() == day.value):
            return shown
        if day is None:
            day, window = shown, score + SAME_DAY_WINDOW
    return day


def _candidates(tree: HtmlElement, headline: HtmlElement | None) -> tuple[list[_Candidate], int]:
    """Date-bearing elements outside asides, and the headline's place among what is shown."""
    found: list[_Candidate] = []
    headline_index: int | None = None
    index = 0
    walker = etree.iterwalk(tree, events=("start",))
    for _, element in walker:
        if not isinstance(element.tag, str):
            continue
        names = _names(element)
        if _is_aside(element, names, headline):
            walker.skip_subtree()
            continue
        index += 1  # counts what a reader sees: asides do not push a date away
        if element is headline:
            headline_index = index
        found.extend(_element_candidates(element, names, index, element is not headline))
    found = [c for c in found if not c.plain or _near(c.index, headline_index)]
    return found, headline_index or 0


def _near(index: int, headline_index: int | None) -> bool:
    """Just above or under the headline: where a plain line of text can be its date."""
    if headline_index is None:
        return False
    return -ABOVE_HEADLINE_ELEMENTS <= index - headline_index <= UNDER_HEADLINE_ELEMENTS


def _is_aside(element: HtmlElement, names: str, headline: HtmlElement | None) -> bool:
    tag = element.tag
    if tag in _ASIDE_TAGS or (element.get("role") or "") in _ASIDE_ROLES:
        return headline is None or not _contains(element, headline)
    if tag == "header" or (names and _ASIDE.search(names)):
        return headline is None or not _contains(element, headline)
    return False


def _contains(element: HtmlElement, other: HtmlElement) -> bool:
    return any(ancestor is element for ancestor in other.iterancestors())


def _names(element: HtmlElement) -> str:
    classes, ident = element.get("class"), element.get("id")
    if not classes and not ident:
        return ""
    return _CAMEL.sub(r"\1-\2", f"{classes or ''} {ident or ''}").lower()


def _element_candidates(
    element: HtmlElement, names: str, index: int, plain_too: bool
) -> list[_Candidate]:
    attributes = element.attrib
    prop = (attributes.get("itemprop") or attributes.get("property") or "").lower()
    is_time = element.tag == "time"
    machine = attributes.get("datetime") or (attributes.get("content") if prop else None)
    if machine and (is_time or any(p in prop for p in _DATE_PROPERTIES + _MODIFIED_PROPERTIES)):
        penalty = _modified_penalty(prop, names) - MACHINE_BONUS
        return [_Candidate(element, index, machine, penalty, attribute=True)]
    if is_time or prop or (names and _DATE_NAME.search(names)):
        text = element.text_content() if len(element) < MAX_CHILDREN else ""
        if len(text) <= MAX_TEXT_CHARS and _YEAR.search(text):
            return [_Candidate(element, index, text, _modified_penalty(prop, names))]
        return []
    found = []
    if plain_too:
        # a tail is text of the parent: "<span><svg/> ٢٢ كانون الثاني ٢٠١٩</span>"
        for line, owner in ((element.text, element), (element.tail, element.getparent())):
            if line and owner is not None and len(line) <= MAX_TEXT_CHARS and _YEAR.search(line):
                found.append(_Candidate(owner, index, line, PENALTY_PLAIN_TEXT, plain=True))
    return found


def _modified_penalty(prop: str, names: str) -> int:
    """A last-modified date ranks last. Some themes (tagDiv) class the published date
    "entry-date updated"."""
    modified = any(p in prop for p in _MODIFIED_PROPERTIES) or (
        bool(_MODIFIED_NAME.search(names)) and not _PUBLISHED_NAME.search(names)
    )
    return PENALTY_MODIFIED if modified else 0


def _distance(candidate: _Candidate, anchor: int) -> int:
    offset = candidate.index - anchor
    return offset if offset >= 0 else -offset * BEFORE_HEADLINE_WEIGHT


def _in_teaser(element: HtmlElement, around_headline: set[HtmlElement]) -> bool:
    """Inside a card of another article: an enclosing block, short of the one holding the
    headline, that links a long title."""
    for level, ancestor in enumerate(element.iterancestors()):
        if level >= TEASER_LEVELS or ancestor in around_headline:
            return False
        for link in ancestor.iter("a"):
            if len(clean_line(link.text_content())) >= TEASER_LINK_CHARS:
                return True
    return False


def _read(candidate: _Candidate, order: str, bounds: Bounds) -> Published | None:
    if candidate.attribute:
        return parse_date(candidate.text, order, bounds)
    value = _published_of(normalize_date_text(candidate.text), order, bounds)
    if value is None or isinstance(value, datetime):
        return value
    # the day alone: the time may sit in a sibling ("<span>3 يونيو 2020</span> <span>3:01</span>")
    parent = candidate.element.getparent()
    if parent is not None and len(around := " ".join(parent.itertext())) <= MAX_TEXT_CHARS:
        timed = _published_of(normalize_date_text(around), order, bounds)
        if isinstance(timed, datetime) and timed.date() == value:
            return timed
    return value


def _published_of(text: str, order: str, bounds: Bounds) -> Published | None:
    """The first date in the text that is not labelled as an update."""
    dates = list(written_dates(text, order, bounds))
    for value, start in dates:
        if not _UPDATED_LABEL.search(text[max(0, start - 30) : start]):
            return value
    return dates[0][0] if dates else None

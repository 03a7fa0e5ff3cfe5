"""Publication dates: Arabic and English date strings -> aware UTC datetime or a day.

ISO 8601 and RFC 2822 stamps (metadata, feeds) go to the stdlib: exact and fast. dateparser
reads the rest: English and Egyptian/Gulf Arabic month names (يناير … ديسمبر), but not the
Levantine names Syrian sites use (كانون الثاني … كانون الأول), Eastern Arabic digits in
every position, combined forms ("تشرين الأول/أكتوبر") or the misspellings seen on the
Coalition's pages ("أكتوير", "كانون شباط"). `_to_dateparser_arabic` rewrites exactly those
into forms dateparser knows; everything else is dateparser's job.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache

from dateparser.date import DateDataParser
from htmldate import find_date
from lxml.html import HtmlElement

from monitor.domain import Published

EARLIEST = date(1995, 1, 1)  # nothing we monitor was published before this
FUTURE_TOLERANCE = timedelta(days=1)  # time zones: "tomorrow" somewhere is today in UTC

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_NOISE = str.maketrans({"،": ",", "ـ": None, "\u200f": None, "\u200e": None, "\xa0": " "})

# Levantine month -> the Egyptian/Gulf name dateparser knows. Keys are regexes over text whose
# hamza/alef forms are already unified (أ إ آ -> ا) by `_unify_alef`.
_LEVANTINE = (
    (r"كانون\s*(?:ال)?ثاني", "يناير"),
    (r"كانون\s*(?:ال)?اول", "ديسمبر"),
    (r"تشرين\s*(?:ال)?ثاني", "نوفمبر"),
    (r"تشرين\s*(?:ال)?اول", "اكتوبر"),
    (r"(?:كانون\s+)?شباط", "فبراير"),  # "26 كانون شباط، 2016" (sic) on the Coalition's site
    (r"اذار", "مارس"),
    (r"نيسان", "ابريل"),
    (r"ايار", "مايو"),
    (r"حزيران", "يونيو"),
    (r"تموز", "يوليو"),
    (r"اب", "اغسطس"),
    (r"ايلول", "سبتمبر"),
)
_GULF_NAMES = (
    "يناير فبراير مارس ابريل مايو يونيو يونيه يوليو يوليه اغسطس سبتمبر اكتوبر نوفمبر ديسمبر"
)
_MISSPELLED = ((r"اكتوير|اكتوبور|اكتبر", "اكتوبر"), (r"فبرابر", "فبراير"), (r"ابرايل", "ابريل"))
_MONTH_ALTERNATIVES = "|".join([*(p for p, _ in _LEVANTINE + _MISSPELLED), *_GULF_NAMES.split()])
_REWRITES = tuple(
    (re.compile(rf"(?<!\w)(?:{pattern})(?!\w)"), replacement)
    for pattern, replacement in _MISSPELLED + _LEVANTINE
)
# "تشرين الأول/أكتوبر" (Levantine/Gulf pair): keep one name, the rest is redundant
_COMBINED = re.compile(rf"((?:{_MONTH_ALTERNATIVES}))\s*/\s*(?:{_MONTH_ALTERNATIVES})(?![\w])")
_ARABIC_LETTER = re.compile(r"[\u0600-\u06ff]")
_ISO_DAY = re.compile(r"\d{4}-\d\d-\d\d")
_ISO_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d")
_RFC2822 = re.compile(r"(?:[A-Z][a-z]{2}, )?\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d")

_EN_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
# A written date inside running text: "5 October 2013", "October 5, 2013", "٣٠ تشرين أول ٢٠١٨"
_DATELINE = re.compile(
    rf"\b\d{{1,2}}\s+(?:{_EN_MONTH})\s*,?\s*(?:19|20)\d\d\b"
    rf"|\b(?:{_EN_MONTH})\s+\d{{1,2}}\s*,\s*(?:19|20)\d\d\b"
    rf"|(?<!\d)\d{{1,2}}\s+(?:{_MONTH_ALTERNATIVES})\s*(?:/\s*(?:{_MONTH_ALTERNATIVES})\s*)?,?\s*(?:19|20)\d\d\b",
    re.IGNORECASE,
)
DATELINE_LINES = 6  # a dateline sits in the header lines of a release
DATELINE_MAX_CHARS = 100  # ... and is short: dates inside prose are about other events


def _unify_alef(text: str) -> str:
    return re.sub("[أإآ]", "ا", text)


def normalize_date_text(text: str) -> str:
    """Digits to ASCII, Arabic comma/tatweel/direction marks removed, hamza forms unified."""
    text = text.translate(_DIGITS).translate(_NOISE)
    return re.sub(r"\s+", " ", _unify_alef(text)).strip()


def _to_dateparser_arabic(text: str) -> str:
    """Rewrite Levantine month names, combined forms and misspellings into Gulf names."""
    text = _COMBINED.sub(r"\1", text)
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return text


@lru_cache(maxsize=4)
def _parser(order: str) -> DateDataParser:
    return DateDataParser(
        languages=["ar", "en"],
        settings={
            "DATE_ORDER": order,
            "REQUIRE_PARTS": ["day", "month", "year"],
            "RETURN_TIME_AS_PERIOD": True,
            "PREFER_DATES_FROM": "past",
        },
    )


def parse_date(text: str, order: str = "DMY", now: datetime | None = None) -> Published | None:
    """One date string from markup, metadata or a feed -> aware UTC datetime or a day.

    A time without a UTC offset is reduced to its day: guessing the zone would shift
    late-evening articles to the wrong day as often as it fixes them.
    """
    cleaned = normalize_date_text(text)
    if not cleaned or not re.search(r"\d", cleaned):
        return None
    found = _machine_stamp(cleaned)
    if found is None:
        if _ARABIC_LETTER.search(cleaned):
            cleaned = _to_dateparser_arabic(cleaned)
        data = _parser(order).get_date_data(cleaned[:200])
        if data.date_obj is None:
            return None
        found = data.date_obj if data.period == "time" else data.date_obj.date()
    if isinstance(found, datetime):
        found = found.astimezone(UTC) if found.tzinfo is not None else found.date()
    return found if plausible(found, now) else None


def _machine_stamp(text: str) -> datetime | date | None:
    """ISO 8601 (metadata, JSON-LD) and RFC 2822 (feeds) by the stdlib: exact and fast."""
    if _ISO_DAY.fullmatch(text):
        return date.fromisoformat(text)
    if _ISO_TIME.match(text):
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            return None
    if _RFC2822.match(text):
        try:
            return parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    return None


def plausible(value: Published, now: datetime | None = None) -> bool:
    """Not before the sources existed, not after the page was fetched."""
    now = now or datetime.now(UTC)
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST <= day <= (now + FUTURE_TOLERANCE).date()


def find_dateline(text: str, order: str = "DMY", now: datetime | None = None) -> Published | None:
    """The date of a short header line at the top of an article's text (its dateline)."""
    for line in text.split("\n", DATELINE_LINES)[:DATELINE_LINES]:
        if len(line) > DATELINE_MAX_CHARS:
            continue
        for match in _DATELINE.finditer(_unify_alef(line.translate(_DIGITS).translate(_NOISE))):
            if (value := parse_date(match.group(0), order, now)) is not None:
                return value
    return None


def htmldate_day(tree: HtmlElement, url: str | None, now: datetime) -> date | None:
    """htmldate's publication day from markup it knows (no free-text search: top bars)."""
    found = find_date(
        tree,
        url=url,
        extensive_search=False,
        original_date=True,
        max_date=(now + FUTURE_TOLERANCE).strftime("%Y-%m-%d"),
    )
    if found is None:
        return None
    day = date.fromisoformat(found)
    return day if plausible(day, now) else None

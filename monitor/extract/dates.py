"""Publication dates: Arabic and English date strings -> aware datetime (offset kept) or a day.

A datetime keeps the offset the source gave (`2020-06-03T03:01:00+04:00`): converting to UTC
loses the day the source published on, which is the day the page and the analyst show.
A local time without an offset is read in the source's declared zone; such a datetime
carries that `ZoneInfo` as its tzinfo (a given offset is a fixed `timezone`), which is how
`assumed_zone` tells the two apart.

ISO 8601 and RFC 2822 stamps (metadata, feeds) go to the stdlib. Written dates are matched by
one pattern and converted with a month table, written here because dateparser lacks the
Levantine month names Syrian sites use (كانون الثاني … كانون الأول), the combined forms
("تشرين الأول/أكتوبر", "تشرين2/نوفمبر"), the Coalition's misspellings ("أكتوير", "كانون
شباط") and Arabic am/pm marks, and because it costs 1.5-2 ms a call, a third of a whole
page's extraction, while the visible-date reader tries several strings per page.
dateparser still reads whatever other form a source's date selector points at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateparser.date import DateDataParser
from htmldate import find_date
from lxml.html import HtmlElement

from monitor.domain import Published

EARLIEST = date(1995, 1, 1)  # nothing we monitor was published before this
# A zone can be 14 h ahead of UTC: a day that is "tomorrow" in UTC may be today there.
FUTURE_TOLERANCE = timedelta(hours=15)

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_NOISE = str.maketrans({"،": ",", "ـ": None, "\u200f": None, "\u200e": None, "\xa0": " "})

# Month names as they appear once `normalize_date_text` has unified hamza/alef (أ إ آ -> ا).
# Spaces inside a name match any spacing (and none: "تشرين2" is Joomla's short form).
_MONTH_NAMES = {
    1: "يناير|كانون الثاني|كانون ثاني|كانون 2|جانفي|january|jan",
    2: "فبراير|فبرابر|كانون شباط|شباط|فيفري|february|feb",  # "كانون شباط" (sic), Coalition
    3: "مارس|اذار|march|mar",
    4: "ابريل|ابرايل|نيسان|افريل|april|apr",
    5: "مايو|ايار|ماي|may",
    6: "يونيو|يونيه|حزيران|جوان|june|jun",
    7: "يوليو|يوليه|تموز|جويلية|july|jul",
    8: "اغسطس|اب|اوت|august|aug",
    9: "سبتمبر|ايلول|september|sept|sep",
    10: "اكتوبر|اكتوير|اكتوبور|اكتبر|تشرين الاول|تشرين اول|تشرين 1|october|oct",
    11: "نوفمبر|تشرين الثاني|تشرين ثاني|تشرين 2|november|nov",
    12: "ديسمبر|كانون الاول|كانون اول|كانون 1|december|dec",
}
_MONTHS = {
    name.replace(" ", ""): n for n, names in _MONTH_NAMES.items() for name in names.split("|")
}
_MONTH_ALTERNATIVES = "|".join(
    name.replace(" ", r"\s*")
    for name in sorted((m for ms in _MONTH_NAMES.values() for m in ms.split("|")), key=len)[::-1]
)


def _month(group: str) -> str:
    """One month, or a Levantine/Gulf pair: "تشرين الأول/أكتوبر", "حزيران (يونيو)"."""
    names = _MONTH_ALTERNATIVES
    return rf"(?P<{group}>{names})\.?(?:\s*[/(]\s*(?:{names})\s*\)?)?"


def _day(group: str) -> str:
    return rf"(?P<{group}>[0-3]?\d)(?:st|nd|rd|th)?"


def _year(group: str) -> str:
    return rf"(?P<{group}>(?:19|20)\d\d)(?:\s*م)?"  # "2019م": م is "AD" after a year


def _clock(p: str) -> str:
    """HH:MM[:SS], an am/pm mark (English or Arabic), a zone; group names prefixed by `p`."""
    zone = (
        rf"(?P<{p}zone>(?:GMT|UTC)\s*[+-]\s*\d{{1,2}}(?::?\d\d)?|GMT|UTC|Z(?!\w)|[+-]\d\d:?\d\d"
        r"|EDT|EST|(?:بتوقيت|توقيت)\s+(?:غرينتش|جرينتش|دمشق|موسكو|مكة المكرمة|مكة|واشنطن)|ت\.?غ)"
    )
    return (
        rf"(?P<{p}hour>[01]?\d|2[0-3]):(?P<{p}minute>[0-5]\d)(?::(?P<{p}second>[0-5]\d))?"
        rf"(?:\s*(?P<{p}half>a\.?m\.?|p\.?m\.?|صباحًا|صباحا|مساءً|مساءا|مساء|ص|م)(?!\w))?(?:\s*{zone})?"
    )


_NOT_AFTER = r"(?<![\w/.:-])"  # a date does not start inside a number, a URL or a clock
_DATE = "|".join(
    (
        rf"{_NOT_AFTER}{_day('day')}[\s.,-]*{_month('month')}[\s.,-]*{_year('year')}(?!\w)",
        rf"{_NOT_AFTER}{_month('month2')}\s+{_day('day2')}\s*,?\s*{_year('year2')}(?!\w)",
        rf"{_NOT_AFTER}(?P<iy>(?:19|20)\d\d)(?P<s1>[-/.])(?P<im>[01]?\d)(?P=s1)(?P<id>[0-3]?\d)(?![\w/.])",
        rf"{_NOT_AFTER}(?P<na>[0-3]?\d)(?P<s2>[-/.])(?P<nb>[0-3]?\d)(?P=s2)(?P<ny>(?:19|20)\d\d)(?![\w/.])",
    )
)
_TIME_SEP = r"\s*(?:[-|–—,@]|\bat\b|الساعة|على الساعة|في)?\s*T?"
_WEEKDAY_GAP = r"[^\d:]{0,16}?"  # "10:15 ص، الخميس 5 مارس 2020": a weekday between
# A written date with an optional time before or after it: "الاثنين ٢٤ حزيران ٢٠١٩ - ١١:٣٠",
# "02.11.2025 | 14:45 GMT", "10:15 ص، 5 مارس 2020", "June 24, 2019 at 3:05 p.m. EDT".
_WRITTEN = re.compile(
    rf"(?:{_clock('b')}{_WEEKDAY_GAP})?(?:{_DATE})(?:{_TIME_SEP}{_clock('a')})?", re.IGNORECASE
)
_ISO_DAY = re.compile(r"\d{4}-\d\d-\d\d")
_ISO_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d")
_RFC2822 = re.compile(r"(?:[A-Z][a-z]{2}, )?\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d")
_NAMED_ZONES = {
    "edt": timezone(timedelta(hours=-4)),
    "est": timezone(timedelta(hours=-5)),
    "دمشق": ZoneInfo("Asia/Damascus"),
    "موسكو": ZoneInfo("Europe/Moscow"),
    "مكة": timezone(timedelta(hours=3)),
    "مكة المكرمة": timezone(timedelta(hours=3)),
    "واشنطن": ZoneInfo("America/New_York"),
}
_OFFSET = re.compile(r"([+-])\s*(\d{1,2}):?(\d\d)?$")
_PM = ("p", "م", "مساء")
_ARABIC_LETTER = re.compile(r"[\u0600-\u06ff]")
# labels and weekdays that may stand around a date on a line of its own (hamza unified)
_DATE_LINE_WORDS = re.compile(
    r"\b(?:published|posted|updated|last updated|date|on|(?:mon|tues|wednes|thurs|fri|satur|sun)day"
    r"|نشر|نشرت|بتاريخ|تاريخ النشر|تاريخ|اخر تحديث|تحديث|في|الاثنين|الثلاثاء|الاربعاء"
    r"|الخميس|الجمعة|السبت|الاحد)\b",
    re.IGNORECASE,
)
DATELINE_LINES = 6  # a dateline sits in the header lines of a release
DATELINE_MAX_CHARS = 100  # ... and is short: dates inside prose are about other events


@dataclass(frozen=True)
class Bounds:
    """What a publication date of one source can be: its zone, when it began, the fetch time."""

    now: datetime
    zone: str = "UTC"
    earliest: date | None = None

    @property
    def tz(self) -> tzinfo:
        return _zone(self.zone)

    def allows(self, value: Published) -> bool:
        """Not before the source existed, not after the page was fetched."""
        first = max(EARLIEST, self.earliest or EARLIEST)
        if isinstance(value, datetime):
            return first <= value.date() and value <= self.now + FUTURE_TOLERANCE
        return first <= value <= (self.now + FUTURE_TOLERANCE).date()


@lru_cache(maxsize=32)
def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (an IANA name such as Asia/Damascus)"
        ) from None


def assumed_zone(value: Published | None) -> str | None:
    """The source zone a local time was read in; None when the text gave the offset."""
    if isinstance(value, datetime) and isinstance(value.tzinfo, ZoneInfo):
        return value.tzinfo.key
    return None


def normalize_date_text(text: str) -> str:
    """Digits to ASCII, Arabic comma/tatweel/direction marks removed, hamza forms unified."""
    text = text.translate(_DIGITS).translate(_NOISE)
    return re.sub(r"\s+", " ", re.sub("[أإآ]", "ا", text)).strip()


def parse_date(text: str, order: str = "DMY", bounds: Bounds | None = None) -> Published | None:
    """One date string from markup, metadata or a feed -> aware datetime or a day."""
    bounds = bounds or Bounds(datetime.now(UTC))
    cleaned = normalize_date_text(text)
    if not cleaned or not re.search(r"\d", cleaned):
        return None
    found = _machine_stamp(cleaned, bounds.tz)
    if found is None:
        found = next((value for value, _ in written_dates(cleaned, order, bounds)), None)
        if found is None and not _ARABIC_LETTER.search(cleaned):
            found = _dateparser_date(cleaned, order, bounds.tz)
    return found if found is not None and bounds.allows(found) else None


def as_published(value: date | datetime, bounds: Bounds) -> Published | None:
    """A date another stage parsed (a feed, a sitemap): a naive time read in the source's
    zone, and refused when the source cannot have published it then."""
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=bounds.tz)
    return value if bounds.allows(value) else None


def written_dates(text: str, order: str, bounds: Bounds) -> Iterator[tuple[Published, int]]:
    """Every plausible written date in normalised text, with the offset where it starts."""
    for match in _WRITTEN.finditer(text):
        value = _from_match(match, order, bounds.tz)
        if value is not None and bounds.allows(value):
            yield value, match.start()


def _from_match(match: re.Match[str], order: str, source_zone: tzinfo) -> Published | None:
    g = match.groupdict()
    try:
        if g["year"] or g["year2"]:
            month = _MONTHS[re.sub(r"\s+", "", (g["month"] or g["month2"]).lower())]
            day = date(int(g["year"] or g["year2"]), month, int(g["day"] or g["day2"]))
        elif g["iy"]:
            day = date(int(g["iy"]), int(g["im"]), int(g["id"]))
        else:
            first, second = int(g["na"]), int(g["nb"])
            month, dom = (first, second) if order.startswith("M") else (second, first)
            day = date(int(g["ny"]), month, dom)
    except (KeyError, ValueError):
        return None
    prefix = "a" if g["ahour"] else "b" if g["bhour"] else None
    if prefix is None:
        return day
    hour = int(g[f"{prefix}hour"])
    half = (g[f"{prefix}half"] or "").lower()
    if half and hour <= 12:
        hour = hour % 12 + (12 if half.startswith(_PM) else 0)
    clock = time(hour, int(g[f"{prefix}minute"]), int(g[f"{prefix}second"] or 0))
    return _in_zone(datetime.combine(day, clock), g[f"{prefix}zone"], source_zone)


def _in_zone(naive: datetime, zone_text: str | None, source_zone: tzinfo) -> datetime:
    """A written time with the zone it names (kept as a fixed offset), else the source's."""
    if not zone_text:
        return naive.replace(tzinfo=source_zone)
    name = zone_text.lower().replace("بتوقيت", "").replace("توقيت", "").strip()
    if offset := _OFFSET.search(name):
        sign = -1 if offset.group(1) == "-" else 1
        delta = timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3) or 0))
        return naive.replace(tzinfo=timezone(sign * delta))
    named = _NAMED_ZONES.get(name)
    if named is None:  # GMT, UTC, Z, غرينتش, ت.غ
        return naive.replace(tzinfo=UTC)
    local = naive.replace(tzinfo=named)
    return local.replace(tzinfo=timezone(local.utcoffset() or timedelta()))


def _machine_stamp(text: str, source_zone: tzinfo) -> Published | None:
    """ISO 8601 (metadata, JSON-LD) and RFC 2822 (feeds) by the stdlib: exact and fast."""
    if _ISO_DAY.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    stamp = None
    try:
        if _ISO_TIME.match(text):
            stamp = datetime.fromisoformat(text)
        elif _RFC2822.match(text):
            stamp = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if stamp is None:
        return None
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=source_zone)


@lru_cache(maxsize=4)
def _parser(order: str) -> DateDataParser:
    return DateDataParser(
        languages=["en"],  # Arabic forms are all in the pattern
        settings={
            "DATE_ORDER": order,
            "REQUIRE_PARTS": ["day", "month", "year"],
            "RETURN_TIME_AS_PERIOD": True,
            "PREFER_DATES_FROM": "past",
        },
    )


def _dateparser_date(text: str, order: str, source_zone: tzinfo) -> Published | None:
    """Forms the pattern does not know ("the 5th of May 2019"), read by dateparser."""
    data = _parser(order).get_date_data(text[:200])
    found = data.date_obj
    if found is None:
        return None
    if data.period != "time":
        return found.date()
    return found if found.tzinfo is not None else found.replace(tzinfo=source_zone)


def is_date_line(line: str) -> bool:
    """A line that is only a date: "الأحد, 21 آب 2016 - 13:45", "Published on 4 April 2018"."""
    text = normalize_date_text(line)
    match = _WRITTEN.search(text) if len(text) <= DATELINE_MAX_CHARS else None
    if match is None:
        return False
    rest = _DATE_LINE_WORDS.sub(" ", text[: match.start()] + " " + text[match.end() :])
    return not re.search(r"\w", rest)


def find_dateline(text: str, order: str, bounds: Bounds) -> Published | None:
    """The date of a short header line at the top of an article's text (its dateline)."""
    for line in text.split("\n", DATELINE_LINES)[:DATELINE_LINES]:
        if len(line) <= DATELINE_MAX_CHARS:
            for value, _ in written_dates(normalize_date_text(line), order, bounds):
                return value
    return None


def htmldate_day(tree: HtmlElement, url: str | None, bounds: Bounds) -> date | None:
    """htmldate's publication day from markup it knows (no free-text search: top bars)."""
    found = find_date(
        tree,
        url=url,
        extensive_search=False,
        original_date=True,
        max_date=(bounds.now + FUTURE_TOLERANCE).strftime("%Y-%m-%d"),
    )
    if found is None:
        return None
    day = date.fromisoformat(found)
    return day if bounds.allows(day) else None

"""Date forms seen on the monitored sites, offsets kept, source zones, and the order of trust."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from monitor.domain import FeedEntry, RawPage, SourceHints
from monitor.extract import TimedExtractor
from monitor.extract.dates import (
    Bounds,
    as_published,
    assumed_zone,
    find_dateline,
    is_date_line,
    parse_date,
)

NOW = datetime(2026, 7, 21, 9, 0, tzinfo=UTC)
UTC_BOUNDS = Bounds(NOW)
DAMASCUS = Bounds(NOW, "Asia/Damascus")


def plus(hours: int) -> timezone:
    return timezone(timedelta(hours=hours))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Eastern Arabic digits with Levantine months, with and without ال
        ("٣٠ تشرين أول ٢٠١٨", date(2018, 10, 30)),
        ("٥ كانون الثاني ٢٠١٧", date(2017, 1, 5)),
        ("5 كانون ثاني 2017", date(2017, 1, 5)),
        ("3 تشرين ثاني 2015", date(2015, 11, 3)),
        ("3 تشرين الثاني 2015", date(2015, 11, 3)),
        ("21 كانون الأول 2018", date(2018, 12, 21)),
        ("21 كانون أول 2018", date(2018, 12, 21)),
        ("4 شباط 2016", date(2016, 2, 4)),
        ("1 آذار 2017", date(2017, 3, 1)),
        ("9 نيسان 2017", date(2017, 4, 9)),
        ("الأحد 25 أيار 2025", date(2025, 5, 25)),
        ("2 حزيران 2014", date(2014, 6, 2)),
        ("12 تموز 2016", date(2016, 7, 12)),
        ("21 آب 2013", date(2013, 8, 21)),
        ("1 أيلول 2013", date(2013, 9, 1)),
        ("٢٠١٩/٠٥/٢١", date(2019, 5, 21)),
        ("24 حزيران 2019م", date(2019, 6, 24)),
        # Egyptian/Gulf and Maghreb names, and the spelling variants
        ("5 يناير 2017", date(2017, 1, 5)),
        ("14 يناير، 2025", date(2025, 1, 14)),
        ("20 يونيه 2019", date(2019, 6, 20)),
        ("8 إبريل 2018", date(2018, 4, 8)),
        ("7 أكتوبر 2019", date(2019, 10, 7)),
        ("3 جوان 2020", date(2020, 6, 3)),
        ("يونيو 3, 2020", date(2020, 6, 3)),
        # combined Levantine/Gulf forms, Joomla's short form and the Coalition's misspellings
        ("30 تشرين الأول/أكتوبر 2018", date(2018, 10, 30)),
        ("30 تشرين الأول/أكتوير 2018", date(2018, 10, 30)),
        ("30 تشرين الأول (أكتوبر) 2018", date(2018, 10, 30)),
        ("26 تشرين2/نوفمبر 2018", date(2018, 11, 26)),
        ("12 تشرين أول، 2018", date(2018, 10, 12)),
        ("26 كانون شباط، 2016", date(2016, 2, 26)),
        # English
        ("October 5, 2013", date(2013, 10, 5)),
        ("July 17, 2026", date(2026, 7, 17)),
        ("28 October 2019", date(2019, 10, 28)),
        ("Sunday, 25 May , 2025", date(2025, 5, 25)),
        ("24-Jun-2019", date(2019, 6, 24)),
        ("the 5th of May 2019", date(2019, 5, 5)),  # not in the pattern: dateparser reads it
        ("2026-03-14", date(2026, 3, 14)),
        # a time with no offset is read in the source's zone (Damascus: +02:00 in winter,
        # +03:00 in summer until 2022, +03:00 all year since)
        (
            "الثلاثاء، 30 تشرين الأول/أكتوير 2018 14:20",
            datetime(2018, 10, 30, 14, 20, tzinfo=plus(2)),
        ),
        ("الاثنين ٢٤ حزيران ٢٠١٩ - ١١:٣٠", datetime(2019, 6, 24, 11, 30, tzinfo=plus(3))),
        ("الإثنين, 26 تشرين2/نوفمبر 2018 15:07", datetime(2018, 11, 26, 15, 7, tzinfo=plus(2))),
        ("نشر في: 05 مارس 2020 - 10:15 ص", datetime(2020, 3, 5, 10, 15, tzinfo=plus(2))),
        ("24/06/2019 11:30 م", datetime(2019, 6, 24, 23, 30, tzinfo=plus(3))),
        ("10:15 ص، الخميس 5 مارس 2020", datetime(2020, 3, 5, 10, 15, tzinfo=plus(2))),
        ("الخميس 5 آذار 2020 الساعة 10:15", datetime(2020, 3, 5, 10, 15, tzinfo=plus(2))),
        ("Monday, 26 November 2018 15:07", datetime(2018, 11, 26, 15, 7, tzinfo=plus(2))),
        ("June 24, 2019 at 3:05 pm", datetime(2019, 6, 24, 15, 5, tzinfo=plus(3))),
        ("13 كانون الثاني 2024 09:00", datetime(2024, 1, 13, 9, 0, tzinfo=plus(3))),
        ("2026-03-14 09:21", datetime(2026, 3, 14, 9, 21, tzinfo=plus(3))),
    ],
)
def test_date_forms(text: str, expected: date | datetime) -> None:
    parsed = parse_date(text, "DMY", DAMASCUS)
    assert type(parsed) is type(expected)
    assert parsed == expected
    if isinstance(parsed, datetime):
        assert parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2020-06-03T03:01+0400", "2020-06-03T03:01:00+04:00"),  # not 2020-06-02T23:01 UTC
        ("2025-11-02T17:45:00+03:00", "2025-11-02T17:45:00+03:00"),
        ("2026-07-11T09:09:35-04:00", "2026-07-11T09:09:35-04:00"),
        ("Sat, 11 Jul 2026 13:09:35 +0000", "2026-07-11T13:09:35+00:00"),
        ("02.11.2025 | 14:45 GMT", "2025-11-02T14:45:00+00:00"),
        ("Monday 24 June 2019 11:30 GMT+3", "2019-06-24T11:30:00+03:00"),
        ("July 20, 2026 2:05 p.m. EDT", "2026-07-20T14:05:00-04:00"),
        ("24 حزيران 2019 | 11:30 بتوقيت دمشق", "2019-06-24T11:30:00+03:00"),
        ("24 حزيران 2019 - 11:30 بتوقيت غرينتش", "2019-06-24T11:30:00+00:00"),
    ],
)
def test_an_offset_the_text_gives_is_kept_as_given(text: str, iso: str) -> None:
    """The source's day is the day the page shows: converting to UTC would change it."""
    parsed = parse_date(text, "DMY", Bounds(NOW, "Europe/Moscow"))
    assert isinstance(parsed, datetime)
    assert parsed.isoformat() == iso
    assert assumed_zone(parsed) is None  # the text named its zone: nothing was assumed


@pytest.mark.parametrize(
    ("zone", "iso"),
    [
        ("Asia/Damascus", "2019-06-24T11:30:00+03:00"),
        ("Europe/Moscow", "2019-06-24T11:30:00+03:00"),
        ("America/New_York", "2019-06-24T11:30:00-04:00"),
        ("UTC", "2019-06-24T11:30:00+00:00"),
    ],
)
def test_a_local_time_is_read_in_the_source_zone_and_says_so(zone: str, iso: str) -> None:
    parsed = parse_date("24 حزيران 2019 - 11:30", "DMY", Bounds(NOW, zone))
    assert parsed is not None and parsed.isoformat() == iso
    assert assumed_zone(parsed) == zone


def test_an_unknown_zone_name_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="IANA name"):
        parse_date("24 حزيران 2019 - 11:30", "DMY", Bounds(NOW, "Damascus"))


def test_month_day_order_comes_from_the_source() -> None:
    assert parse_date("07/04/2026", "MDY", UTC_BOUNDS) == date(2026, 7, 4)
    assert parse_date("07/04/2026", "DMY", UTC_BOUNDS) == date(2026, 4, 7)


@pytest.mark.parametrize(
    "text", ["in Press Releases", "", "32 خبر", "2030-01-01", "3 May 1970", "31 شباط 2019"]
)
def test_not_dates_and_impossible_dates_are_refused(text: str) -> None:
    assert parse_date(text, "DMY", UTC_BOUNDS) is None


def test_future_dates_are_refused() -> None:
    assert parse_date("15 آب 2026", "DMY", UTC_BOUNDS) is None
    assert parse_date("2026-07-22T10:00:00+00:00", "DMY", UTC_BOUNDS) is None
    # ... but "today" in a zone ahead of UTC is not the future
    assert parse_date("21 تموز 2026 - 17:30", "DMY", DAMASCUS) is not None


def test_dates_before_the_source_existed_are_refused() -> None:
    coalition = Bounds(NOW, "Asia/Damascus", earliest=date(2012, 11, 11))
    assert parse_date("21 آب 2012", "DMY", coalition) is None
    assert parse_date("21 آب 2013", "DMY", coalition) == date(2013, 8, 21)


def test_a_discovery_date_gets_the_source_zone_and_the_same_limits() -> None:
    assert as_published(datetime(2019, 6, 24, 11, 30), DAMASCUS) == datetime(
        2019, 6, 24, 11, 30, tzinfo=plus(3)
    )
    assert as_published(date(2030, 1, 1), DAMASCUS) is None


@pytest.mark.parametrize(
    ("line", "alone"),
    [
        ("الأحد, 21 آب 2016 - 13:45", True),
        ("Published on 4 April 2018", True),
        ("نشر في: 05 مارس 2020 - 10:15 ص", True),
        ("February 24, 2012", True),
        ("Istanbul, Turkey / October 28, 2019", False),
        ("بلدي نيوز - درعا | السبت 31 تموز 2021 - 09:20", False),
        ("The Coalition condemned the attack of 21 August 2013.", False),
    ],
)
def test_a_line_that_is_only_a_date(line: str, alone: bool) -> None:
    assert is_date_line(line) is alone


def test_dateline_is_read_from_the_header_lines_only() -> None:
    release = "بيان صحفي\nالائتلاف الوطني لقوى الثورة والمعارضة السورية\nالدائرة الإعلامية\n٣٠ تشرين أول ٢٠١٨\nيدين الائتلاف"
    assert find_dateline(release, "DMY", UTC_BOUNDS) == date(2018, 10, 30)
    english = "Press Release / Syrian Coalition / Istanbul, Turkey / October 5, 2013\nThe Supreme Military Council"
    assert find_dateline(english, "DMY", UTC_BOUNDS) == date(2013, 10, 5)
    prose = (
        "بلدي نيوز - (فراس عز الدين)\nيستعيد ناجون من مجزرة الكيماوي التي ارتكبها نظام الأسد في الغوطة "
        "الشرقية في 21 آب 2013 تفاصيل تلك الليلة، حين استيقظ الأهالي على أصوات الصواريخ ورائحة غريبة."
    )
    assert find_dateline(prose, "DMY", UTC_BOUNDS) is None


JNEWS_TOP_BAR_ONLY = """<html><body>
<div class="jeg_topbar"><div class="jeg_nav_item jeg_top_date">Sunday, 25 May , 2025</div></div>
<div class="jeg_sidebar"><div class="jeg_post"><h3 class="jeg_post_title"><a>Another story</a></h3>
<div class="jeg_meta_date"><a>May 24, 2025</a></div></div></div>
<div class="entry-header"><h1 class="jeg_post_title">SOC Meets Kurdish National Council</h1></div>
<div class="content-inner"><p>The President of the Syrian Opposition Coalition received a delegation of the
Kurdish National Council at the Coalition's headquarters in Istanbul.</p></div>
</body></html>"""


def test_top_bar_date_is_never_the_publication_date(
    extractor: TimedExtractor,
    source_hints: dict[str, SourceHints],
    make_page: Callable[..., RawPage],
) -> None:
    """The Coalition's top bar shows the crawl day: with no real date, the date is unknown."""
    page = make_page(JNEWS_TOP_BAR_ONLY, url="https://en.etilaf.org/press/x")
    assert page.fetched_at.date() == date(2025, 5, 25)
    article = extractor.extract(page, source_hints["etilaf"])
    assert article.published is None
    assert article.title == "SOC Meets Kurdish National Council"


def test_date_under_the_headline_beats_the_top_bar(
    extractor: TimedExtractor,
    source_hints: dict[str, SourceHints],
    make_page: Callable[..., RawPage],
) -> None:
    html = JNEWS_TOP_BAR_ONLY.replace(
        '<h1 class="jeg_post_title">SOC Meets Kurdish National Council</h1>',
        '<h1 class="jeg_post_title">SOC Meets Kurdish National Council</h1>'
        '<div class="jeg_meta_date"><a>October 28, 2019</a></div>',
    )
    article = extractor.extract(make_page(html), source_hints["etilaf"])
    assert (article.published, article.published_from) == (date(2019, 10, 28), "markup")


def test_order_of_trust_feed_then_markup_then_metadata(
    extractor: TimedExtractor, make_page: Callable[..., RawPage]
) -> None:
    html = """<html><head><meta property="article:published_time" content="2025-05-01T10:00:00+00:00">
    </head><body><h1>Readout</h1><p class="when">May 17, 2025</p><div class="entry-content"><p>The Secretary
    spoke today with the Syrian Foreign Minister about chemical weapons stockpiles.</p></div></body></html>"""
    hints = SourceHints(date_css=("p.when",), body_css=("div.entry-content",), date_order="MDY")
    feed = FeedEntry(published="Sun, 18 May 2025 13:09:35 +0000")

    with_feed = extractor.extract(make_page(html, feed=feed), hints)
    assert with_feed.published == datetime(2025, 5, 18, 13, 9, 35, tzinfo=UTC)
    assert with_feed.published_from == "feed"
    markup = extractor.extract(make_page(html), hints)
    assert (markup.published, markup.published_from) == (date(2025, 5, 17), "markup")
    meta = extractor.extract(make_page(html), SourceHints(body_css=("div.entry-content",)))
    assert meta.published == datetime(2025, 5, 1, 10, 0, tzinfo=UTC)
    assert meta.published_from == "meta"
    assert meta.as_json()["published"] == "2025-05-01T10:00:00+00:00"


def test_a_date_after_the_fetch_is_not_believed(
    extractor: TimedExtractor, make_page: Callable[..., RawPage]
) -> None:
    html = """<html><head><meta property="article:published_time" content="2031-01-01T00:00:00+00:00">
    </head><body><article><h1>Title</h1><p>Istanbul / October 5, 2013</p><p>The Coalition condemned
    the shelling of residential areas in the countryside of Idlib by regime forces.</p></article></body></html>"""
    article = extractor.extract(make_page(html), SourceHints())
    assert (article.published, article.published_from) == (date(2013, 10, 5), "visible")

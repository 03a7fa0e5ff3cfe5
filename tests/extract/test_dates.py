"""Date forms seen on the monitored sites, the order of trust, and the top-bar trap."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from monitor.domain import FeedEntry, RawPage, SourceHints
from monitor.extract import TimedExtractor
from monitor.extract.dates import find_dateline, parse_date

NOW = datetime(2026, 7, 21, 9, 0, tzinfo=UTC)


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
        # Egyptian/Gulf names, and the spelling variants
        ("5 يناير 2017", date(2017, 1, 5)),
        ("14 يناير، 2025", date(2025, 1, 14)),
        ("20 يونيه 2019", date(2019, 6, 20)),
        ("8 إبريل 2018", date(2018, 4, 8)),
        ("7 أكتوبر 2019", date(2019, 10, 7)),
        # combined Levantine/Gulf forms and the Coalition's misspellings
        ("30 تشرين الأول/أكتوبر 2018", date(2018, 10, 30)),
        ("30 تشرين الأول/أكتوير 2018", date(2018, 10, 30)),
        ("الثلاثاء، 30 تشرين الأول/أكتوير 2018 14:20", date(2018, 10, 30)),
        ("12 تشرين أول، 2018", date(2018, 10, 12)),
        ("26 كانون شباط، 2016", date(2016, 2, 26)),
        # English
        ("October 5, 2013", date(2013, 10, 5)),
        ("July 17, 2026", date(2026, 7, 17)),
        ("28 October 2019", date(2019, 10, 28)),
        ("Monday, 26 November 2018 15:07", date(2018, 11, 26)),
        # machine stamps: a known offset gives an aware UTC datetime, none gives the day
        ("Sat, 11 Jul 2026 13:09:35 +0000", datetime(2026, 7, 11, 13, 9, 35, tzinfo=UTC)),
        ("2025-11-02T17:45:00+03:00", datetime(2025, 11, 2, 14, 45, tzinfo=UTC)),
        ("2026-03-14 09:21", date(2026, 3, 14)),
        ("2026-03-14", date(2026, 3, 14)),
    ],
)
def test_date_forms(text: str, expected: date | datetime) -> None:
    parsed = parse_date(text, now=NOW)
    assert type(parsed) is type(expected)
    assert parsed == expected
    if isinstance(parsed, datetime):
        assert parsed.utcoffset() is not None


def test_month_day_order_comes_from_the_source() -> None:
    assert parse_date("07/04/2026", "MDY", NOW) == date(2026, 7, 4)
    assert parse_date("07/04/2026", "DMY", NOW) == date(2026, 4, 7)


@pytest.mark.parametrize("text", ["in Press Releases", "", "32 خبر", "2030-01-01", "3 May 1970"])
def test_not_dates_and_implausible_dates_are_refused(text: str) -> None:
    assert parse_date(text, now=NOW) is None


def test_dateline_is_read_from_the_header_lines_only() -> None:
    release = "بيان صحفي\nالائتلاف الوطني لقوى الثورة والمعارضة السورية\nالدائرة الإعلامية\n٣٠ تشرين أول ٢٠١٨\nيدين الائتلاف"
    assert find_dateline(release, now=NOW) == date(2018, 10, 30)
    english = "Press Release / Syrian Coalition / Istanbul, Turkey / October 5, 2013\nThe Supreme Military Council"
    assert find_dateline(english, now=NOW) == date(2013, 10, 5)
    prose = (
        "بلدي نيوز - (فراس عز الدين)\nيستعيد ناجون من مجزرة الكيماوي التي ارتكبها نظام الأسد في الغوطة "
        "الشرقية في 21 آب 2013 تفاصيل تلك الليلة، حين استيقظ الأهالي على أصوات الصواريخ ورائحة غريبة."
    )
    assert find_dateline(prose, now=NOW) is None


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


def test_a_date_after_the_fetch_is_not_believed(
    extractor: TimedExtractor, make_page: Callable[..., RawPage]
) -> None:
    html = """<html><head><meta property="article:published_time" content="2031-01-01T00:00:00+00:00">
    </head><body><article><h1>Title</h1><p>Istanbul / October 5, 2013</p><p>The Coalition condemned
    the shelling of residential areas in the countryside of Idlib by regime forces.</p></article></body></html>"""
    article = extractor.extract(make_page(html), SourceHints())
    assert (article.published, article.published_from) == (date(2013, 10, 5), "text")

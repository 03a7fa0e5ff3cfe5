"""extract_page end to end: robustness (reliability.md B3-B5), flags, feed values, decoys."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from monitor.domain import ExtractedArticle, ExtractionError, FeedEntry, RawPage, SourceHints
from monitor.extract import TimedExtractor, extract_page
from monitor.extract.article import MAX_ELEMENTS

BODY = (
    "<p>The Syrian Civil Defence said its volunteers pulled eleven survivors from the rubble of a "
    "residential building in Ariha after airstrikes on Thursday night.</p>"
    "<p>A correspondent said the strikes destroyed three buildings and damaged a bakery that "
    "supplied bread to thousands of displaced families in the area.</p>"
)
ARTICLE = f"<html><head><title>Airstrikes on Ariha</title></head><body><article><h1>Airstrikes on Ariha</h1>{BODY}</article></body></html>"


def test_public_entry_point_uses_the_generic_path_without_hints(
    make_page: Callable[..., RawPage],
) -> None:
    article = extract_page(make_page(ARTICLE))
    assert isinstance(article, ExtractedArticle)
    assert article.title == "Airstrikes on Ariha"
    assert "pulled eleven survivors from the rubble" in article.text
    assert article.language == "en"
    assert article.flags == []


def test_compressed_bytes_are_refused_before_parsing(make_page: Callable[..., RawPage]) -> None:
    import gzip

    with pytest.raises(ExtractionError) as refused:
        extract_page(make_page(gzip.compress(ARTICLE.encode() * 100)))
    assert refused.value.reason == "not_html"


def test_pages_with_too_many_elements_are_refused(
    extractor: TimedExtractor, make_page: Callable[..., RawPage]
) -> None:
    html = "<html><body>" + "<span>x</span>" * (MAX_ELEMENTS + 10) + "</body></html>"
    with pytest.raises(ExtractionError) as refused:
        extractor.extract(make_page(html), SourceHints())
    assert refused.value.reason == "too_large"


@pytest.fixture
def impatient() -> Iterator[TimedExtractor]:
    timed = TimedExtractor(time_limit=0.3)
    yield timed
    timed.close()


def test_a_slow_page_is_cut_off_and_the_next_page_still_works(
    impatient: TimedExtractor, make_page: Callable[..., RawPage]
) -> None:
    """A big table (under the element cap) keeps trafilatura busy for seconds (trafilatura#704)."""
    rows = "".join(f"<tr><td>cell {i} text</td><td>{i}</td></tr>" for i in range(25_000))
    slow = make_page(
        f"<html><body><article><h1>T</h1><table>{rows}</table></article></body></html>"
    )
    impatient.extract(make_page(ARTICLE), SourceHints())  # worker started: only the page is timed
    started = time.monotonic()
    with pytest.raises(ExtractionError) as cut:
        impatient.extract(slow, SourceHints())
    assert cut.value.reason == "timeout"
    assert time.monotonic() - started < 2.0
    impatient.time_limit = 30
    assert "eleven survivors" in impatient.extract(make_page(ARTICLE), SourceHints()).text


def test_deeply_nested_markup_ends_quickly(
    extractor: TimedExtractor, make_page: Callable[..., RawPage]
) -> None:
    html = "<html><body>" + "<div>" * 100_000 + BODY + "</div>" * 100_000 + "</body></html>"
    started = time.monotonic()
    try:
        article = extractor.extract(make_page(html), SourceHints())
    except ExtractionError as failure:
        assert failure.reason in ("no_body", "timeout")
    else:
        assert "eleven survivors" in article.text
    assert time.monotonic() - started < extractor.time_limit + 2


def test_works_from_any_thread(
    extractor: TimedExtractor, make_page: Callable[..., RawPage]
) -> None:
    """A signal alarm would only work in the main thread; the scheduler runs jobs in threads."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        titles = list(
            pool.map(lambda _: extractor.extract(make_page(ARTICLE), SourceHints()).title, range(3))
        )
    assert titles == ["Airstrikes on Ariha"] * 3


def test_nul_and_control_characters_never_reach_the_text(
    extractor: TimedExtractor, make_page: Callable[..., RawPage]
) -> None:
    body = ARTICLE.encode().replace(b"eleven", b"ele\x00ven\x01")
    article = extractor.extract(make_page(body), SourceHints())
    assert "\x00" not in article.text and "\x01" not in article.text
    assert "eleven survivors" in article.text


def test_mojibake_article_is_flagged(
    extractor: TimedExtractor, make_page: Callable[..., RawPage]
) -> None:
    arabic = "<p>أدان الائتلاف الوطني السوري الهجوم الكيميائي الذي استهدف بلدة خان شيخون في ريف إدلب.</p>"
    double_encoded = ARTICLE.replace(BODY, arabic * 3).encode("utf-8").decode("cp1252", "replace")
    article = extractor.extract(make_page(double_encoded), SourceHints(default_language="ar"))
    assert "encoding_suspect" in article.flags


RT_HINTS = SourceHints(
    body_css=("div.js-mediator-article",),
    drop_css=(".read-more-big", ".rtcode"),
    default_language="ar",
    summary_fallback=True,
)
RT_EMPTY_BODY = """<html><head><meta name="description" content="نشرت آلية التحقيق الأممية تقريرا جديدا حول هجمات الكلور في ريف إدلب.">
</head><body><div class="trend"><a>الخوذ البيضاء تحت المجهر</a></div><h1>تقرير أممي</h1>
<div class="text js-text js-mediator-article"><div class="rtcode"><div class="embed-loader"></div></div></div>
<div class="popular"><a>هجوم بغاز الكلور في ريف حماة.. شهود يروون التفاصيل</a></div></body></html>"""


def test_empty_body_container_falls_back_to_the_summary_when_the_source_allows_it(
    extractor: TimedExtractor, make_page: Callable[..., RawPage]
) -> None:
    article = extractor.extract(make_page(RT_EMPTY_BODY), RT_HINTS)
    assert article.flags == ["summary_only"]
    assert article.text == "نشرت آلية التحقيق الأممية تقريرا جديدا حول هجمات الكلور في ريف إدلب."
    with pytest.raises(ExtractionError) as no_body:
        extractor.extract(
            make_page(RT_EMPTY_BODY),
            SourceHints(body_css=RT_HINTS.body_css, drop_css=RT_HINTS.drop_css),
        )
    assert no_body.value.reason == "no_body"


def test_a_body_hint_that_no_longer_matches_is_flagged_and_the_generic_path_used(
    extractor: TimedExtractor, make_page: Callable[..., RawPage]
) -> None:
    article = extractor.extract(
        make_page(ARTICLE), SourceHints(body_css=("div.js-mediator-article",))
    )
    assert "body_hint_missed" in article.flags
    assert "eleven survivors" in article.text


STATE_HINTS = SourceHints(
    body_css=("div.entry-content",),
    blocked_markers=("Technical Difficulties",),
    default_language="en",
)


def test_decoy_marker_inside_a_long_real_article_is_not_a_block(
    extractor: TimedExtractor, make_page: Callable[..., RawPage]
) -> None:
    paragraph = "<p>The embassy resumed consular services after a week of Technical Difficulties with its systems.</p>"
    filler = (
        "<p>"
        + "The Department continues to support the people of Syria in many ways. " * 30
        + "</p>"
    )
    html = f"<html><head><title>Consular Update</title></head><body><h1>Consular Update</h1><div class='entry-content'>{paragraph}{filler * 30}</div></body></html>"
    assert "Technical Difficulties" in extractor.extract(make_page(html), STATE_HINTS).text


def test_feed_entry_alone_is_enough(
    extractor: TimedExtractor, make_page: Callable[..., RawPage]
) -> None:
    feed = FeedEntry(
        title="Five Years After",
        published="Sat, 10 May 2025 13:09:35 +0000",
        content_html=BODY
        + "<p>The post <a href='#'>Five Years After</a> appeared first on United States Department of State.</p>",
    )
    article = extractor.extract(make_page(b"", feed=feed), STATE_HINTS)
    assert article.title == "Five Years After"
    assert article.published_from == "feed"
    assert "appeared first on" not in article.text
    assert article.text.split("\n")[0].startswith("The Syrian Civil Defence said")


def test_a_broken_hint_is_reported_as_a_bug_and_the_worker_keeps_serving(
    extractor: TimedExtractor, make_page: Callable[..., RawPage]
) -> None:
    """A bad selector is a mistake in a source file, not a property of the page."""
    with pytest.raises(RuntimeError, match="SelectorSyntaxError"):
        extractor.extract(make_page(ARTICLE), SourceHints(body_css=("div[",)))
    assert extractor.extract(make_page(ARTICLE), SourceHints()).title == "Airstrikes on Ariha"


def test_a_dead_worker_is_replaced(make_page: Callable[..., RawPage]) -> None:
    timed = TimedExtractor()
    try:
        timed.extract(make_page(ARTICLE), SourceHints())
        timed.close()  # as if the process had gone away between pages
        assert timed.extract(make_page(ARTICLE), SourceHints()).title == "Airstrikes on Ariha"
    finally:
        timed.close()

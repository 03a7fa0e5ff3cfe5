"""The visible-date reader and the generic body on pages no hint was written for."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.domain import RawPage, SourceHints
from monitor.extract import TimedExtractor

BALADI = SourceHints(timezone="Asia/Damascus", default_language="ar")
BODY_AR = (
    "<p>حذر الدفاع المدني السوري الأهالي في ريف إدلب الجنوبي من الاقتراب من الذخائر غير المنفجرة "
    "التي خلفها القصف الجوي والمدفعي خلال الأيام الماضية.</p>"
    "<p>وقال مسؤول في الدفاع المدني إن فرق الهندسة أزالت أكثر من أربعين قنبلة عنقودية من الأراضي "
    "الزراعية المحيطة بمدينة خان شيخون منذ بداية الشهر الجاري.</p>"
)
SIDEBAR = (
    "<aside class='col-md-4'><h3>الأكثر قراءة</h3><ul>"
    "<li><a href='/ar/articles/1/a'>تقرير حقوقي يوثق استخدام النظام للأسلحة الكيميائية</a>"
    "<span class='date'>١٩ حزيران ٢٠١٩</span></li></ul></aside>"
)
RELATED = (
    "<div class='box'><div class='item'><a href='/ar/articles/2/b'><h4>غارات روسية على معرة "
    "النعمان توقع قتلى بين المدنيين</h4></a><span class='date'>٢٣ حزيران ٢٠١٩</span></div></div>"
)


def page(
    make_page: Callable[..., RawPage], meta_line: str, before: str = "", after: str = ""
) -> RawPage:
    html = (
        "<html lang='ar' dir='rtl'><head><title>الدفاع المدني يحذر من ذخائر غير منفجرة - بلدي نيوز"
        f"</title></head><body>{before}<div class='article'><h1>الدفاع المدني يحذر من ذخائر غير "
        f"منفجرة</h1>{meta_line}<div class='body'>{BODY_AR}</div></div>{after}</body></html>"
    )
    return make_page(html, url="https://baladi-news.com/ar/articles/49322/x")


def test_a_date_shown_only_as_text_is_read_in_the_source_zone(
    extractor: TimedExtractor, make_page: Callable[..., RawPage]
) -> None:
    line = "<span class='date'>الاثنين ٢٤ حزيران ٢٠١٩ - ١١:٣٠</span>"
    article = extractor.extract(page(make_page, line), BALADI)
    assert article.published_from == "visible"
    assert article.as_json()["published"] == "2019-06-24T11:30:00+03:00"
    assert article.as_json()["published_timezone"] == "Asia/Damascus"
    assert "١١:٣٠" not in article.text  # the date widget is not article text


def test_a_plain_line_under_the_headline_is_a_date_too(
    extractor: TimedExtractor, make_page: Callable[..., RawPage]
) -> None:
    article = extractor.extract(
        page(make_page, "<p><small>نشر في ٢٤ حزيران ٢٠١٩</small></p>"), BALADI
    )
    assert (article.published, article.published_from) == (date(2019, 6, 24), "visible")


def test_sidebar_and_related_dates_are_ignored(
    extractor: TimedExtractor, make_page: Callable[..., RawPage]
) -> None:
    """Most-read and related cards carry other articles' dates, before or after the article."""
    line = "<div class='meta'>٢٤ حزيران ٢٠١٩</div>"
    dated = extractor.extract(page(make_page, line, before=SIDEBAR, after=RELATED), BALADI)
    assert dated.published == date(2019, 6, 24)
    undated = extractor.extract(page(make_page, "", before=SIDEBAR, after=RELATED), BALADI)
    assert undated.published is None  # not the sidebar's day, not the related card's


def test_top_bar_and_today_boxes_are_not_the_publication_date(
    extractor: TimedExtractor, make_page: Callable[..., RawPage]
) -> None:
    top = "<header><div class='top-header'><span>الثلاثاء ٢٢ آب ٢٠٢٣</span></div></header>"
    today = "<div class='date-today'>الثلاثاء ٢٢ آب ٢٠٢٣</div>"
    for before in (top, today):
        assert extractor.extract(page(make_page, "", before=before), BALADI).published is None


def test_a_future_date_near_the_headline_is_refused(
    extractor: TimedExtractor, make_page: Callable[..., RawPage]
) -> None:
    fetched = make_page("").fetched_at
    ahead = (fetched + timedelta(days=20)).strftime("%d/%m/%Y")
    line = f"<div class='event-date'>{ahead}</div><div class='post-date'>24/06/2019</div>"
    article = extractor.extract(page(make_page, line), BALADI)
    assert article.published == date(2019, 6, 24)


def test_the_published_date_wins_over_an_updated_one_shown_first(
    extractor: TimedExtractor, make_page: Callable[..., RawPage]
) -> None:
    line = (
        "<time class='updated' datetime='2021-03-16T09:02:11+03:00'>16 مارس 2021</time>"
        "<time class='entry-date published' datetime='2021-03-15T14:20:00+03:00'>15 مارس 2021</time>"
    )
    article = extractor.extract(page(make_page, line), BALADI)
    assert article.as_json()["published"] == "2021-03-15T14:20:00+03:00"
    assert article.published_timezone is None  # the page gave the offset


def test_a_time_in_a_sibling_completes_the_day(
    extractor: TimedExtractor, make_page: Callable[..., RawPage]
) -> None:
    line = (
        "<ul class='post-info'><li itemprop='datePublished'>3 يونيو، 2020</li><li>3:01 ص</li></ul>"
    )
    article = extractor.extract(page(make_page, line), BALADI)
    assert article.published == datetime(2020, 6, 3, 3, 1, tzinfo=timezone(timedelta(hours=3)))


def test_a_local_time_in_metadata_takes_the_zone_the_page_shows_for_it(
    extractor: TimedExtractor, make_page: Callable[..., RawPage]
) -> None:
    """RT: meta "2025-03-14 09:21" without zone, the page shows "09:21 GMT"."""
    html = (
        "<html><head><meta name='publish-date' content='2025-03-14 09:21'></head><body>"
        "<div class='time-public'>14.03.2025 | 09:21 GMT</div><h1>اجتماع تقني في دمشق</h1>"
        f"<div class='text'>{BODY_AR}</div></body></html>"
    )
    rt = SourceHints(timezone="Europe/Moscow")
    article = extractor.extract(make_page(html), rt)
    assert article.as_json()["published"] == "2025-03-14T09:21:00+00:00"
    assert article.published_from == "meta"
    without_gmt = html.replace("| 09:21 GMT", "| 10:00")  # another time, and no zone
    moscow = extractor.extract(make_page(without_gmt), rt)
    assert moscow.as_json()["published"] == "2025-03-14T09:21:00+03:00"
    assert moscow.published_timezone == "Europe/Moscow"


def test_an_old_table_layout_gives_its_title_date_and_paragraphs(
    extractor: TimedExtractor, make_page: Callable[..., RawPage]
) -> None:
    side = "".join(
        f"<tr><td><a href='/news.php?id={i}'>خبر سابق عن قصف داريا رقم {i}</a><br>10/04/2015</td></tr>"
        for i in range(3)
    )
    html = (
        "<html><head><title>بلدي نيوز :: أهالي معضمية الشام يناشدون لفك الحصار</title></head><body>"
        f"<table><tr><td><table>{side}</table></td><td><table>"
        "<tr><td class='t'>أهالي معضمية الشام يناشدون لفك الحصار</td></tr>"
        "<tr><td>تاريخ النشر: 12/04/2015 - 09:40</td></tr>"
        "<tr><td>ناشد أهالي مدينة معضمية الشام المنظمات الدولية التدخل لفك الحصار الذي تفرضه قوات "
        "النظام منذ أكثر من عامين.<br><br>وقال ناشطون إن آخر قافلة مساعدات دخلت قبل أربعة أشهر، "
        "وإن الأهالي يعتمدون على ما يزرعونه داخل الأحياء السكنية.</td></tr>"
        "</table></td></tr></table></body></html>"
    )
    article = extractor.extract(make_page(html), BALADI)
    assert article.title == "أهالي معضمية الشام يناشدون لفك الحصار"
    assert article.as_json()["published"] == "2015-04-12T09:40:00+03:00"
    assert article.text.split("\n")[0].startswith("ناشد أهالي مدينة معضمية الشام")
    assert "|" not in article.text and "قصف داريا" not in article.text


def test_monitor_extract_prints_the_offset_and_the_assumed_zone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The JSON of `monitor extract` on an unseen Baladi copy whose date is only visible."""
    fixture = Path(__file__).parents[1] / "data" / "extraction" / "baladi_ar_blade_visible_only.html"
    config = tmp_path / "monitor.yaml"
    config.write_text(f"data_dir: {tmp_path}\n", encoding="utf-8")
    url = "https://baladi-news.com/ar/articles/49322/x"
    assert main(["--config", str(config), "extract", str(fixture), "--url", url]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["source"] == "baladi"
    assert printed["published"] == "2019-06-24T11:30:00+03:00"
    assert (printed["published_from"], printed["published_timezone"]) == ("visible", "Asia/Damascus")

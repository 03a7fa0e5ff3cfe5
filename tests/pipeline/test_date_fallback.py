"""Undated items: the discovery date, else (fresh poll) the fetch time, so they alert at once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from monitor.config import NotifySettings, Settings
from monitor.domain import RawPage
from monitor.service.pipeline import DATE_IS_FETCH_TIME, Pipeline
from monitor.service.wiring import make_pipeline
from monitor.store import models
from monitor.store.db import Database
from monitor.store.rows import raw_page_row

# A Baladi page with no date anywhere: no metadata, nothing visible, nothing in the text.
UNDATED = """<html lang="ar"><head><title>ناجون من مجزرة الكيماوي يروون شهاداتهم</title></head>
<body><h1>ناجون من مجزرة الكيماوي يروون شهاداتهم</h1><div class="article-content">
<p>يستعيد ناجون من مجزرة الكيماوي في الغوطة الشرقية تفاصيل تلك الليلة، حين استيقظ الأهالي على أصوات
الصواريخ ورائحة غريبة ملأت الشوارع.</p><p>ويطالب الناجون المجتمع الدولي بمحاسبة المسؤولين عن المجزرة
وعن الهجمات بالأسلحة الكيميائية.</p></div></body></html>"""
NOW = datetime.now(UTC).replace(microsecond=0)


def pipeline(db: Database, settings: Settings) -> Pipeline:
    channels = {"desk": {"url": "json://127.0.0.1:9/"}}
    notify = NotifySettings.model_validate({"channels": channels})
    return make_pipeline(settings.model_copy(update={"notify": notify}), db)


def store_page(db: Database, n: int, listed_at: date | datetime | None = None) -> int:
    page = RawPage(
        url=f"https://baladi-news.com/ar/articles/{n}/x",
        source="baladi",
        body=UNDATED.replace("الغوطة الشرقية", f"الغوطة الشرقية ({n})").encode(),  # not a copy
        fetched_at=NOW - timedelta(minutes=5),
        listed_at=listed_at,
    )
    with db.session() as session:
        row = raw_page_row(page)
        session.add(row)
        session.flush()
        return row.id


def crawl_runs(db: Database, *modes: str) -> None:
    """Runs of the source, oldest first; the last one is running while the page is fetched."""
    with db.session() as session:
        if session.get(models.Source, "baladi") is None:
            session.add(models.Source(key="baladi", name="Baladi News"))
            session.flush()
        for age, mode in enumerate(reversed(modes)):
            started = NOW - timedelta(minutes=10 + 60 * age)
            finished = None if age == 0 else started + timedelta(minutes=3)
            session.add(models.CrawlRun(source_key="baladi", mode=mode, started_at=started,
                                        finished_at=finished))


def stored(db: Database, raw_id: int) -> tuple[models.Article, list[str]]:
    with db.session() as session:
        raw = session.get_one(models.RawPage, raw_id)
        article = session.get_one(models.Article, raw.article_id)
        states = list(session.scalars(select(models.Alert.state)
                                      .where(models.Alert.article_id == article.id)))
        session.expunge(article)
        return article, states


def test_an_undated_item_of_a_fresh_poll_takes_the_fetch_time_and_alerts_at_once(
    db: Database, settings: Settings
) -> None:
    crawl_runs(db, "fresh", "fresh")
    raw_id = store_page(db, 1)
    outcome = pipeline(db, settings).process_raw(raw_id)
    assert outcome.status == "new" and "chemical" in outcome.rules
    article, alerts = stored(db, raw_id)
    assert article.published_at == NOW - timedelta(minutes=5)
    assert article.published_from == "fetched"
    assert DATE_IS_FETCH_TIME in article.flags
    assert alerts == ["pending"]  # not held by the flood guard as undated


def test_the_discovery_date_comes_before_the_fetch_time(db: Database, settings: Settings) -> None:
    crawl_runs(db, "fresh", "fresh")
    day = store_page(db, 1, listed_at=date(2019, 6, 24))
    local = store_page(db, 2, listed_at=datetime(2019, 6, 24, 11, 30))  # naive: source zone
    run = pipeline(db, settings)
    run.process_raw(day)
    run.process_raw(local)
    by_day, alerts = stored(db, day)
    assert (by_day.published_at, by_day.published_is_date) == (
        datetime(2019, 6, 24, tzinfo=UTC), True)
    assert by_day.published_from == "listed" and DATE_IS_FETCH_TIME not in by_day.flags
    assert alerts == ["held"]  # an old item: the flood guard's business, as before
    by_time, _ = stored(db, local)
    assert by_time.published_at == datetime(2019, 6, 24, 8, 30, tzinfo=UTC)
    assert (by_time.published_offset_min, by_time.published_timezone) == (180, "Asia/Damascus")


def test_no_fetch_time_for_a_first_crawl_or_a_back_fill(db: Database, settings: Settings) -> None:
    """A first crawl and a back-fill find old items: dating them "now" would flood."""
    crawl_runs(db, "fresh")
    first = store_page(db, 1)
    pipeline(db, settings).process_raw(first)
    article, alerts = stored(db, first)
    assert article.published_at is None and alerts == ["held"]

    with db.session() as session:
        session.add(models.CrawlRun(source_key="baladi", mode="backfill",
                                    started_at=NOW - timedelta(minutes=8)))
    backfilled = store_page(db, 2)
    pipeline(db, settings).process_raw(backfilled)
    assert stored(db, backfilled)[0].published_at is None


def test_a_changed_page_without_a_date_keeps_the_date_it_had(
    db: Database, settings: Settings
) -> None:
    crawl_runs(db, "fresh", "fresh")
    raw_id = store_page(db, 1, listed_at=date(2019, 6, 24))
    run = pipeline(db, settings)
    run.process_raw(raw_id)
    edited = RawPage(url="https://baladi-news.com/ar/articles/1/x", source="baladi",
                     body=UNDATED.replace("الغوطة الشرقية", "الغوطة الشرقية (1)")
                     .replace("تلك الليلة", "ليلة الهجوم").encode(), fetched_at=NOW)
    with db.session() as session:
        row = raw_page_row(edited)
        session.add(row)
        session.flush()
        second = row.id
    assert run.process_raw(second).status == "updated"
    article, _ = stored(db, second)
    assert article.published_at == datetime(2019, 6, 24, tzinfo=UTC)
    assert article.published_from == "listed"


def test_stored_times_keep_the_source_offset_and_zone(db: Database, settings: Settings) -> None:
    page = RawPage(url="https://baladi-news.com/ar/articles/9/x", source="baladi",
                   body=UNDATED.replace("<h1>", "<span class='date'>الاثنين ٢٤ حزيران ٢٠١٩ - "
                                        "١١:٣٠</span><h1>", 1).encode(), fetched_at=NOW)
    outcome = pipeline(db, settings).ingest(page)
    with db.session() as session:
        article = session.get_one(models.Article, outcome.article_id)
        assert article.published_at == datetime(2019, 6, 24, 8, 30, tzinfo=UTC)  # the sort key
        assert article.published_offset_min == 180
        assert (article.published_timezone, article.source_timezone) == (
            "Asia/Damascus", "Asia/Damascus")

"""The same article again, with noise (shared/reliability.md C5): tracking parameters on the
URL, reflowed whitespace, a timestamp comment, a new request id and cache-busting asset
links in the markup. It stays one article with one alert: URLs are canonicalised and the
article is identified by its text, not its HTML."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from monitor.config import Settings
from monitor.crawl.canonical import canonical_url
from monitor.domain import RawPage
from monitor.service.wiring import make_pipeline
from monitor.store import models
from monitor.store.db import Database
from spiders import SOURCES

PAGE = (Path(__file__).parents[1] / "fixtures" / "pages" / "state_dept_chemical.html").read_text(
    encoding="utf-8"
)
URL = ("https://www.state.gov/releases/office-of-the-spokesperson/2026/07/"
       "accountability-for-the-assad-regimes-use-of-chemical-weapons/")


def noisy(html: str, n: int) -> str:
    """What a CMS changes between two fetches of an unchanged article."""
    html = re.sub(r">\s*<", lambda m: ">\n" + " " * n + "<", html)
    html = html.replace("</head>", f'<meta name="request-id" content="req-{n}-7f3a">'
                                   f'<link rel="stylesheet" href="/style.css?ver={n}"></head>', 1)
    return html.replace("<body", f"<!-- generated {datetime.now(UTC).isoformat()} --><body", 1)


def page(url: str, html: str) -> RawPage:
    return RawPage(url=url, source="state_dept", body=html.encode("utf-8"),
                   fetched_at=datetime.now(UTC),
                   headers={"Content-Type": "text/html; charset=utf-8"})


def test_an_article_fetched_again_with_noise_is_one_item_with_one_alert(db: Database) -> None:
    settings = Settings.model_validate(
        {"notify": {"channels": {"desk": {"url": "json://127.0.0.1:9/"}}}}
    )
    pipeline = make_pipeline(settings, db)
    with db.session() as session:
        session.add(models.Source(key="state_dept", name="US State Department"))

    first = pipeline.ingest(page(URL, PAGE))
    tracked = canonical_url(f"{URL}?utm_source=twitter&utm_medium=social&utm_campaign=x",
                            SOURCES["state_dept"])
    assert tracked == URL  # the crawl stores pages under this URL
    again = [pipeline.ingest(page(tracked, noisy(PAGE, n))) for n in (1, 2)]

    assert first.status == "new" and first.alerts == 1
    assert [o.status for o in again] == ["unchanged", "unchanged"]
    assert {o.article_id for o in again} == {first.article_id}
    with db.session() as session:
        articles = session.scalar(select(func.count()).select_from(models.Article))
        alerts = session.scalar(select(func.count()).select_from(models.Alert))
    assert (articles, alerts) == (1, 1)


def test_the_same_text_under_another_url_of_the_source_is_a_duplicate(db: Database) -> None:
    pipeline = make_pipeline(Settings(), db)
    first = pipeline.ingest(page(URL, PAGE))
    alias = pipeline.ingest(page("https://www.state.gov/?p=91234", noisy(PAGE, 3)))
    assert (alias.status, alias.article_id) == ("duplicate", first.article_id)

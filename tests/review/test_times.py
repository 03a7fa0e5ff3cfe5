"""Times as analysts read them: the source's own zone and Damascus beside UTC; readable links."""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime

import pytest
from starlette.testclient import TestClient

from monitor.review import queries
from monitor.store.db import Database
from monitor.store.models import Article, RuleMatchRow

RT_URL = "https://arabic.rt.com/world/1721790-%D9%84%D8%A7%D9%81%D8%B1%D9%88%D9%81/"


def add(db: Database, key: str, url: str, source: str, **published: object) -> int:
    with db.session() as session:
        article = Article(url=url, source_key=source, language="ar", title=f"عنوان {key}",
                          text="نص", content_hash=key,
                          fetched_at=datetime(2026, 11, 20, 12, tzinfo=UTC), **published)
        article.matches.append(RuleMatchRow(rule_id="chemical", rule_name="Chemical weapons",
                                            severity="critical", terms=["x"], snippets=["x"],
                                            spans=[]))
        session.add(article)
        session.flush()
        return article.id


@pytest.fixture
def dated(db: Database) -> dict[str, int]:
    at = datetime(2019, 6, 24, 8, 30, tzinfo=UTC)
    return {
        "baladi": add(db, "b", "https://baladi-news.com/ar/articles/1/x", "baladi",
                      published_at=at, published_offset_min=180, source_timezone="Asia/Damascus"),
        "rt": add(db, "r", RT_URL, "rt_arabic", published_at=at, published_offset_min=0,
                  source_timezone="Europe/Moscow"),
        "state": add(db, "s", "https://www.state.gov/x/", "state_dept",
                     published_at=datetime(2026, 7, 11, 2, 30, tzinfo=UTC),
                     published_offset_min=-240, source_timezone="America/New_York"),
        "day": add(db, "d", "https://en.etilaf.org/press/y", "etilaf",
                   published_at=datetime(2013, 10, 5, tzinfo=UTC), published_is_date=True,
                   source_timezone="Asia/Damascus"),
        "fetched": add(db, "f", "https://baladi-news.com/ar/articles/2/y", "baladi",
                       published_at=at, published_offset_min=0, published_from="fetched",
                       source_timezone="Asia/Damascus"),
    }


def shown(client: TestClient, item_id: int) -> str:
    page = client.get(f"/item/{item_id}").text
    start = page.index("<dt>Published</dt>")
    return html.unescape(page[start : page.index("</dd>", start)])


def test_times_are_shown_in_the_source_zone_and_damascus_beside_utc(
    client: TestClient, dated: dict[str, int]
) -> None:
    assert "2019-06-24 11:30 Damascus · 08:30 UTC" in shown(client, dated["baladi"])
    assert "2019-06-24 11:30 Moscow · 11:30 Damascus · 08:30 UTC" in shown(client, dated["rt"])
    # the day changes between zones: each part says its own day
    state = shown(client, dated["state"])
    assert "2026-07-10 22:30 New York · 2026-07-11 05:30 Damascus · 02:30 UTC" in state
    assert 'datetime="2026-07-10T22:30:00-04:00"' in state  # the offset the source gave
    assert ">2013-10-05<" in shown(client, dated["day"])
    assert "fetch time" in shown(client, dated["fetched"])
    queue = html.unescape(client.get("/?state=all").text)
    assert "2019-06-24 11:30 Moscow · 11:30 Damascus · 08:30 UTC" in queue


def test_the_original_link_is_readable_and_its_href_stays_encoded(
    client: TestClient, dated: dict[str, int]
) -> None:
    page = client.get(f"/item/{dated['rt']}").text
    assert f'href="{RT_URL}"' in page
    assert "https://arabic.rt.com/world/1721790-لافروف/</a>" in page


def test_queue_json_keeps_the_offset_the_source_gave(db: Database, dated: dict[str, int]) -> None:
    with db.session(readonly=True) as session:
        detail = queries.item_detail(session, dated["state"])
        assert detail is not None
        listed = {i.id: i.as_json() for i in queries.iter_queue(session, queries.QueueFilter())}
    assert detail.as_json()["published"] == "2026-07-10T22:30:00-04:00"
    assert listed[dated["baladi"]]["published"] == "2019-06-24T11:30:00+03:00"
    assert listed[dated["day"]]["published"] == "2013-10-05"
    # sorted on the instant: the 2026 item first, whatever its offset
    assert next(iter(listed)) == dated["state"]
    json.dumps(listed)

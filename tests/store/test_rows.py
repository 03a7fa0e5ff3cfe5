"""A raw page survives the trip through its row: the evidence, and the discovery date as given."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from monitor.domain import FeedEntry, RawPage
from monitor.store.db import Database
from monitor.store.rows import raw_page_from_row, raw_page_row


@pytest.mark.parametrize(
    "listed_at",
    [None, date(2019, 6, 24), datetime(2026, 7, 11, 13, 9, 35, tzinfo=timezone(timedelta(hours=-4)))],
)
def test_raw_page_round_trip_keeps_the_listed_date(db: Database, listed_at: object) -> None:
    page = RawPage(url="https://www.state.gov/releases/x/", source="state_dept", body=b"<html>x</html>",
                   fetched_at=datetime(2026, 7, 11, 14, tzinfo=UTC), feed=FeedEntry(guid="693600"),
                   listed_at=listed_at)  # type: ignore[arg-type]
    with db.session() as session:
        row = raw_page_row(page)
        session.add(row)
        session.flush()
        row_id = row.id
    with db.session() as session:
        back = raw_page_from_row(session.get_one(type(row), row_id))
    assert back == page
    if isinstance(listed_at, datetime):
        assert back.listed_at is not None and back.listed_at.utcoffset() == timedelta(hours=-4)

"""Source health: decoy pages, repeated failures, silence and bad extraction reach operators."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from monitor.config import Settings
from monitor.service import health
from monitor.store import models
from monitor.store.db import Database
from monitor.store.models import utcnow

KEY = "state_dept"


@pytest.fixture
def settings() -> Settings:
    return Settings.model_validate(
        {
            "notify": {
                "channels": {
                    "ops": {"url": "json://127.0.0.1:9/ops", "tags": ["operator"]},
                    "analysts": {"url": "json://127.0.0.1:9/analysts"},
                }
            },
            "sources": {KEY: {"interval_minutes": 15}},
        }
    )


@pytest.fixture
def source(any_db: Database) -> Database:
    with any_db.session() as session:
        session.add(models.Source(key=KEY, name="US State Department"))
    return any_db


def _run(db: Database, **counts: object) -> None:
    with db.session() as session:
        session.add(
            models.CrawlRun(
                source_key=KEY, outcome=counts.pop("outcome", "ok"), finished_at=utcnow(), **counts
            )
        )


def _notices(db: Database) -> list[models.Alert]:
    with db.session() as session:
        return list(
            session.scalars(
                select(models.Alert).where(models.Alert.kind == "health").order_by(models.Alert.id)
            )
        )


def test_a_decoy_answer_alerts_the_operator_channel_once_a_day(
    source: Database, settings: Settings
) -> None:
    _run(source, found=3, blocked=3, outcome="blocked")
    now = utcnow()
    assert [c.code for c in health.check_and_alert(source, settings, KEY, now)] == ["blocked"]
    health.check_and_alert(source, settings, KEY, now + timedelta(minutes=15))
    notices = _notices(source)
    assert [(n.channel, n.state) for n in notices] == [("ops", "pending")]
    assert "US State Department" in notices[0].title and "blocked" in notices[0].title
    with source.session() as session:
        row = session.get_one(models.Source, KEY)
        assert row.health_state == "blocked" and "decoy" in row.health_reason


def test_one_failure_is_tolerated_two_are_reported(source: Database, settings: Settings) -> None:
    _run(source, outcome="failed", failed=1, error="timeout: 1")
    with source.session() as session:
        session.get_one(models.Source, KEY).consecutive_failures = 1
    assert health.check_and_alert(source, settings, KEY, utcnow()) == []
    with source.session() as session:
        session.get_one(models.Source, KEY).consecutive_failures = 2
    conditions = health.check_and_alert(source, settings, KEY, utcnow())
    assert [c.code for c in conditions] == ["failing"]
    assert "timeout: 1" in conditions[0].reason


def test_silence_longer_than_the_usual_rhythm_is_stale(
    source: Database, settings: Settings
) -> None:
    now = utcnow()
    with source.session() as session:
        for i in range(6):  # one item every 2 hours, the last one 2 days ago
            when = now - timedelta(days=2, hours=2 * i)
            session.add(
                models.Article(
                    source_key=KEY,
                    url=f"https://www.state.gov/r/{i}",
                    title="t",
                    text="x",
                    content_hash=str(i),
                    published_at=when,
                    created_at=when,
                )
            )
    conditions = health.check_and_alert(source, settings, KEY, now)
    assert [c.code for c in conditions] == ["stale"]
    assert "usually every 2.0h" in conditions[0].reason


def test_articles_losing_their_dates_are_an_extraction_problem(
    source: Database, settings: Settings
) -> None:
    with source.session() as session:
        for i in range(6):
            session.add(
                models.Article(
                    source_key=KEY,
                    url=f"https://www.state.gov/r/{i}",
                    title="t",
                    text="x",
                    content_hash=str(i),
                    published_at=None if i >= 4 else utcnow(),
                    # stand-in dates (fetch time, discovery date) hide nothing
                    published_from={2: "fetched", 3: "listed"}.get(i, "meta"),
                )
            )
    conditions = health.check_and_alert(source, settings, KEY, utcnow())
    assert [c.code for c in conditions] == ["extraction"]
    assert "date missing in 4/6" in conditions[0].reason


def test_recovery_is_announced_and_recorded(source: Database, settings: Settings) -> None:
    _run(source, blocked=1, outcome="blocked")
    health.check_and_alert(source, settings, KEY, utcnow())
    _run(source, found=2, new=2)
    assert health.check_and_alert(source, settings, KEY, utcnow()) == []
    assert [n.title.rsplit(" ", 1)[1] for n in _notices(source)] == ["blocked", "recovered"]
    with source.session() as session:
        assert session.get_one(models.Source, KEY).health_state == "ok"


def test_a_run_whose_discovery_looks_wrong_is_reported_not_ok(
    source: Database, settings: Settings
) -> None:
    from monitor.service import status

    problem = "the feed path gave no articles; listing, home stood in for it"
    _run(source, found=4, new=4, outcome="degraded", problems=[problem])
    conditions = health.check_and_alert(source, settings, KEY, utcnow())
    assert [(c.code, c.reason) for c in conditions] == [("discovery", problem)]
    assert [n.channel for n in _notices(source)] == ["ops"]
    text = status.render_text(status.collect(source, settings, {}))
    assert "discovery" in text and problem in text

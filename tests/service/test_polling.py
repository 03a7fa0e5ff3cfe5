"""The adaptive interval: rhythm, hour of day, and the bounds politeness puts on it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from monitor.config import Settings
from monitor.service.cycle import ensure_sources
from monitor.service.polling import (
    HEADROOM,
    History,
    Limits,
    full_interval,
    full_walk_due,
    poll_interval,
    quick_poll_now,
    wait_after_poll,
)
from monitor.store import models
from monitor.store.db import Database
from spiders import SOURCES

KEY = "state_dept"
NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
WINDOW = timedelta(days=14)
LIMITS = Limits(floor=60, ceiling=3600, crawl_delay=0, budget=1 / 60)
FULL_EVERY = 3 * 3600


def spread(per_day: int, hours: range = range(24), days: int = 14) -> list[datetime]:
    """`per_day` publications a day at random minutes of the given hours (UTC)."""
    rng = random.Random(per_day)
    start = NOW.replace(hour=0, minute=0) - timedelta(days=days)
    return [
        start + timedelta(days=d, hours=rng.choice(hours), minutes=rng.randrange(60))
        for d in range(days)
        for _ in range(per_day)
    ]


def interval(arrivals: list[datetime], now: datetime = NOW, **kw: object) -> float:
    limits = kw.pop("limits", LIMITS)
    assert isinstance(limits, Limits)
    return poll_interval(History(arrivals, WINDOW, **kw), limits, now, FULL_EVERY)  # type: ignore[arg-type]


@pytest.mark.parametrize("per_day", [0, 1, 5, 20, 100, 1000])
@pytest.mark.parametrize("found_new", [False, True])
@pytest.mark.parametrize("quiet", [0, 3, 10])
def test_the_interval_stays_between_floor_and_ceiling(
    per_day: int, found_new: bool, quiet: int
) -> None:
    seconds = interval(spread(per_day), found_new=found_new, quiet_polls=quiet)
    assert LIMITS.floor <= seconds <= LIMITS.ceiling


def test_a_busy_source_is_polled_sooner_than_a_quiet_one() -> None:
    busy, steady, quiet = interval(spread(2000)), interval(spread(50)), interval(spread(2))
    assert busy < steady < quiet
    # at the floor, one request a poll paid from the budget with some kept in hand
    assert busy == pytest.approx(max(LIMITS.floor, 1 / (LIMITS.budget * HEADROOM)))
    assert quiet == LIMITS.ceiling
    assert interval([]) == LIMITS.ceiling  # nothing published yet: the ceiling


def test_the_hour_of_day_counts() -> None:
    office_hours = spread(24, hours=range(8, 12))  # a source that publishes mornings (UTC)
    morning, night = interval(office_hours), interval(office_hours, NOW.replace(hour=21))
    assert morning < night


def test_a_poll_that_found_items_brings_the_next_one_closer_and_quiet_ones_push_it_away() -> None:
    arrivals = spread(20)
    base = interval(arrivals)
    assert interval(arrivals, found_new=True) < base < interval(arrivals, quiet_polls=4)
    assert interval(arrivals, quiet_polls=40) == interval(arrivals, quiet_polls=4)  # capped


def test_crawl_delay_and_budget_raise_the_interval_past_the_ceiling_if_need_be() -> None:
    busy = spread(2000)
    delayed = Limits(floor=60, ceiling=600, crawl_delay=30, budget=1.0)
    assert interval(busy, limits=delayed, last_cost=4) == 4 * 30  # 4 requests, 30 s apart
    # quick polls of 3 requests on average at 1 a minute, out of what full walks leave
    spent = interval(busy, mean_cost=3, full_cost=20)
    spare = LIMITS.budget * HEADROOM - 20 / full_interval(20, FULL_EVERY, LIMITS.budget)
    assert spent == pytest.approx(3 / spare) and spent > 180
    tight = Limits(floor=60, ceiling=120, crawl_delay=0, budget=1 / 60)
    assert interval(busy, limits=tight, mean_cost=10) > tight.ceiling  # politeness wins


def test_polls_paced_by_the_interval_keep_to_the_budget() -> None:
    """Quick polls of random cost, a full walk whenever one is due: the requests of any
    simulated day stay within the per-host budget."""
    rng = random.Random(7)
    arrivals, now, last_full, spent = spread(300), NOW, None, 0
    quick: list[int] = []
    end = NOW + timedelta(days=1)
    while now < end:
        full = full_walk_due(last_full, 25, now, FULL_EVERY, LIMITS.budget)
        cost = 25 if full else rng.choice([1, 1, 1, 2, 3])
        last_full = now if full else last_full
        spent += cost
        quick = quick if full else [*quick, cost][-8:]
        mean = sum(quick) / len(quick) if quick else 1.0
        history = History(arrivals, WINDOW, cost, mean, full_cost=25, found_new=cost > 1)
        now += timedelta(seconds=poll_interval(history, LIMITS, now, FULL_EVERY))
    minutes = (now - NOW).total_seconds() / 60
    assert spent / minutes <= 60 * LIMITS.budget
    assert spent / minutes > 0.8 * 60 * LIMITS.budget  # a busy source uses its budget


def test_the_interval_counts_from_the_polls_start_but_keeps_one_crawl_delay() -> None:
    assert wait_after_poll(90, elapsed=2, crawl_delay=5) == 88  # a 304 poll
    assert wait_after_poll(90, elapsed=14, crawl_delay=5) == 76  # feed + article, 5 s apart
    assert wait_after_poll(90, elapsed=120, crawl_delay=5) == 5  # a poll longer than it
    assert wait_after_poll(90, elapsed=120, crawl_delay=0) == 0


def test_a_full_walk_is_due_every_so_often_or_less_often_when_costly() -> None:
    assert full_walk_due(None, 0, NOW, FULL_EVERY, LIMITS.budget)
    recent = NOW - timedelta(hours=1)
    assert not full_walk_due(recent, 20, NOW, FULL_EVERY, LIMITS.budget)
    assert full_walk_due(NOW - timedelta(hours=3), 20, NOW, FULL_EVERY, LIMITS.budget)
    # 200 requests at 1 a minute with half the budget: every 400 minutes, not every 3 hours
    assert full_interval(200, FULL_EVERY, LIMITS.budget) == 400 * 60
    assert not full_walk_due(NOW - timedelta(hours=6), 200, NOW, FULL_EVERY, LIMITS.budget)


def test_a_full_walk_comes_when_due_or_after_a_failed_poll(db: Database) -> None:
    settings = Settings.model_validate({"polling": {"adaptive": True}})
    now = datetime.now(UTC)

    def run(mode: str, outcome: str, minutes_ago: float, requests: int = 1) -> None:
        with db.session() as session:
            session.add(
                models.CrawlRun(
                    source_key=KEY,
                    mode=mode,
                    outcome=outcome,
                    requests=requests,
                    started_at=now - timedelta(minutes=minutes_ago),
                )
            )

    ensure_sources(db, {KEY: SOURCES[KEY]})
    assert not quick_poll_now(settings, db, KEY, now)  # never walked
    run("fresh", "failed", 200)
    assert not quick_poll_now(settings, db, KEY, now)  # the walk failed
    run("fresh", "partial", 170, requests=16)
    assert quick_poll_now(settings, db, KEY, now)
    assert not quick_poll_now(settings, db, KEY, now + timedelta(minutes=10))  # 3 h: due
    run("quick", "failed", 1)
    assert not quick_poll_now(settings, db, KEY, now)  # the feed failed: walk every path
    run("fresh", "ok", 0.5, requests=16)
    assert quick_poll_now(settings, db, KEY, now)

"""Adaptive polling: when to poll a source next, and whether that poll walks every path.

The model, small on purpose (`poll_interval`):
- rhythm: the source's publication rate at this hour of the day, from its articles of the
  last `history_days` (published time, else first seen), the hour's count blended with the
  day's mean so that a few days of history do not leave most hours at zero;
- the interval that expects EXPECTED_ITEMS new items per poll at that rate, halved after a
  poll that found something (news comes in bursts) and stretched after quiet polls;
- clamped to [floor, ceiling], then raised, whatever the ceiling says, to politeness: the
  requests the last poll made, spaced by the host's crawl-delay; and the mean requests of
  the recent quick polls (a 304 costs one, a new item one more) paid for out of the
  per-host budget left after the full walks' share, so that polls keep to the budget on
  average without a long pause after each poll that fetched an article.
The interval runs from a poll's start to the next one's (`wait_after_poll`).
A full walk of every discovery path costs many requests, so most polls are quick (the
feeds only, `mode="quick"` on the run) and a full walk comes every `full_every_minutes`,
later when its cost would take more than FULL_SHARE of the budget (`full_walk_due`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from protego import Protego
from sqlalchemy import func, select

from monitor.config import Settings
from monitor.service.pipeline import POLL_MODES
from monitor.store import models
from monitor.store.db import Database
from spiders.base import Source

EXPECTED_ITEMS = 0.5  # new items a poll should find on average at the source's rate
FULL_SHARE = 0.5  # at most this share of a host's budget goes to full walks
AFTER_NEW = 0.5  # interval factor after a poll that found new items
QUIET_STEP, QUIET_MAX = 0.25, 2.0  # +25% per quiet poll in a row, up to twice
RECENT_RUNS = 8
# pacing by the mean cost spends the budget exactly, so a stretch ending just after a
# costly poll is over it by that poll's cost: keep a tenth in hand (measured without:
# 1.01-1.05 of the budget over 15 min; with a twentieth: 0.998 over 46 min)
HEADROOM = 0.9
WORKED = ("ok", "degraded", "partial")  # run outcomes that read the source


@dataclass(frozen=True)
class Limits:
    """Bounds in seconds, and the per-host budget in requests per second."""

    floor: float
    ceiling: float
    crawl_delay: float
    budget: float


@dataclass(frozen=True)
class History:
    """What the store says of a source's recent publications and polls."""

    arrivals: Sequence[datetime]  # publication (else first-seen) times inside `window`
    window: timedelta
    last_cost: int = 1  # requests the last poll made (all to one host, at worst)
    mean_cost: float = 1.0  # mean requests of the recent quick polls
    full_cost: int = 0  # requests the last full walk made
    found_new: bool = False  # the last poll stored new articles
    quiet_polls: int = 0  # polls in a row that found nothing


def full_interval(full_cost: int, full_every: float, budget: float) -> float:
    """Seconds between full walks: `full_every`, or longer if the walk is too costly."""
    return max(full_every, full_cost / (budget * FULL_SHARE))


def hourly_rate(arrivals: Sequence[datetime], window: timedelta, now: datetime) -> float:
    """Expected publications in the hour of the day `now` falls in (UTC), per hour."""
    days = window.total_seconds() / 86400
    same_hour = sum(a.hour == now.hour for a in arrivals)
    return (same_hour + len(arrivals) / 24) / (days + 1)


def poll_interval(history: History, limits: Limits, now: datetime, full_every: float) -> float:
    """Seconds until the next poll (see the module docstring)."""
    rate = hourly_rate(history.arrivals, history.window, now) / 3600
    interval = EXPECTED_ITEMS / rate if rate > 0 else limits.ceiling
    if history.found_new:
        interval *= AFTER_NEW
    else:
        interval *= min(QUIET_MAX, 1 + QUIET_STEP * history.quiet_polls)
    interval = min(max(interval, limits.floor), limits.ceiling)
    spare = limits.budget * HEADROOM - history.full_cost / full_interval(
        history.full_cost, full_every, limits.budget
    )
    return max(interval, history.last_cost * limits.crawl_delay, history.mean_cost / spare)


def wait_after_poll(interval: float, elapsed: float, crawl_delay: float) -> float:
    """Seconds from a poll's end to the next poll's start: the interval counts from this
    poll's start (the budget is requests per minute of wall time, so a poll that fetched
    an article must not also push the next one later by its own length), but the next
    request never comes sooner than one crawl-delay after this poll's last."""
    return max(interval - elapsed, crawl_delay)


def full_walk_due(
    last_full: datetime | None, full_cost: int, now: datetime, full_every: float, budget: float
) -> bool:
    if last_full is None:
        return True
    return (now - last_full).total_seconds() >= full_interval(full_cost, full_every, budget)


# --- reading the inputs from the store ---------------------------------------------------


def limits_for(settings: Settings, source: Source, db: Database) -> Limits:
    polling = settings.polling
    return Limits(
        floor=polling.floor_minutes * 60,
        ceiling=polling.ceiling_minutes * 60,
        crawl_delay=crawl_delay(settings, source, db),
        budget=polling.host_requests_per_minute / 60,
    )


def crawl_delay(settings: Settings, source: Source, db: Database) -> float:
    """The largest delay the source or its hosts' kept robots.txt ask for, up to our cap."""
    agent = settings.crawl.user_agent
    with db.session(readonly=True) as session:
        bodies = session.scalars(
            select(models.RobotsTxt.body).where(models.RobotsTxt.host.in_(source.hosts))
        )
        asked = [Protego.parse(body).crawl_delay(agent) or 0.0 for body in bodies if body]
    wanted = max([source.crawl_delay or 0.0, *asked])
    return min(wanted, settings.crawl.max_crawl_delay)


def history_for(settings: Settings, key: str, db: Database, now: datetime) -> History:
    window = timedelta(days=settings.polling.history_days)
    article, run = models.Article, models.CrawlRun
    moment = func.coalesce(article.published_at, article.created_at, type_=models.UTCDateTime)
    with db.session(readonly=True) as session:
        arrivals = list(
            session.scalars(
                select(moment).where(
                    article.source_key == key, moment >= now - window, moment <= now
                )
            )
        )
        runs = session.execute(
            select(run.mode, run.requests, run.new)
            .where(run.source_key == key, run.mode.in_(POLL_MODES))
            .order_by(run.started_at.desc(), run.id.desc())
            .limit(RECENT_RUNS)
        ).all()
    quiet = next((i for i, r in enumerate(runs) if r.new), len(runs))
    quick = [max(1, r.requests) for r in runs if r.mode == "quick"]
    return History(
        arrivals=arrivals,
        window=window,
        last_cost=max(1, runs[0].requests) if runs else 1,
        mean_cost=sum(quick) / len(quick) if quick else 1.0,
        full_cost=last_full_walk(db, key)[1],
        found_new=bool(runs and runs[0].new),
        quiet_polls=quiet,
    )


def last_full_walk(db: Database, key: str) -> tuple[datetime | None, int]:
    """Start and request count of the source's last full walk that was not a failure."""
    run = models.CrawlRun
    with db.session(readonly=True) as session:
        row = session.execute(
            select(run.started_at, run.requests)
            .where(run.source_key == key, run.mode == "fresh", run.outcome.in_(WORKED))
            .order_by(run.started_at.desc())
            .limit(1)
        ).first()
    return (row.started_at, row.requests) if row else (None, 0)


def quick_poll_now(settings: Settings, db: Database, key: str, now: datetime) -> bool:
    """A quick poll, unless a full walk is due or the last poll failed."""
    polling = settings.polling
    last, cost = last_full_walk(db, key)
    budget = polling.host_requests_per_minute / 60
    due = full_walk_due(last, cost, now, polling.full_every_minutes * 60, budget)
    return not due and last_poll_worked(db, key)


def last_poll_worked(db: Database, key: str) -> bool:
    """A poll that failed (its feed broken, say) is followed by a full walk, not by more
    quick polls of the same path until the next full walk is due."""
    run = models.CrawlRun
    with db.session(readonly=True) as session:
        outcome = session.scalar(
            select(run.outcome)
            .where(run.source_key == key, run.mode.in_(POLL_MODES))
            .order_by(run.started_at.desc(), run.id.desc())
            .limit(1)
        )
    return outcome in WORKED

"""Source health: catch the silent breakage that the crawl counts alone do not show.

A source is unhealthy when its last run met the decoy page, when its discovery looked
wrong (links but no article, an expected path standing in for), when its runs keep failing,
when it has published nothing for much longer than its own usual rhythm, or when the
pages it yields stop extracting well (failed pages, articles without title, date or
text). Each condition becomes one operator notice per source, condition and day on the
channels tagged `notify.operator_tags`, queued in the outbox like any alert; the state is
kept on the source row for `monitor status` and `/metrics`.
"""

from __future__ import annotations

import itertools
import logging
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.alerts.channels import load_channels
from monitor.alerts.outbox import enqueue_notice
from monitor.config import Settings
from monitor.domain import STAND_IN_DATES
from monitor.store import models
from monitor.store.db import Database

log = logging.getLogger(__name__)

FAILING_AFTER = 2  # consecutive failed runs; one transient error is not worth a page
STALE_FACTOR = 3  # "much longer" than the usual gap between new items
STALE_MIN_ARTICLES = 5  # fewer items give no usable rhythm
RECENT_WINDOW = 20  # pages/articles judged for extraction quality
QUALITY_MIN_SAMPLE = 4
QUALITY_BAD_RATIO = 0.5

OK = "ok"


@dataclass(frozen=True)
class Condition:
    code: str  # blocked, failing, stale, extraction
    reason: str


def _last_run(session: Session, key: str) -> models.CrawlRun | None:
    return session.scalars(
        select(models.CrawlRun)
        .where(models.CrawlRun.source_key == key, models.CrawlRun.outcome != "running")
        .order_by(models.CrawlRun.id.desc())
        .limit(1)
    ).first()


def _discovery(run: models.CrawlRun | None) -> Condition | None:
    """A run that failed at nothing yet found nothing it should have: discovery pages with
    links but no article, or an expected path (e.g. the feed) that others stood in for."""
    if run is None or not run.problems:
        return None
    return Condition("discovery", "; ".join(run.problems)[:500])


def _usual_gap(session: Session, key: str) -> timedelta | None:
    """Median gap between the source's recent publications (its rhythm)."""
    times = sorted(
        t
        for t in session.scalars(
            select(models.Article.published_at)
            .where(models.Article.source_key == key, models.Article.published_at.is_not(None))
            .order_by(models.Article.published_at.desc())
            .limit(RECENT_WINDOW)
        )
        if t is not None
    )
    if len(times) < STALE_MIN_ARTICLES:
        return None
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    return timedelta(seconds=max(statistics.median(gaps), 1.0))


def _quality(session: Session, key: str) -> Condition | None:
    states = list(
        session.scalars(
            select(models.RawPage.state)
            .where(models.RawPage.source_key == key, models.RawPage.state != "pending")
            .order_by(models.RawPage.id.desc())
            .limit(RECENT_WINDOW)
        )
    )
    if len(states) >= QUALITY_MIN_SAMPLE:
        failed = states.count("failed") / len(states)
        if failed >= QUALITY_BAD_RATIO:
            return Condition(
                "extraction", f"{failed:.0%} of the last {len(states)} pages failed extraction"
            )
    articles = session.execute(
        select(
            models.Article.title,
            models.Article.published_at,
            models.Article.published_from,
            models.Article.text,
        )
        .where(models.Article.source_key == key)
        .order_by(models.Article.id.desc())
        .limit(RECENT_WINDOW)
    ).all()
    if len(articles) < QUALITY_MIN_SAMPLE:
        return None
    missing = {
        "title": sum(not (a.title or "").strip() for a in articles),
        # a date the page did not give (discovery date, fetch time) is still a lost field
        "date": sum(a.published_at is None or a.published_from in STAND_IN_DATES for a in articles),
        "text": sum(not (a.text or "").strip() for a in articles),
    }
    lost = [
        f"{field} missing in {n}/{len(articles)}"
        for field, n in missing.items()
        if n / len(articles) >= QUALITY_BAD_RATIO
    ]
    if lost:
        return Condition("extraction", "recent articles lose fields: " + ", ".join(lost))
    return None


def assess(
    session: Session, settings: Settings, key: str, now: datetime, archive: bool = False
) -> list[Condition]:
    """The conditions that hold for this source now (empty: healthy)."""
    source = session.get_one(models.Source, key)
    conditions: list[Condition] = []
    run = _last_run(session, key)
    if run is not None and run.blocked:
        conditions.append(
            Condition("blocked", f"last run got the decoy/blocked page {run.blocked} time(s)")
        )
    if (discovery := _discovery(run)) is not None:
        conditions.append(discovery)
    if source.consecutive_failures >= FAILING_AFTER:
        detail = f": {run.error}" if run is not None and run.error else ""
        conditions.append(
            Condition(
                "failing", f"{source.consecutive_failures} failed runs in a row{detail}"[:500]
            )
        )
    gap = None if archive else _usual_gap(session, key)
    if gap is not None:
        interval = timedelta(minutes=settings.source(key).interval_minutes)
        limit = max(gap * STALE_FACTOR, interval * STALE_FACTOR)
        latest = source.last_new_at or session.scalar(
            select(models.Article.created_at)
            .where(models.Article.source_key == key)
            .order_by(models.Article.created_at.desc())
            .limit(1)
        )
        if latest is not None and now - latest > limit:
            conditions.append(
                Condition(
                    "stale", f"nothing new for {_human(now - latest)} (usually every {_human(gap)})"
                )
            )
    if quality := _quality(session, key):
        conditions.append(quality)
    conditions += robots_unreadable(session, settings, key, now)
    conditions += encoding_suspects(session, key)
    return conditions


def robots_unreadable(
    session: Session, settings: Settings, key: str, now: datetime
) -> list[Condition]:
    """Hosts whose robots.txt could not be read in the last runs (robots.txt fails closed:
    past the kept copy's age nothing is crawled there, so this is worth a notice)."""
    max_age = timedelta(hours=settings.crawl.robots_max_age_hours)
    rows = session.scalars(
        select(models.RobotsTxt)
        .where(models.RobotsTxt.source_key == key, models.RobotsTxt.failures >= FAILING_AFTER)
        .order_by(models.RobotsTxt.host)
    ).all()
    reasons = []
    for row in rows:
        copy = row.fetched_at is not None and now - row.fetched_at <= max_age
        since = f"{row.failing_since:%Y-%m-%d %H:%M} UTC" if row.failing_since else "?"
        reasons.append(
            f"robots.txt of {row.host} unreadable {row.failures} times in a row since {since}"
            f" ({row.last_error}); "
            + (
                f"crawling with the copy read {_human(now - row.fetched_at)} ago"
                if copy and row.fetched_at
                else "nothing there is crawled until it answers"
            )
        )
    return [Condition("robots", "; ".join(reasons)[:500])] if reasons else []


def encoding_suspects(session: Session, key: str) -> list[Condition]:
    """Recent articles whose text looks mis-decoded and nobody has triaged yet: garbled
    Arabic matches no rule, so without this they would be silent."""
    recent = (
        select(models.Article.id, models.Article.review_state)
        .where(models.Article.source_key == key)
        .order_by(models.Article.id.desc())
        .limit(RECENT_WINDOW)
        .subquery()
    )
    waiting = session.scalar(
        select(func.count())
        .select_from(recent)
        .join(models.ArticleMark, models.ArticleMark.article_id == recent.c.id)
        .where(recent.c.review_state == "new", models.ArticleMark.mark == models.ENCODING_SUSPECT)
    )
    if not waiting:
        return []
    return [
        Condition(
            "encoding",
            f"{waiting} recent article(s) look mis-decoded (encoding suspect, no rule can match"
            " them): they wait in the review queue",
        )
    ]


def _human(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds}s"


def check_and_alert(db: Database, settings: Settings, key: str, now: datetime) -> list[Condition]:
    """Assess one source, store its health, queue operator notices; returns the conditions."""
    from spiders import SOURCES

    spec = SOURCES.get(key)
    with db.session() as session:
        conditions = assess(session, settings, key, now, archive=bool(spec and spec.archive))
        source = session.get_one(models.Source, key)
        state = conditions[0].code if conditions else OK
        was = source.health_state
        if state != was:
            source.health_since = now
            log.log(
                logging.WARNING if conditions else logging.INFO,
                "source %s health %s -> %s",
                key,
                was,
                state,
            )
        source.health_state = state
        source.health_reason = "; ".join(c.reason for c in conditions) or None
        notices = [(c.code, c.reason) for c in conditions]
        if not conditions and was not in (OK, "unknown"):
            notices = [("recovered", f"healthy again (was {was})")]
        channels = [  # only with a notice: loading the channels loads apprise's plugins
            c
            for c in (load_channels(settings.notify).values() if notices else ())
            if c.tagged(settings.notify.operator_tags)
        ]
        if notices and not channels:
            log.warning(
                "source %s: %s, and no channel is tagged %s for operator notices",
                key,
                state,
                ",".join(settings.notify.operator_tags),
            )
        name = spec.name if spec else key
        for code, reason in notices:
            title = f"monitor: source {name} is {code}"
            body = (
                f"Source {name} ({key}) is {code} since {now:%Y-%m-%d %H:%M} UTC: {reason}.\n"
                "Check `monitor status` and the source's last crawl in the log."
            )
            queued = enqueue_notice(
                session, channels, f"{key}:{code}:{now:%Y-%m-%d}", title, body, now
            )
            if queued:
                log.warning("source %s: operator notice queued (%s: %s)", key, code, reason)
    return conditions

"""The alert outbox: rows written in the pipeline's transaction, delivered later.

One row per subject × channel × rule-set, where the subject is the article (or, once
stories exist, its story: see `alert_subject`). Rules already alerted for a subject on a
channel are never alerted again, so re-ingesting an item queues nothing and a later copy
of a story alerts only for rules the story had not matched. The unique `dedupe_key` is the
backstop when two writers race.

Flood guard, decided here so it is visible in `monitor alerts list` at once:
- items published more than `recent_hours` ago, or with no publication date at all (we
  cannot tell a back-filled item from a new one, and a first run must not flood), are
  `held`;
- beyond a channel's `max_per_hour` individual alerts, further items are `held`;
- every item for a digest-mode channel is `held`.
Held rows become one message per channel (`bundle_held`) once the oldest has waited the
channel's `digest_minutes`: a digest for digest channels, a summary for the others.

States: held -> bundled (into a digest/summary row); pending -> sending -> sent, or
retrying -> … -> failed (kept, retried by hand).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor.alerts.channels import Channel, load_channels
from monitor.alerts.render import severity_rank
from monitor.config import NotifySettings
from monitor.domain import RuleMatch
from monitor.store import models
from monitor.store.db import Database

HELD, BUNDLED = "held", "bundled"
PENDING, SENDING, SENT, RETRYING, FAILED = "pending", "sending", "sent", "retrying", "failed"
STATES = (HELD, BUNDLED, PENDING, SENDING, SENT, RETRYING, FAILED)
ITEM, DIGEST, SUMMARY, HEALTH = "item", "digest", "summary", "health"
SPIKE, BRIEFING = "spike", "briefing"  # content in Alert.payload (monitor/trends)


def alert_subject(article: models.Article) -> str:
    """What one alert is about: the story when the article belongs to one, else the article."""
    return f"story:{article.story_id}" if article.story_id else f"article:{article.id}"


def alert_key(subject: str, channel: str, rules: Iterable[str]) -> str:
    """The outbox identity of one alert; long rule lists are hashed to fit the column."""
    joined = ",".join(sorted(set(rules)))
    if len(joined) > 120:
        joined = "sha1:" + hashlib.sha1(joined.encode()).hexdigest()
    return f"{subject}|{channel}|{joined}"


def is_recent(article: models.Article, now: datetime, recent_hours: float) -> bool:
    published = article.published_at
    return published is not None and published >= now - timedelta(hours=recent_hours)


def enqueue(
    session: Session,
    article: models.Article,
    matches: list[RuleMatch],
    settings: NotifySettings,
    now: datetime,
) -> list[models.Alert]:
    """Queue the alerts for one article, inside the caller's transaction."""
    if not matches:
        return []
    session.flush()  # the article needs its id
    recent = is_recent(article, now, settings.recent_hours)
    severity = {m.rule: m.severity for m in matches}
    created: list[models.Alert] = []
    for channel in load_channels(settings).values():
        routed = {m.rule for m in matches if channel.receives(m.notify)}
        rules = sorted(routed - _alerted_rules(session, article, channel.name))
        if not rules:
            continue
        held = not recent or channel.mode == "digest" or _over_rate(session, channel, now)
        alert = models.Alert(
            dedupe_key=alert_key(alert_subject(article), channel.name, rules),
            kind=ITEM,
            article_id=article.id,
            story_id=article.story_id,
            channel=channel.name,
            rules=rules,
            severity=max((severity[r] for r in rules), key=severity_rank),
            state=HELD if held else PENDING,
            next_attempt_at=now,
            created_at=now,
        )
        if _add_once(session, alert):
            created.append(alert)
    return created


def _add_once(session: Session, alert: models.Alert) -> bool:
    """Insert unless the dedupe key exists (another writer may have queued it first)."""
    try:
        with session.begin_nested():
            session.add(alert)
    except IntegrityError:
        return False
    return True


def _alerted_rules(session: Session, article: models.Article, channel: str) -> set[str]:
    subject = (
        models.Alert.story_id == article.story_id
        if article.story_id
        else models.Alert.article_id == article.id
    )
    rows = session.scalars(
        select(models.Alert.rules).where(
            subject, models.Alert.channel == channel, models.Alert.kind == ITEM
        )
    )
    return {rule for rules in rows for rule in rules}


def _over_rate(session: Session, channel: Channel, now: datetime) -> bool:
    sent_alone = session.scalar(
        select(func.count()).where(
            models.Alert.channel == channel.name,
            models.Alert.kind == ITEM,
            models.Alert.state.not_in((HELD, BUNDLED)),
            models.Alert.created_at > now - timedelta(hours=1),
        )
    )
    return (sent_alone or 0) >= channel.max_per_hour


def enqueue_notice(
    session: Session,
    channels: Iterable[Channel],
    key: str,
    title: str,
    body: str,
    now: datetime,
) -> list[models.Alert]:
    """Queue an operator notice (kind `health`) once per channel for this key."""
    return _queue(session, channels, HEALTH, key, now, rules=[], title=title, body=body)


def enqueue_payload(
    session: Session,
    channels: Iterable[Channel],
    kind: str,
    key: str,
    payload: dict[str, Any],
    now: datetime,
    rules: Sequence[str] = (),
    severity: str | None = None,
) -> list[models.Alert]:
    """Queue a message whose content is computed upstream (a spike, a briefing) once per
    channel for this key. Never held: each is already a summary, sent when it happens."""
    return _queue(
        session, channels, kind, key, now, rules=list(rules), severity=severity, payload=payload
    )


def _queue(
    session: Session,
    channels: Iterable[Channel],
    kind: str,
    key: str,
    now: datetime,
    **columns: Any,
) -> list[models.Alert]:
    """One pending alert of `kind` per channel, unless this key already queued it there."""
    created = []
    for channel in channels:
        alert = models.Alert(
            dedupe_key=f"{kind}:{key}|{channel.name}",
            kind=kind,
            channel=channel.name,
            state=PENDING,
            next_attempt_at=now,
            created_at=now,
            **columns,
        )
        if _add_once(session, alert):
            created.append(alert)
    return created


def bundle_held(db: Database, channels: dict[str, Channel], now: datetime) -> int:
    """Turn each channel's held rows into one digest/summary row once they are due.

    Returns how many held rows were bundled. Rows of channels no longer configured stay
    held (and visible) rather than disappear.
    """
    bundled = 0
    for channel in channels.values():
        with db.session() as session:
            oldest = session.scalar(
                select(func.min(models.Alert.created_at)).where(
                    models.Alert.channel == channel.name, models.Alert.state == HELD
                )
            )
            if oldest is None or oldest + timedelta(minutes=channel.digest_minutes) > now:
                continue
            rows = session.scalars(
                select(models.Alert)
                .where(models.Alert.channel == channel.name, models.Alert.state == HELD)
                .order_by(models.Alert.id)
                .with_for_update(skip_locked=True)
            ).all()
            if rows:
                _bundle(session, channel, rows, now)
                bundled += len(rows)
    return bundled


def _bundle(
    session: Session, channel: Channel, rows: Sequence[models.Alert], now: datetime
) -> None:
    kind = DIGEST if channel.mode == "digest" else SUMMARY
    bundle = models.Alert(
        dedupe_key=f"{kind}|{channel.name}|{rows[0].id}",
        kind=kind,
        channel=channel.name,
        rules=sorted({rule for row in rows for rule in row.rules}),
        severity=max((row.severity for row in rows), key=severity_rank),
        state=PENDING,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(bundle)
    session.flush()
    for row in rows:
        row.state, row.parent_id = BUNDLED, bundle.id


def retry(
    session: Session, ids: Sequence[int] = (), failed: bool = False, now: datetime | None = None
) -> int:
    """Queue failed or retrying alerts again now, with a full attempt budget; returns how many.

    Sent alerts are never re-queued: that would be the duplicate the outbox exists to avoid.
    """
    query = select(models.Alert)
    if failed:
        query = query.where(models.Alert.state == FAILED)
    else:
        query = query.where(models.Alert.id.in_(ids), models.Alert.state.in_((FAILED, RETRYING)))
    rows = session.scalars(query).all()
    for row in rows:
        row.state, row.attempts, row.next_attempt_at = PENDING, 0, now or models.utcnow()
    return len(rows)

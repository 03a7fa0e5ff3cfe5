"""Outbox rows for a change to a flagged item (edited, removed, ...): once per change.

Written in the transaction that records the change, like every other alert. The message
is composed here from our own words and the article's fields (escaped when rendered), and
kept on the row, so a later edit of the article cannot change what was reported. It goes
to the channels that were already told about the item (or its story); an item nobody was
alerted about goes to the channels that take untagged alerts (`always`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from monitor.alerts.channels import Channel, load_channels
from monitor.alerts.outbox import PENDING, _add_once
from monitor.alerts.render import format_time, severity_rank
from monitor.config import Settings
from monitor.store import models

CHANGE = "change"


def wants_alert(article: models.Article, change: models.ArticleChange, settings: Settings) -> bool:
    policy = settings.recheck
    states = policy.alert_states
    return change.kind in policy.alert_changes and (
        states == "all" or article.review_state in states
    )


def _told(session: Session, article: models.Article, channels: dict[str, Channel]) -> list[Channel]:
    subject = models.Alert.article_id == article.id
    if article.story_id:
        subject = or_(subject, models.Alert.story_id == article.story_id)
    names = set(session.scalars(select(models.Alert.channel).where(subject).distinct()))
    told = [c for name, c in channels.items() if name in names]
    return told or [c for c in channels.values() if c.receives(())]


def change_message(
    article: models.Article, change: models.ArticleChange, review_url: str
) -> tuple[str, str]:
    """(title, body) of the alert; the body's lines are escaped per format when sent."""
    rules = sorted({m.rule_id for m in article.matches})
    what = change.kind.upper() + (f" (HTTP {change.status})" if change.status else "")
    lines = [
        f"{what} · {', '.join(rules) or 'no rule'}",
        f"Source: {article.source_key}",
        f"Title: {article.title or '(no title)'}",
        f"Review state: {article.review_state}",
        f"Detected: {format_time(change.detected_at, False)}",
    ]
    if change.detail:
        lines += change.detail.splitlines()
    if change.rules_stopped:
        lines.append(f"Rules no longer matching: {', '.join(change.rules_stopped)}")
    if change.rules_started:
        lines.append(f"Rules now matching: {', '.join(change.rules_started)}")
    if change.new_url:
        lines.append(f"New address: {change.new_url}")
    lines += [f"Article: {change.old_url or article.url}", f"Review: {review_url}"]
    return f"monitor: item {article.id} {change.kind} ({article.source_key})", "\n".join(lines)


def enqueue_change(
    session: Session,
    article: models.Article,
    change: models.ArticleChange,
    settings: Settings,
    now: datetime,
) -> Sequence[models.Alert]:
    """Queue the alerts for one recorded change (none if the policy does not want them)."""
    if not wants_alert(article, change, settings):
        return []
    session.flush()  # the change needs its id
    review_url = f"{settings.review.base_url.rstrip('/')}/item/{article.id}"
    title, body = change_message(article, change, review_url)
    severities = [m.severity for m in article.matches]
    created = []
    for channel in _told(session, article, load_channels(settings.notify)):
        alert = models.Alert(
            dedupe_key=f"{CHANGE}:{change.id}|{channel.name}",
            kind=CHANGE,
            article_id=article.id,
            story_id=article.story_id,
            channel=channel.name,
            rules=sorted({m.rule_id for m in article.matches}),
            severity=max(severities, key=severity_rank) if severities else None,
            state=PENDING,
            title=title,
            body=body,
            next_attempt_at=now,
            created_at=now,
        )
        if _add_once(session, alert):
            created.append(alert)
    return created

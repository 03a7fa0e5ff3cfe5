"""Deliver the outbox through apprise, durably: nothing lost, nothing sent twice on restart.

`drain` claims due rows with a lease (owner + expiry) so a killed process's claim runs
out and another drain takes over; on PostgreSQL the claim also skips rows another worker
has locked (`FOR UPDATE SKIP LOCKED`), on SQLite `BEGIN IMMEDIATE` serialises claims.
Each row is marked sent in its own short transaction right after apprise accepts it.

Delivery is at-least-once: a crash between apprise's success and that commit leaves the
row `sending`; once its lease expires it is sent again. That window is one message per
crashed worker, and every message carries its alert id so a duplicate can be spotted.

apprise does not read Telegram's 429 `retry_after`; its warning log line carries the
API's description ("Too Many Requests: retry after N"), which we parse and honour as the
earliest next attempt. apprise reports SMTP 4xx and 5xx alike (False), so permanent
refusals are retried until `max_attempts`, then `failed` with an operator notice.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import apprise
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from monitor.alerts.changes import CHANGE
from monitor.alerts.channels import Channel, load_channels
from monitor.alerts.outbox import (
    BRIEFING,
    BUNDLED,
    DIGEST,
    FAILED,
    HEALTH,
    HELD,
    ITEM,
    PENDING,
    RETRYING,
    SENDING,
    SENT,
    SPIKE,
    bundle_held,
    enqueue_notice,
)
from monitor.alerts.render import (
    BriefingView,
    Format,
    ItemView,
    MatchView,
    Message,
    SpikeView,
    render_briefing,
    render_bundle,
    render_item,
    render_notice,
    render_spike,
)
from monitor.config import ChannelSettings, NotifySettings, Settings
from monitor.log import redact
from monitor.store import models
from monitor.store.db import Database

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # longer than any apprise send (SMTP connect timeout is 15 s)
BATCH = 10  # a killed worker strands at most this many claims until the lease runs out
_RETRY_AFTER = re.compile(r"retry after (\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    error: str | None = None
    retry_after: float | None = None  # seconds the service asked us to wait
    permanent: bool = False  # retrying cannot help (bad URL, channel removed)


class Notifier(Protocol):
    """Sends one message to one channel; the outbox does retries and bookkeeping."""

    def send(self, channel: Channel, message: Message) -> Outcome: ...


class AppriseNotifier:
    """The real notifier: one apprise object per channel URL, built on first use."""

    def __init__(self) -> None:
        self._services: dict[str, apprise.Apprise] = {}

    def send(self, channel: Channel, message: Message) -> Outcome:
        service = self._service(channel)
        if service is None:
            return Outcome(
                False, f"channel {channel.name}: apprise cannot use its URL", permanent=True
            )
        fmt: Format = service[0].resolve_format(None).value
        with _apprise_warnings() as warnings:
            ok = bool(service.notify(body=message.body(fmt), title=message.title, body_format=fmt))
        if ok:
            return Outcome(True)
        waits = [int(m.group(1)) for w in warnings if (m := _RETRY_AFTER.search(w))]
        error = "; ".join(dict.fromkeys(warnings)) or "apprise reported a failed delivery"
        return Outcome(False, redact(error)[:1000], retry_after=max(waits) if waits else None)

    def _service(self, channel: Channel) -> apprise.Apprise | None:
        if channel.name not in self._services:
            service = apprise.Apprise()
            if not service.add(channel.url):
                return None
            self._services[channel.name] = service
        return self._services[channel.name]


class _WarningCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _apprise_warnings() -> Iterator[list[str]]:
    """apprise reports *why* a send failed only in its log; collect it for last_error."""
    handler = _WarningCapture()
    apprise_log = logging.getLogger("apprise")
    apprise_log.addHandler(handler)
    try:
        yield handler.messages
    finally:
        apprise_log.removeHandler(handler)


@dataclass
class FakeNotifier:
    """For unit tests: records messages; `outcomes` scripts the next replies (then OK)."""

    outcomes: list[Outcome] = field(default_factory=list)
    sent: list[tuple[str, Message]] = field(default_factory=list)

    def send(self, channel: Channel, message: Message) -> Outcome:
        outcome = self.outcomes.pop(0) if self.outcomes else Outcome(True)
        if outcome.ok:
            self.sent.append((channel.name, message))
        return outcome


@dataclass
class DrainSummary:
    bundled: int = 0  # held alerts folded into digest/summary messages
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def as_json(self) -> dict[str, int]:
        return asdict(self)

    def __str__(self) -> str:
        return (
            f"sent {self.sent}, retrying {self.retrying}, failed {self.failed}, "
            f"bundled {self.bundled} held alerts"
        )


def drain(
    db: Database,
    settings: Settings,
    now: datetime | None = None,
    notifier: Notifier | None = None,
    owner: str | None = None,
) -> DrainSummary:
    """Send every due alert once; returns what happened. Safe to run in several processes.

    `now` freezes the clock (tests); otherwise each claim and outcome reads the real time,
    so a long drain never hands out leases that have already run out.
    """

    def clock() -> datetime:
        return now or models.utcnow()

    channels = load_channels(settings.notify)
    notifier = notifier or AppriseNotifier()
    owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    summary = DrainSummary(bundled=bundle_held(db, channels, clock()))
    while batch := _claim(db, owner, clock()):
        for alert_id in batch:
            state = _deliver(db, alert_id, channels, notifier, settings, clock)
            setattr(summary, state, getattr(summary, state) + 1)
    return summary


def has_due_work(db: Database, notify: NotifySettings, now: datetime) -> bool:
    """Whether `drain` would send or bundle anything now, without loading apprise's plugins
    (a daemon whose outbox is empty should not hold them; they are ~25 MB)."""
    alert = models.Alert
    digests = [c.digest_minutes for c in notify.channels.values()]
    if notify.apprise_config:
        digests.append(ChannelSettings.model_fields["digest_minutes"].default)
    with db.session(readonly=True) as session:
        if session.scalar(select(alert.id).where(_due(now)).limit(1)) is not None:
            return True
        oldest = session.scalar(select(func.min(alert.created_at)).where(alert.state == HELD))
    return oldest is not None and bool(digests) and oldest + timedelta(minutes=min(digests)) <= now


def _due(now: datetime) -> ColumnElement[bool]:
    alert = models.Alert
    return or_(
        and_(
            alert.state.in_((PENDING, RETRYING)),
            or_(alert.next_attempt_at.is_(None), alert.next_attempt_at <= now),
        ),
        and_(alert.state == SENDING, alert.lease_until < now),  # its worker died
    )


def _claim(db: Database, owner: str, now: datetime, limit: int = BATCH) -> list[int]:
    alert = models.Alert
    due = _due(now)
    with db.session() as session:
        rows = session.scalars(
            select(alert)
            .where(due)
            .order_by(alert.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            row.state, row.lease_owner, row.lease_until = SENDING, owner, now + LEASE
        return [row.id for row in rows]


def _deliver(
    db: Database,
    alert_id: int,
    channels: dict[str, Channel],
    notifier: Notifier,
    settings: Settings,
    clock: Callable[[], datetime],
) -> str:
    """Send one claimed alert and record the outcome; returns sent, retrying or failed."""
    with db.session() as session:
        alert = session.get_one(models.Alert, alert_id)
        channel = channels.get(alert.channel)
        message = _message(session, alert, settings.review.base_url) if channel else None
    if channel is None or message is None:
        outcome = Outcome(
            False,
            f"channel {alert.channel!r} is not configured (or its item is gone)",
            permanent=True,
        )
    else:
        try:
            outcome = notifier.send(channel, message)
        except Exception as exc:  # noqa: BLE001 - a notifier bug must not stop the other alerts
            outcome = Outcome(False, f"{type(exc).__name__}: {exc}")
    with db.session() as session:
        alert = session.get_one(models.Alert, alert_id)
        return _record(session, alert, outcome, channels, settings.notify, clock())


def _record(
    session: Session,
    alert: models.Alert,
    outcome: Outcome,
    channels: dict[str, Channel],
    settings: NotifySettings,
    now: datetime,
) -> str:
    alert.attempts += 1
    alert.lease_owner = alert.lease_until = None
    if outcome.ok:
        alert.state, alert.sent_at, alert.last_error = SENT, now, None
        log.info("alert %s (%s) sent to %s", alert.id, alert.kind, alert.channel)
        return SENT
    alert.last_error = redact(outcome.error or "delivery failed")[:1000]
    if outcome.permanent or alert.attempts >= settings.max_attempts:
        alert.state, alert.next_attempt_at = FAILED, None
        log.error(
            "alert %s to %s failed after %d attempts: %s",
            alert.id,
            alert.channel,
            alert.attempts,
            alert.last_error,
        )
        if alert.kind != HEALTH:
            _notify_operator(session, alert, channels, settings, now)
        return FAILED
    wait = min(settings.backoff_max_seconds, settings.backoff_seconds * 2 ** (alert.attempts - 1))
    wait = max(wait, outcome.retry_after or 0)
    alert.state, alert.next_attempt_at = RETRYING, now + timedelta(seconds=wait)
    log.warning(
        "alert %s to %s: attempt %d failed (%s); next try in %.0f s",
        alert.id,
        alert.channel,
        alert.attempts,
        alert.last_error,
        wait,
    )
    return RETRYING


def _notify_operator(
    session: Session,
    alert: models.Alert,
    channels: dict[str, Channel],
    settings: NotifySettings,
    now: datetime,
) -> None:
    targets = [
        c for c in channels.values() if c.tagged(settings.operator_tags) and c.name != alert.channel
    ]
    body = (
        f"Alert #{alert.id} ({alert.kind}) could not be delivered to channel {alert.channel} "
        f"after {alert.attempts} attempts.\nLast error: {alert.last_error}\n"
        f"Retry with: monitor alerts retry {alert.id}"
    )
    enqueue_notice(
        session,
        targets,
        f"failed:{alert.id}:{alert.attempts}",
        "monitor: alert delivery failed",
        body,
        now,
    )


def _message(session: Session, alert: models.Alert, base_url: str) -> Message | None:
    base_url = base_url.rstrip("/")
    if alert.kind == HEALTH:
        return render_notice(alert.id, alert.title or "monitor notice", alert.body or "")
    if alert.kind == CHANGE:  # composed when the change was recorded (monitor.alerts.changes)
        return render_notice(alert.id, alert.title or "monitor change", alert.body or "", "Alert")
    if alert.kind == ITEM:
        views = _item_views(session, [alert], base_url)
        return render_item(views[0]) if views else None
    if alert.kind == SPIKE and alert.payload:
        return render_spike(alert.id, SpikeView.from_json(alert.payload), base_url)
    if alert.kind == BRIEFING and alert.payload:
        return render_briefing(alert.id, BriefingView.from_json(alert.payload), base_url)
    children = session.scalars(
        select(models.Alert)
        .where(models.Alert.parent_id == alert.id, models.Alert.state == BUNDLED)
        .order_by(models.Alert.id)
    ).all()
    heading = "Digest" if alert.kind == DIGEST else "Held back (old items or over the hourly limit)"
    return render_bundle(
        alert.id, heading, _item_views(session, children, base_url), f"{base_url}/"
    )


def _item_views(session: Session, alerts: Sequence[models.Alert], base_url: str) -> list[ItemView]:
    ids = {a.article_id for a in alerts if a.article_id is not None}
    articles = {
        a.id: a
        for a in session.scalars(
            select(models.Article)
            .where(models.Article.id.in_(ids))
            .options(selectinload(models.Article.matches))
        )
    }
    views = []
    for alert in alerts:
        article = articles.get(alert.article_id or -1)
        if article is None:
            continue
        matches = [
            MatchView(m.rule_id, m.rule_name, m.severity, m.terms, m.snippets)
            for m in article.matches
            if m.rule_id in alert.rules
        ]
        views.append(
            ItemView(
                alert_id=alert.id,
                source=article.source_key,
                title=article.title,
                url=article.url,
                published=article.published_at,
                published_is_date=article.published_is_date,
                review_url=f"{base_url}/item/{article.id}",
                matches=matches,
            )
        )
    return views

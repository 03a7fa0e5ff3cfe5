"""Draining the outbox with a fake notifier: retries, back-off, caps, leases, crashes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alert_helpers import NOW, ingest, notify_settings, settings_with
from sqlalchemy import select

from monitor.alerts.notifier import LEASE, FakeNotifier, Outcome, drain, has_due_work
from monitor.alerts.outbox import retry
from monitor.config import ChannelSettings
from monitor.store import models
from monitor.store.db import Database
from monitor.store.migrate import upgrade

MAIL = ChannelSettings(url="json://127.0.0.1:9/mail")
OPS = ChannelSettings(url="json://127.0.0.1:9/ops", tags=["operator"])


@pytest.fixture
def settings(tmp_path):
    return settings_with(tmp_path, notify_settings(mail=MAIL))


def test_due_alerts_are_sent_once(db, settings, alerts_of):
    ingest(db, settings.notify)
    ingest(db, settings.notify)
    fake = FakeNotifier()
    summary = drain(db, settings, NOW, fake)
    assert (summary.sent, summary.retrying, summary.failed) == (2, 0, 0)
    assert drain(db, settings, NOW + timedelta(hours=1), fake).sent == 0
    assert len(fake.sent) == 2
    assert [(a.state, a.attempts, a.sent_at) for a in alerts_of()] == [("sent", 1, NOW)] * 2
    assert "Alert #1" in fake.sent[0][1].text


def test_failures_back_off_exponentially_then_deliver(db, settings, alerts_of):
    ingest(db, settings.notify)
    fake = FakeNotifier([Outcome(False, "HTTP 500")] * 3)
    clock, waits = NOW, []
    while not fake.sent:
        drain(db, settings, clock, fake)
        alert = alerts_of()[0]
        if alert.state == "retrying":
            waits.append((alert.next_attempt_at - clock).total_seconds())
            assert (
                drain(db, settings, alert.next_attempt_at - timedelta(seconds=1), fake).retrying
                == 0
            )
            clock = alert.next_attempt_at
    assert waits == [30, 60, 120]
    assert alerts_of()[0].state == "sent" and alerts_of()[0].attempts == 4
    assert len(fake.sent) == 1


def test_back_off_is_capped(db, tmp_path, alerts_of):
    notify = notify_settings(mail=MAIL).model_copy(
        update={"max_attempts": 20, "backoff_max_seconds": 100}
    )
    settings = settings_with(tmp_path, notify)
    ingest(db, notify)
    fake = FakeNotifier([Outcome(False, "down")] * 10)
    clock = NOW
    for _ in range(6):
        drain(db, settings, clock, fake)
        clock = alerts_of()[0].next_attempt_at
    assert clock - NOW == timedelta(seconds=30 + 60 + 100 * 4)


def test_retry_after_from_the_service_is_honoured(db, settings, alerts_of):
    ingest(db, settings.notify)
    drain(db, settings, NOW, FakeNotifier([Outcome(False, "429", retry_after=300)]))
    assert alerts_of()[0].next_attempt_at == NOW + timedelta(seconds=300)


def test_after_the_last_attempt_the_alert_fails_visibly_and_the_operator_hears(
    db, tmp_path, alerts_of
):
    settings = settings_with(tmp_path, notify_settings(mail=MAIL, ops=OPS))
    ingest(db, settings.notify, matches=None)
    mail_id = alerts_of(channel="mail")[0].id
    fake = FakeNotifier([Outcome(False, "550 rejected for mailto://u:pw-TESTSECRET@h")] * 4)
    clock = NOW
    for _ in range(4):
        drain(db, settings, clock, fake)
        clock += timedelta(hours=1)
    mail = alerts_of(id=mail_id)[0]
    assert (mail.state, mail.attempts) == ("failed", 4)
    assert "550 rejected" in mail.last_error and "TESTSECRET" not in mail.last_error
    notices = alerts_of(kind="health")
    assert [(n.channel, n.state) for n in notices] == [("ops", "sent")]
    assert f"monitor alerts retry {mail_id}" in fake.sent[-1][1].text
    # by hand: retried with a full budget, then delivered
    with db.session() as session:
        assert retry(session, failed=True, now=clock) == 1
    assert drain(db, settings, clock, fake).sent == 1
    assert alerts_of(id=mail_id)[0].state == "sent"


def test_an_alert_for_a_removed_channel_fails_at_once(db, tmp_path, settings, alerts_of):
    ingest(db, settings.notify)
    gone = settings_with(tmp_path, notify_settings())
    assert drain(db, gone, NOW, FakeNotifier()).failed == 1
    assert "not configured" in alerts_of()[0].last_error


class Crash(BaseException):
    """Stands for the process dying: not an Exception, so nothing catches it."""


class CrashAfterSend(FakeNotifier):
    def __init__(self, after: int) -> None:
        super().__init__()
        self.after = after

    def send(self, channel, message):
        outcome = super().send(channel, message)
        if len(self.sent) == self.after:
            raise Crash  # delivered, but the process dies before marking it sent
        return outcome


def test_crash_between_send_and_mark_duplicates_at_most_one(db, settings, alerts_of):
    """Reliability D5: at-least-once with a one-message window, spotted by the alert id."""
    for _ in range(5):
        ingest(db, settings.notify)
    crashing = CrashAfterSend(after=3)
    with pytest.raises(Crash):
        drain(db, settings, NOW, crashing)
    assert [a.state for a in alerts_of()] == ["sent", "sent", "sending", "sending", "sending"]
    restarted = FakeNotifier()
    assert drain(db, settings, NOW + timedelta(seconds=10), restarted).sent == 0  # lease held
    summary = drain(db, settings, NOW + LEASE + timedelta(seconds=1), restarted)
    assert summary.sent == 3
    delivered = [m.title for _, m in crashing.sent + restarted.sent]
    assert len(set(delivered)) == 5 and len(delivered) == 6  # all five, one of them twice
    assert [a.state for a in alerts_of()] == ["sent"] * 5


def test_a_notifier_bug_is_recorded_not_raised(db, tmp_path, alerts_of):
    token = "123456789:TESTSECRETtokenABC"
    settings = settings_with(
        tmp_path, notify_settings(tg=ChannelSettings(url=f"tgram://{token}/-100"))
    )

    class Broken(FakeNotifier):
        def send(self, channel, message):
            raise RuntimeError(f"boom at https://api.telegram.org/bot{token}/sendMessage")

    ingest(db, settings.notify)
    assert drain(db, settings, NOW, Broken()).retrying == 1
    assert alerts_of()[0].last_error.startswith("RuntimeError: boom")
    assert "TESTSECRET" not in alerts_of()[0].last_error


def test_two_drains_never_claim_the_same_alert(db, settings):
    from monitor.alerts.notifier import _claim

    for _ in range(4):
        ingest(db, settings.notify)
    first = _claim(db, "a", NOW, limit=2)
    second = _claim(db, "b", NOW, limit=10)
    assert len(first) == 2 and len(second) == 2 and not set(first) & set(second)


@pytest.mark.postgres
def test_claim_skips_rows_another_worker_has_locked_on_postgresql(postgres_url):
    from monitor.alerts.notifier import _claim

    db = Database(postgres_url)
    upgrade(db)
    notify = notify_settings(mail=MAIL)
    for _ in range(4):
        ingest(db, notify)
    with db.session() as holder:  # another worker, in the middle of its claim transaction
        query = select(models.Alert.id).order_by(models.Alert.id).limit(2).with_for_update()
        locked = list(holder.scalars(query))
        claimed = _claim(db, "b", NOW, limit=10)  # returns at once instead of waiting
    assert len(claimed) == 2 and set(claimed).isdisjoint(locked)
    assert sorted(_claim(db, "c", NOW, limit=10)) == locked
    db.dispose()


def test_outbox_round_trip_on_every_backend(any_db, tmp_path):
    settings = settings_with(tmp_path, notify_settings(mail=MAIL))
    for _ in range(4):
        ingest(any_db, settings.notify)
    fake = FakeNotifier([Outcome(False, "down")])
    assert drain(any_db, settings, NOW, fake).as_json() == {
        "bundled": 0,
        "sent": 3,
        "retrying": 1,
        "failed": 0,
    }
    assert drain(any_db, settings, NOW + timedelta(minutes=1), fake).sent == 1
    assert drain(any_db, settings, NOW + timedelta(hours=1), fake).sent == 0
    assert len(fake.sent) == 4


def test_the_daemon_looks_for_due_work_before_starting_a_delivery(db, settings):
    """`has_due_work` says yes exactly when a drain would send or bundle something."""
    notify = settings.notify
    assert not has_due_work(db, notify, NOW)
    ingest(db, notify, published=NOW - timedelta(days=30))  # held for the hourly summary
    assert not has_due_work(db, notify, NOW + timedelta(minutes=59))
    assert has_due_work(db, notify, NOW + timedelta(minutes=61))
    drain(db, settings, NOW + timedelta(minutes=61), FakeNotifier())
    assert not has_due_work(db, notify, NOW + timedelta(minutes=62))
    ingest(db, notify)
    assert has_due_work(db, notify, NOW)
    drain(db, settings, NOW, FakeNotifier([Outcome(False, "HTTP 500")]))
    assert not has_due_work(db, notify, NOW + timedelta(seconds=29))  # backing off
    assert has_due_work(db, notify, NOW + timedelta(seconds=31))

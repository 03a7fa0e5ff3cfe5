"""Delivery through the real apprise to loopback servers: aiosmtpd and an HTTP endpoint."""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from alert_helpers import (
    ARABIC_TITLE,
    NOW,
    add_article,
    ingest,
    notify_settings,
    rule_match,
    settings_with,
)
from apprise.plugins.telegram import NotifyTelegram
from sqlalchemy import select

from monitor.alerts import drain, enqueue
from monitor.config import ChannelSettings
from monitor.log import setup_logging
from monitor.store import models
from monitor.testing.endpoint import Endpoint
from monitor.testing.smtp import SmtpServer

TOKEN = "123456789:TESTSECRETxyzABCDEFGH"
PASSWORD = "pw-TESTSECRET"


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    with Endpoint() as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer(user="monitor", password=PASSWORD) as server:
        yield server


@pytest.fixture
def telegram(monkeypatch) -> Iterator[Endpoint]:
    """A fake Telegram Bot API on loopback (apprise's API base URL pointed at it)."""
    with Endpoint() as server:
        monkeypatch.setattr(NotifyTelegram, "notify_url", f"{server.url}/bot")
        yield server


def alert_ids(messages: list[str]) -> Counter[int]:
    return Counter(int(n) for m in messages for n in re.findall(r"Alert #(\d+)", m))


def test_an_alert_arrives_over_json_with_the_expected_content(db, tmp_path, endpoint):
    settings = settings_with(
        tmp_path, notify_settings(hook=ChannelSettings(url=endpoint.apprise_url("json")))
    )
    [alert] = ingest(db, settings.notify, title=ARABIC_TITLE + " <b>{{7*7}}</b>")
    assert drain(db, settings, NOW).sent == 1
    [posted] = endpoint.received
    payload = posted.json
    assert payload["title"] == f"[high] chlorine · etilaf (alert #{alert.id})"
    message = payload["message"]
    assert ARABIC_TITLE in message and "<b>{{7*7}}</b>" in message  # text body: shown, not run
    assert "2026-11-22 11:00 UTC · 2026-11-22 14:00 Damascus" in message
    assert f"Review: http://127.0.0.1:8080/item/{alert.article_id}" in message
    assert f"Alert #{alert.id}" in message


def test_an_alert_arrives_by_email_as_escaped_html(db, tmp_path, smtp):
    settings = settings_with(
        tmp_path, notify_settings(mail=ChannelSettings(url=smtp.apprise_url()))
    )
    [alert] = ingest(db, settings.notify, title="<script>alert(1)</script> " + ARABIC_TITLE)
    assert drain(db, settings, NOW).sent == 1
    [mail] = smtp.received
    assert mail["Subject"] == f"[high] chlorine · etilaf (alert #{alert.id})"
    assert mail["To"] == "analyst@example.org"
    html = mail.get_body(("html",)).get_content()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert ARABIC_TITLE in html and f"/item/{alert.article_id}" in html


def test_smtp_refuses_twice_then_accepts_exactly_one_mail(db, tmp_path, smtp, alerts_of, caplog):
    """Reliability D1: 451 twice, then 250 -> one mail; pending -> retrying -> sent."""
    settings = settings_with(
        tmp_path, notify_settings(mail=ChannelSettings(url=smtp.apprise_url()))
    )
    ingest(db, settings.notify)
    smtp.fail_next(2, 451)
    states, clock = [], NOW
    for _ in range(3):
        drain(db, settings, clock)
        alert = alerts_of()[0]
        states.append(alert.state)
        clock = alert.next_attempt_at or clock
    assert states == ["retrying", "retrying", "sent"]
    assert smtp.refused == 2 and len(smtp.received) == 1
    assert "next try in 30 s" in caplog.text and "next try in 60 s" in caplog.text


def test_channel_down_then_up_delivers_once_and_loses_nothing(db, tmp_path, endpoint, alerts_of):
    settings = settings_with(
        tmp_path, notify_settings(hook=ChannelSettings(url=endpoint.apprise_url()))
    )
    for _ in range(3):
        ingest(db, settings.notify)
    endpoint.stop()  # connection refused
    assert drain(db, settings, NOW).retrying == 3
    endpoint.start()  # same port; first it drops one connection, then answers 500 once
    endpoint.fail_next(1, "down")
    endpoint.fail_next(1, 500)
    clock = NOW
    for _ in range(3):
        clock += timedelta(hours=1)
        drain(db, settings, clock)
    assert len(endpoint.requests) == 2 + 3
    assert alert_ids([r.json["message"] for r in endpoint.received]) == Counter({1: 1, 2: 1, 3: 1})
    assert [a.state for a in alerts_of()] == ["sent"] * 3


def test_permanent_smtp_refusal_fails_after_the_cap_and_tells_the_operator(
    db, tmp_path, smtp, endpoint, alerts_of
):
    """Reliability D2: no endless retry; failed, visible, operator alerted on another channel."""
    notify = notify_settings(
        mail=ChannelSettings(url=smtp.apprise_url()),
        ops=ChannelSettings(url=endpoint.apprise_url(), tags=["operator"]),
    )
    settings = settings_with(tmp_path, notify)
    ingest(db, notify)
    smtp.fail_next(10, 550)
    clock = NOW
    for _ in range(5):
        drain(db, settings, clock)
        clock += timedelta(hours=1)
    [mail] = alerts_of(channel="mail")
    assert (mail.state, mail.attempts) == ("failed", notify.max_attempts)
    assert smtp.refused == notify.max_attempts and smtp.received == []
    [notice] = endpoint.received
    assert (
        f"Alert #{mail.id}" in notice.json["message"]
        and "could not be delivered" in notice.json["message"]
    )


def test_one_channel_down_does_not_hold_up_another(db, tmp_path, smtp, telegram, alerts_of):
    """Reliability D6: Telegram answers 500, mail goes through; Telegram retries on its own row."""
    notify = notify_settings(
        tg=ChannelSettings(url=f"tgram://{TOKEN}/-100123"),
        mail=ChannelSettings(url=smtp.apprise_url()),
    )
    settings = settings_with(tmp_path, notify)
    ingest(db, notify)
    telegram.fail_next(1, 500, body='{"ok":false,"description":"Internal Server Error"}')
    drain(db, settings, NOW)
    assert {a.channel: a.state for a in alerts_of()} == {"tg": "retrying", "mail": "sent"}
    assert len(smtp.received) == 1
    drain(db, settings, NOW + timedelta(minutes=5))
    assert {a.channel: a.state for a in alerts_of()} == {"tg": "sent", "mail": "sent"}
    [sent] = telegram.received
    assert sent.path == f"/bot{TOKEN}/sendMessage"
    assert sent.json["parse_mode"] == "HTML" and ARABIC_TITLE in sent.json["text"]


def test_telegram_flood_limit_retry_after_is_honoured(db, tmp_path, telegram, alerts_of):
    """Reliability D4: 500, then 429 retry_after, then 200: one message, not before retry_after."""
    notify = notify_settings(tg=ChannelSettings(url=f"tgram://{TOKEN}/-100123"))
    settings = settings_with(tmp_path, notify)
    ingest(db, notify)
    telegram.fail_next(1, 500)
    telegram.fail_next(
        1,
        429,
        body='{"ok":false,"error_code":429,'
        '"description":"Too Many Requests: retry after 900","parameters":{"retry_after":900}}',
    )
    drain(db, settings, NOW)
    first_retry = alerts_of()[0].next_attempt_at
    drain(db, settings, first_retry)
    assert alerts_of()[0].next_attempt_at == first_retry + timedelta(seconds=900)
    assert drain(db, settings, first_retry + timedelta(seconds=899)).sent == 0
    assert drain(db, settings, first_retry + timedelta(seconds=900)).sent == 1
    assert len(telegram.received) == 1 and len(telegram.requests) == 3


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """The product's own logging (with its redaction filter) at DEBUG on the root logger."""
    stream = io.StringIO()
    setup_logging("DEBUG", stream=stream)
    yield stream


def test_no_token_or_password_in_logs_or_database_during_failed_delivery(
    db, tmp_path, telegram, smtp, debug_log
):
    """Reliability D7: apprise logs the Telegram URL with the token at DEBUG; we redact it."""
    notify = notify_settings(
        tg=ChannelSettings(url=f"tgram://{TOKEN}/-100123"),
        mail=ChannelSettings(url=smtp.apprise_url()),
    )
    settings = settings_with(tmp_path, notify)
    ingest(db, notify)
    telegram.fail_next(2, 500, body='{"ok":false,"description":"bad"}')
    smtp.fail_next(2, 451)
    drain(db, settings, NOW)
    smtp.stop()  # and a connection error, whose text apprise logs too
    drain(db, settings, NOW + timedelta(hours=1))
    log_text = debug_log.getvalue()
    assert "Telegram POST URL" in log_text and "/bot***/sendMessage" in log_text  # logged, masked
    assert "TESTSECRET" not in log_text
    with db.session() as session:
        rows = session.scalars(select(models.Alert)).all()
        stored = " ".join(
            f"{a.channel} {a.dedupe_key} {a.last_error} {a.body} {a.title}" for a in rows
        )
    assert all(a.last_error for a in rows) and "TESTSECRET" not in stored


def test_backfill_of_500_old_items_sends_a_few_messages(db, tmp_path, endpoint, alerts_of):
    """The flood guard: a first run over an archive becomes one summary per channel."""
    notify = notify_settings(hook=ChannelSettings(url=endpoint.apprise_url(), max_per_hour=5))
    settings = settings_with(tmp_path, notify)
    with db.session() as session:
        for n in range(500):
            article, matches = add_article(session, published=NOW - timedelta(days=30 + n))
            enqueue(session, article, matches, notify, NOW)
        for _ in range(8):  # and a burst of fresh items, over the hourly rate
            article, matches = add_article(session, matches=[rule_match("astana", "low")])
            enqueue(session, article, matches, notify, NOW)
    assert drain(db, settings, NOW).sent == 5
    summary = drain(db, settings, NOW + timedelta(minutes=61))
    assert (summary.sent, summary.bundled) == (1, 503)
    assert len(endpoint.received) == 6
    digest = endpoint.received[-1].json
    assert digest["title"].startswith("Held back (old items or over the hourly limit): 503 alerts")
    assert "… and 478 more" in digest["message"]
    assert len(digest["message"]) < 4096


def test_an_alert_arrives_over_form(db, tmp_path, endpoint):
    url = endpoint.apprise_url("form")
    settings = settings_with(tmp_path, notify_settings(hook=ChannelSettings(url=url)))
    [alert] = ingest(db, settings.notify)
    assert drain(db, settings, NOW).sent == 1
    form = endpoint.received[0].form
    assert form["title"].endswith(f"(alert #{alert.id})") and ARABIC_TITLE in form["message"]

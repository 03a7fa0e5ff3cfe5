"""Alerts for changes to flagged items: who gets them, once per change, escaped when sent."""

from __future__ import annotations

from pathlib import Path

from alert_helpers import NOW, add_article, ingest, notify_settings, rule_match, settings_with

from monitor.alerts.changes import CHANGE, enqueue_change
from monitor.alerts.notifier import FakeNotifier, drain
from monitor.config import ChannelSettings, RecheckSettings, Settings
from monitor.store import models
from monitor.store.db import Database

INJECTED = "<b>غاز</b> [x](http://evil)"


def settings(tmp_path: Path, **recheck: object) -> Settings:
    notify = notify_settings(
        desk=ChannelSettings(url="json://127.0.0.1:9/desk"),
        urgent=ChannelSettings(url="json://127.0.0.1:9/urgent", tags=["urgent"]),
    )
    base = settings_with(tmp_path, notify)
    return base.model_copy(update={"recheck": RecheckSettings.model_validate(recheck)})


def record_change(db: Database, cfg: Settings, state: str, kind: str = "edited",
                  told: bool = False) -> tuple[int, list[models.Alert]]:
    if told:  # an item alert first: the change goes where that one went
        ingest(db, cfg.notify, url="https://www.etilaf.org/news/told",
               matches=[rule_match(notify=["urgent"])])
    with db.session() as session:
        article = (session.query(models.Article).filter_by(url="https://www.etilaf.org/news/told")
                   .one() if told else add_article(session)[0])
        article.review_state = state
        change = models.ArticleChange(article_id=article.id, kind=kind, detected_at=NOW,
                                      old_url=article.url, rules_stopped=["chlorine"],
                                      detail=f"Removed words: « {INJECTED} »")
        session.add(change)
        session.flush()
        created = enqueue_change(session, article, change, cfg, NOW)
        again = enqueue_change(session, article, change, cfg, NOW)
        assert again == []  # once per change and channel
        return article.id, list(created)


def test_policy_states_and_kinds(db: Database, tmp_path: Path) -> None:
    default = settings(tmp_path)
    assert record_change(db, default, "new")[1] == []
    assert record_change(db, default, "relevant", kind="moved")[1] == []
    assert len(record_change(db, default, "escalated")[1]) > 0
    everyone = settings(tmp_path, alert_states="all", alert_changes=["edited", "moved"])
    assert len(record_change(db, everyone, "new")[1]) > 0
    assert len(record_change(db, everyone, "not_relevant", kind="moved")[1]) > 0


def test_goes_to_the_channels_told_before_else_to_always(db: Database, tmp_path: Path) -> None:
    cfg = settings(tmp_path)
    _, untold = record_change(db, cfg, "relevant")
    assert [a.channel for a in untold] == ["desk"]  # `urgent` takes tagged alerts only
    _, told = record_change(db, cfg, "relevant", told=True)
    assert sorted(a.channel for a in told) == ["desk", "urgent"]  # the chlorine rule's route
    assert {a.kind for a in told} == {CHANGE}


def test_message_is_escaped_and_says_what_changed(db: Database, tmp_path: Path) -> None:
    cfg = settings(tmp_path)
    article_id, [alert] = record_change(db, cfg, "escalated")
    notifier = FakeNotifier()
    drain(db, cfg, now=NOW, notifier=notifier)
    [(channel, message)] = [m for m in notifier.sent]
    assert channel == "desk"
    assert message.title == f"monitor: item {article_id} edited (etilaf)"
    assert "EDITED" in message.text and "Rules no longer matching: chlorine" in message.text
    assert f"/item/{article_id}" in message.text
    assert "&lt;b&gt;غاز&lt;/b&gt;" in message.html and "<b>غاز" not in message.html
    assert "\\[x\\]\\(http://evil\\)" in message.markdown
    assert message.text.endswith(f"Alert #{alert.id}")

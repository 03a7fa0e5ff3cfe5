"""The outbox: routing by apprise tags, no double queueing, flood guard, digests."""

from __future__ import annotations

from datetime import timedelta

from alert_helpers import NOW, add_article, ingest, notify_settings, rule_match

from monitor.alerts.channels import load_channels
from monitor.alerts.outbox import alert_key, bundle_held, enqueue
from monitor.config import ChannelSettings, NotifySettings

TG = ChannelSettings(url="json://127.0.0.1:9/tg", tags=["high"])
MAIL = ChannelSettings(url="json://127.0.0.1:9/mail")  # default tag `always`


def test_rules_route_to_channels_by_apprise_tags(db, alerts_of):
    notify = notify_settings(tg=TG, mail=MAIL)
    ingest(
        db,
        notify,
        matches=[
            rule_match("chlorine", "high", notify=["high"]),
            rule_match("astana", "low", notify=["digest-only"]),
        ],
    )
    ingest(db, notify, matches=[rule_match("astana", "low", notify=["low"])])
    ingest(db, notify, matches=[rule_match("white_helmets", "medium")])  # no tags: `always` only
    ingest(db, notify, matches=[rule_match("sarin", "critical", notify=["all"])])  # apprise's all
    routed = [(a.channel, a.rules) for a in alerts_of()]
    assert routed == [
        ("tg", ["chlorine"]),
        ("mail", ["astana", "chlorine"]),
        ("mail", ["astana"]),
        ("mail", ["white_helmets"]),
        ("tg", ["sarin"]),
        ("mail", ["sarin"]),
    ]
    assert alerts_of()[0].severity == "high" and alerts_of()[1].severity == "high"


def test_reingesting_an_item_queues_nothing_new(db, alerts_of):
    notify = notify_settings(mail=MAIL)
    with db.session() as session:
        article, matches = add_article(session)
        assert len(enqueue(session, article, matches, notify, NOW)) == 1
    with db.session() as session:
        article = session.merge(article)
        assert enqueue(session, article, matches, notify, NOW) == []
        # the article is re-extracted and now also matches a new rule: only that one alerts
        more = [*matches, rule_match("white_helmets", "medium")]
        assert [a.rules for a in enqueue(session, article, more, notify, NOW)] == [
            ["white_helmets"]
        ]
    assert len(alerts_of()) == 2


def test_a_story_alerts_once_unless_a_new_rule_matches(db, alerts_of):
    """Room for stories (issue 10): the subject of an alert is the story when there is one."""
    from monitor.store import models

    with db.session() as session:
        session.add(models.Story(id=7, title="x"))
    notify = notify_settings(mail=MAIL)
    first = ingest(db, notify, story_id=7)
    assert first[0].dedupe_key == alert_key("story:7", "mail", ["chlorine"])
    assert ingest(db, notify, story_id=7) == []  # a copy on another URL
    later = ingest(db, notify, story_id=7, matches=[rule_match(), rule_match("astana", "low")])
    assert [a.rules for a in later] == [["astana"]]


def test_old_and_undated_items_are_held_and_go_out_as_one_summary(db, alerts_of):
    notify = notify_settings(mail=MAIL)
    ingest(db, notify, published=NOW - timedelta(days=30))
    ingest(db, notify, published=None)
    ingest(db, notify, published=NOW - timedelta(hours=2))
    assert [a.state for a in alerts_of()] == ["held", "held", "pending"]
    channels = load_channels(notify)
    assert bundle_held(db, channels, NOW + timedelta(minutes=59)) == 0  # not due yet
    assert bundle_held(db, channels, NOW + timedelta(minutes=61)) == 2
    summary = alerts_of(kind="summary")
    assert len(summary) == 1 and summary[0].state == "pending"
    assert {a.parent_id for a in alerts_of(state="bundled")} == {summary[0].id}


def test_beyond_the_hourly_rate_items_are_held(db, alerts_of):
    notify = notify_settings(mail=ChannelSettings(url=MAIL.url, max_per_hour=3))
    with db.session() as session:
        for _ in range(5):
            article, matches = add_article(session)
            enqueue(session, article, matches, notify, NOW)
    assert [a.state for a in alerts_of()] == ["pending"] * 3 + ["held"] * 2
    ingest(db, notify, now=NOW + timedelta(minutes=61))  # a new hour: alone again
    assert alerts_of()[-1].state == "pending"


def test_digest_channel_gets_one_message_per_interval(db, alerts_of):
    notify = notify_settings(digest=ChannelSettings(url=MAIL.url, mode="digest", digest_minutes=30))
    for minute in (0, 10, 20):
        ingest(db, notify, now=NOW + timedelta(minutes=minute))
    channels = load_channels(notify)
    assert bundle_held(db, channels, NOW + timedelta(minutes=29)) == 0
    assert bundle_held(db, channels, NOW + timedelta(minutes=30)) == 3
    ingest(db, notify, now=NOW + timedelta(minutes=31))
    assert bundle_held(db, channels, NOW + timedelta(minutes=45)) == 0
    assert bundle_held(db, channels, NOW + timedelta(minutes=61)) == 1
    assert [a.kind for a in alerts_of(state="pending")] == ["digest", "digest"]


def test_apprise_config_urls_become_stable_secret_free_channels(tmp_path, db, alerts_of):
    config = tmp_path / "apprise.yml"
    config.write_text(
        "urls:\n"
        "  - tgram://123456789:TESTSECRETtokenABCDEF/-1001:\n"
        "      tag: high\n"
        "  - tgram://123456789:TESTSECRETtokenABCDEF/-1002:\n"
        "      tag: high\n"
        "  - mailto://user:pw-TESTSECRET@127.0.0.1:2525?to=a@example.org&from=m@example.org:\n"
        "      tag: always, digest\n",
        encoding="utf-8",
    )
    notify = NotifySettings(apprise_config=str(config))
    channels = load_channels(notify)
    names = list(channels)
    assert len(names) == 3 and names[1] == names[0] + "-2"
    assert all(name.startswith(("apprise-tgram-", "apprise-mailto-")) for name in names)
    assert "TESTSECRET" not in "".join(names) + repr(list(channels.values()))
    assert [channels[n].mode for n in names] == ["immediate", "immediate", "digest"]
    assert list(load_channels(notify)) == names  # the same names on every load
    ingest(db, notify, matches=[rule_match(notify=["high"])])
    rows = alerts_of()
    assert [a.channel for a in rows] == names
    assert not any("TESTSECRET" in (a.dedupe_key + a.channel) for a in rows)

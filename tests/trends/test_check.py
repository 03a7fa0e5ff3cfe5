"""The spike check over synthetic histories, played back check by check like the daemon.

Steady rules stay quiet, a burst gives exactly one alert however many checks see it,
five copies of one statement count once, a cold rule stays quiet until back-fill gives
it history, and a source's own spike alerts only when its rule is not already alerting.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from trend_helpers import ASTANA, CHLORINE, NOW, add_story, run_checks, steady, trend_settings

from monitor.alerts.notifier import FakeNotifier, drain
from monitor.alerts.outbox import SPIKE
from monitor.store import models
from monitor.store.db import Database
from monitor.trends.check import check_spikes

DAY = timedelta(days=1)


def spike_alerts(db: Database) -> list[models.Alert]:
    with db.session() as session:
        return list(
            session.scalars(select(models.Alert).where(models.Alert.kind == SPIKE).order_by("id"))
        )


def episodes(db: Database) -> list[models.SpikeEpisode]:
    with db.session() as session:
        return list(session.scalars(select(models.SpikeEpisode).order_by("id")))


def quiet_history(db: Database, days: int = 60, seed: int = 1) -> None:
    """About one story every two days over `days` days before NOW - 3 days."""
    steady(db, NOW - (days + 3) * DAY, NOW - 3 * DAY, per_day=0.5, seed=seed)


@pytest.mark.parametrize(
    ("per_day", "weekend_factor"), [(1.0, 1.0), (6.0, 0.2)], ids=["sparse", "busy weekdays"]
)
def test_steady_history_gives_no_spike(
    db: Database, tmp_path, per_day: float, weekend_factor: float
) -> None:
    made = steady(db, NOW - 60 * DAY, NOW, per_day, seed=7, weekend_factor=weekend_factor)
    assert made > 40
    reports = run_checks(db, trend_settings(tmp_path), NOW - 7 * DAY, NOW, 2 * timedelta(hours=1))
    assert len(reports) == 85 and all(not r.cold and not r.opened for r in reports)
    assert episodes(db) == [] and spike_alerts(db) == []


def test_a_burst_gives_exactly_one_alert(any_db: Database, tmp_path) -> None:
    db = any_db
    settings = trend_settings(tmp_path, windows_hours=[24])
    quiet_history(db)
    burst_start = NOW - 2 * DAY
    sources = ["etilaf", "rt_arabic", "state_dept"]
    for i in range(7):
        add_story(db, burst_start + i * timedelta(hours=2), sources=[sources[i % 3]])
    reports = run_checks(db, settings, NOW - 3 * DAY, NOW, step=timedelta(hours=1))
    opened = [h for r in reports for h in r.opened]
    assert len(opened) == 1  # found as soon as it stands out, then carried on
    assert opened[0].startswith("chlorine: ") and " in 24 h from " in opened[0]
    alerts = spike_alerts(db)
    assert sorted(a.channel for a in alerts) == ["desk", "urgent"]  # one per routed channel
    assert {a.dedupe_key.split("|")[0] for a in alerts} == {f"spike:{episodes(db)[0].id}"}
    (episode,) = episodes(db)
    assert episode.source_key is None and episode.stories < 7
    assert episode.peak == 7 and episode.closed_at is not None  # ended after the quiet hours
    assert set(episode.sources) == {"etilaf", "rt_arabic", "state_dept"}


def test_the_example_headline(db: Database, tmp_path) -> None:
    quiet_history(db)
    for i, source in enumerate(["etilaf", "rt_arabic", "state_dept"] * 2 + ["etilaf"]):
        add_story(db, NOW - timedelta(hours=20 - i), sources=[source])
    report = check_spikes(db, trend_settings(tmp_path, windows_hours=[24]), [CHLORINE], NOW)
    assert report.opened == ["chlorine: 7 stories in 24 h from 3 sources, usual 0–1"]


def test_the_first_window_to_find_the_burst_raises_the_alert(db: Database, tmp_path) -> None:
    """With 1 h and 24 h windows a fast burst alerts once, on the short window."""
    quiet_history(db)
    for i in range(6):
        add_story(db, NOW - DAY + i * timedelta(minutes=8), sources=["rt_arabic"])
    reports = run_checks(db, trend_settings(tmp_path), NOW - 2 * DAY, NOW, timedelta(minutes=15))
    opened = [h for r in reports for h in r.opened]
    assert len(opened) == 1 and " in 1 h" in opened[0]
    assert len({a.dedupe_key.split("|")[0] for a in spike_alerts(db)}) == 1


def test_five_copies_of_one_statement_count_once(db: Database, tmp_path) -> None:
    settings = trend_settings(tmp_path)
    quiet_history(db)
    add_story(
        db,
        NOW - timedelta(hours=5),
        sources=["etilaf", "etilaf", "rt_arabic", "state_dept", "baladi"],
        languages=["ar", "en"],
        copies=5,
    )
    report = check_spikes(db, settings, [CHLORINE], NOW)
    assert report.opened == [] and spike_alerts(db) == []
    for i in range(4):  # four more statements of their own do make a spike
        add_story(db, NOW - timedelta(hours=4 - i), sources=["etilaf"])
    report = check_spikes(db, settings, [CHLORINE], NOW)
    assert report.opened[0].startswith("chlorine: 5 stories in 24 h")


def test_a_cold_rule_stays_quiet_until_back_fill_gives_it_history(db: Database, tmp_path) -> None:
    settings = trend_settings(tmp_path)
    for i in range(8):
        add_story(db, NOW - timedelta(hours=3 + i), rule=ASTANA, sources=["etilaf"])
    report = check_spikes(db, settings, [ASTANA], NOW)
    assert report.cold == ["astana", "astana@etilaf"] and report.opened == []
    assert spike_alerts(db) == []
    steady(db, NOW - 60 * DAY, NOW - 2 * DAY, 0.3, seed=3, rule=ASTANA, sources=["etilaf"])
    report = check_spikes(db, settings, [ASTANA], NOW + timedelta(minutes=15))
    assert report.cold == [] and len(report.opened) == 1
    assert len(episodes(db)) == 1 and len(spike_alerts(db)) == 2


def test_a_rule_the_check_has_known_for_long_is_warm_without_old_matches(
    db: Database, tmp_path
) -> None:
    """History starts when the check first saw the rule, even if it matched nothing then."""
    settings = trend_settings(tmp_path)
    check_spikes(db, settings, [ASTANA], NOW - 30 * DAY)
    for i in range(5):
        add_story(db, NOW - timedelta(hours=1 + i), rule=ASTANA, sources=["rt_arabic"])
    report = check_spikes(db, settings, [ASTANA], NOW)
    assert "astana" not in report.cold and report.opened
    assert report.cold == ["astana@rt_arabic"]  # no article of that source before today


def test_a_quiet_source_can_spike_inside_a_busy_rule(db: Database, tmp_path) -> None:
    settings = trend_settings(tmp_path, windows_hours=[24])
    # a busy rule overall (about 6 a day at etilaf), quiet at rt_arabic
    steady(db, NOW - 60 * DAY, NOW - DAY, 6.0, seed=5, sources=["etilaf"])
    steady(db, NOW - 60 * DAY, NOW - DAY, 0.2, seed=6, sources=["rt_arabic"])
    for i in range(5):
        add_story(db, NOW - timedelta(hours=6 - i), sources=["rt_arabic"])
    report = check_spikes(db, settings, [CHLORINE], NOW)
    assert len(report.opened) == 1
    assert report.opened[0].startswith("chlorine at rt_arabic: 5 stories in 24 h, usual 0")
    (episode,) = episodes(db)
    assert episode.source_key == "rt_arabic" and episode.sources == {"rt_arabic": 5}
    assert len(spike_alerts(db)) == 2


def test_a_burst_spreading_from_one_source_to_all_is_one_alert(db: Database, tmp_path) -> None:
    """Found first at the quiet source, an hour later over all sources: one episode."""
    settings = trend_settings(tmp_path, windows_hours=[24])
    quiet_history(db)
    for i, source in enumerate(["etilaf"] * 3 + ["rt_arabic", "state_dept"] * 3):
        add_story(db, NOW - timedelta(hours=10) + i * timedelta(minutes=40), sources=[source])
    reports = run_checks(db, settings, NOW - 11 * timedelta(hours=1), NOW, timedelta(minutes=20))
    assert len([h for r in reports for h in r.opened]) == 1
    (episode,) = episodes(db)
    assert episode.peak >= episode.stories
    assert len(spike_alerts(db)) == 2  # one per channel


def test_a_new_burst_after_the_quiet_hours_is_a_new_episode(db: Database, tmp_path) -> None:
    settings = trend_settings(tmp_path, windows_hours=[24], quiet_hours=6)
    quiet_history(db, days=60)
    for start in (NOW - 3 * DAY, NOW - timedelta(hours=12)):
        for i in range(5):
            add_story(db, start + i * timedelta(minutes=30), sources=["etilaf"])
    run_checks(db, settings, NOW - 3 * DAY, NOW, timedelta(hours=1))
    found = episodes(db)
    assert len(found) == 2 and found[0].closed_at is not None and found[1].closed_at is None
    assert len({a.dedupe_key.split("|")[0] for a in spike_alerts(db)}) == 2


def test_the_spike_alert_message(db: Database, tmp_path) -> None:
    settings = trend_settings(tmp_path, windows_hours=[24])
    quiet_history(db)
    story = add_story(
        db,
        NOW - timedelta(hours=8),
        sources=["etilaf", "etilaf"],
        languages=["ar", "en"],
        copies=2,
        title="الائتلاف يدين هجوم <b>الكلور</b>",
    )
    for i in range(4):
        add_story(db, NOW - timedelta(hours=6 - i), sources=["rt_arabic"])
    check_spikes(db, settings, [CHLORINE], NOW)
    notifier = FakeNotifier()
    summary = drain(db, settings, now=NOW, notifier=notifier)
    assert summary.sent == 2
    _, message = notifier.sent[0]
    assert message.title.startswith("[spike] chlorine: 5 stories in 24 h from 2 sources")
    assert "\u2068الائتلاف يدين هجوم &lt;b&gt;الكلور&lt;/b&gt;\u2069" in message.html
    assert "2 items" in message.text and "Sources: rt_arabic 4, etilaf 1" in message.text
    with db.session() as session:
        lead = session.scalar(select(models.Article.id).where(models.Article.story_id == story))
    assert f"/item/{lead}" in message.text  # the top story's first item, for review
    assert message.text.index("الائتلاف") < message.text.index("بيان حول الكلور")  # biggest first


def test_deleted_rules_are_not_checked(db: Database, tmp_path) -> None:
    quiet_history(db)
    for i in range(6):
        add_story(db, NOW - timedelta(hours=i), sources=["etilaf"])
    report = check_spikes(db, trend_settings(tmp_path), [ASTANA], NOW)
    assert report.opened == [] and episodes(db) == []

"""The daemon's trend jobs: scheduled from the config, one check at a time, never fatal."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.config import Settings
from monitor.rules import BUILTIN_RULES, RuleBook
from monitor.service import locks
from monitor.service.scheduler import Daemon
from monitor.service.trendjobs import run_briefing, run_spike_check
from monitor.store import models
from monitor.store.db import Database
from monitor.testing.histories import add_story, steady
from monitor.trends.check import LEASE
from spiders import SOURCES


def daemon_with(db: Database, **trends: object) -> Daemon:
    settings = Settings.model_validate({"trends": trends})
    return Daemon(settings, db, SOURCES, rules=lambda: RuleBook.load(BUILTIN_RULES), web=False)


def test_spike_check_and_briefing_are_scheduled(db: Database) -> None:
    daemon = daemon_with(db, check_minutes=10, briefing={"cron": "0 6 * * mon"})
    now = datetime.now(UTC)
    daemon.schedule_jobs(now)
    daemon.scheduler.start(paused=True)
    jobs = {job.id: job for job in daemon.scheduler.get_jobs()}
    daemon.scheduler.shutdown()
    assert jobs["spikes"].trigger.interval == timedelta(minutes=10)
    assert jobs["spikes"].next_run_time == now + timedelta(minutes=1)
    briefing = jobs["briefing"].next_run_time
    assert (briefing.weekday(), briefing.hour, briefing.minute) == (0, 6, 0)  # Monday 06:00
    assert briefing.utcoffset() == timedelta(0)


def test_no_briefing_job_without_a_crontab(db: Database) -> None:
    daemon = daemon_with(db)
    daemon.schedule_jobs(datetime.now(UTC))
    daemon.scheduler.start(paused=True)
    ids = {job.id for job in daemon.scheduler.get_jobs()}
    daemon.scheduler.shutdown()
    assert "spikes" in ids and "briefing" not in ids


def test_a_bad_crontab_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="trends.briefing.cron|crontab"):
        Settings.model_validate({"trends": {"briefing": {"cron": "every monday"}}})


def test_the_spike_check_uses_the_rules_in_use_and_skips_while_another_runs(
    db: Database, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    steady(db, now - timedelta(days=60), now - timedelta(days=1), 0.5, seed=4)
    for i in range(7):
        add_story(db, now - timedelta(hours=5 - i * 0.5), sources=["etilaf"])
    settings = Settings(data_dir=tmp_path)
    book = RuleBook.load(BUILTIN_RULES)
    assert locks.acquire(db, LEASE, "someone-else:host:1:x", timedelta(minutes=5))
    run_spike_check(db, settings, lambda: book, "daemon:test")
    with db.session() as session:
        assert session.scalars(select(models.SpikeEpisode)).all() == []
    locks.release(db, LEASE, "someone-else:host:1:x")
    run_spike_check(db, settings, lambda: book, "daemon:test")
    with db.session() as session:
        (episode,) = session.scalars(select(models.SpikeEpisode)).all()
        assert episode.rule_id == "chlorine"
    assert locks.holders(db, LEASE) == []  # released after the check


def test_a_failing_job_is_logged_not_raised(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> RuleBook:
        raise RuntimeError("rules gone")

    settings = Settings.model_validate(
        {"data_dir": str(tmp_path),
         "notify": {"channels": {"weekly": {"url": "json://127.0.0.1:9/", "tags": ["briefing"]}}}}
    )
    with caplog.at_level(logging.ERROR):
        run_spike_check(db, settings, broken, "daemon:test")
        db.dispose()
        run_briefing(Database("sqlite:////nonexistent/dir/x.db"), settings)
    assert "spike check failed" in caplog.text and "briefing failed" in caplog.text
    assert locks.holders(db, LEASE) == []

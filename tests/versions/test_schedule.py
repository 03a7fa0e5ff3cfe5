"""The decaying re-check schedule: which flagged articles are due, and with what validators."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta

import pytest

from monitor.config import RecheckSettings, Settings
from monitor.service.scheduler import Daemon
from monitor.store import models
from monitor.store.db import Database
from monitor.versions.schedule import due_targets, next_due
from spiders import SOURCES

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
HOURS = [1, 6, 24, 72, 168]


def test_next_due_walks_the_schedule_and_folds_missed_slots() -> None:
    assert next_due(T0, None, HOURS) == T0 + timedelta(hours=1)
    assert next_due(T0, T0 + timedelta(hours=1, minutes=3), HOURS) == T0 + timedelta(hours=6)
    # down for two days: one check at 50 h covers 6 h and 24 h; next is 3 days
    assert next_due(T0, T0 + timedelta(hours=50), HOURS) == T0 + timedelta(hours=72)
    assert next_due(T0, T0 + timedelta(hours=169), HOURS) is None


def add_article(db: Database, url: str, created: datetime, flagged: bool = True,
                headers: dict[str, str] | None = None) -> int:
    with db.session() as session:
        raw = models.RawPage(source_key="state_dept", url=url, fetched_at=created,
                             headers=headers or {}, body_z=zlib.compress(b"<html></html>"),
                             body_sha256="ab" * 32, state="done")
        session.add(raw)
        session.flush()
        article = models.Article(url=url, source_key="state_dept", title="t", text="x",
                                 content_hash=url, created_at=created, raw_page_id=raw.id)
        if flagged:
            article.matches.append(models.RuleMatchRow(rule_id="chemical", rule_name="Chemical",
                                                       severity="high"))
        session.add(article)
        session.flush()
        return article.id


def test_due_targets_flagged_recent_and_validators(db: Database) -> None:
    settings = RecheckSettings(max_per_round=10)
    fresh = add_article(db, "https://www.state.gov/a/", T0,
                        headers={"Etag": '"v1"', "Last-Modified": "Fri, 20 Nov 2026 11:00:00 GMT"})
    add_article(db, "https://www.state.gov/b/", T0, flagged=False)
    add_article(db, "https://www.state.gov/old/", T0 - timedelta(days=30))
    with db.session() as session:
        assert due_targets(session, settings, T0 + timedelta(minutes=30)) == {}
        due = due_targets(session, settings, T0 + timedelta(hours=2))
    assert list(due) == ["state_dept"]
    [target] = due["state_dept"]
    assert (target.article_id, target.etag, target.last_modified, target.body_sha256) == (
        fresh, '"v1"', "Fri, 20 Nov 2026 11:00:00 GMT", "ab" * 32)
    with db.session() as session:
        session.add(models.ArticleWatch(article_id=fresh, last_checked_at=T0 + timedelta(hours=2),
                                        etag='"v2"'))
    with db.session() as session:
        assert due_targets(session, settings, T0 + timedelta(hours=5)) == {}
        [again] = due_targets(session, settings, T0 + timedelta(hours=7))["state_dept"]
    assert again.etag == '"v2"'  # the validators of the last re-check, not of the first fetch


def test_a_pending_check_is_not_scheduled_twice_and_rounds_are_capped(db: Database) -> None:
    ids = [add_article(db, f"https://www.state.gov/{n}/", T0 + timedelta(minutes=n))
           for n in range(5)]
    with db.session() as session:
        session.add(models.ArticleCheck(article_id=ids[0], url="u", outcome="fetched"))
    with db.session() as session:
        due = due_targets(session, RecheckSettings(max_per_round=3), T0 + timedelta(hours=3))
    assert [t.article_id for t in due["state_dept"]] == ids[1:4]  # most overdue first


@pytest.mark.parametrize("enabled", [True, False])
def test_the_daemon_runs_one_recheck_job(db: Database, enabled: bool) -> None:
    settings = Settings.model_validate({"recheck": {"enabled": enabled, "interval_minutes": 7}})
    daemon = Daemon(settings, db, SOURCES, rules=lambda: None, web=False)  # type: ignore[arg-type,return-value]
    daemon.schedule_jobs(datetime.now(UTC))
    daemon.scheduler.start(paused=True)
    jobs = {job.id: job for job in daemon.scheduler.get_jobs()}
    daemon.scheduler.shutdown()
    assert ("recheck" in jobs) is enabled
    if enabled:
        job = jobs["recheck"]
        assert job.trigger.interval == timedelta(minutes=7)
        assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, 7 * 60)

"""`monitor run` as users run it: a process against the loopback sites and alert endpoint."""

from __future__ import annotations

import itertools
import json
import re
import signal
import socket
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from service_helpers import (
    DaemonProcess,
    delivered,
    hang_feed,
    outbox_settled,
    publish_state_release,
    serve_decoy_to_everyone,
    wait_until,
    write_config,
)
from sqlalchemy import func, select

from monitor.config import Settings
from monitor.service import status
from monitor.store import models
from monitor.store.db import Database
from monitor.store.migrate import upgrade
from monitor.testing.endpoint import Endpoint
from monitor.testing.sites import Sites
from spiders import SOURCES

INTERVAL = 3.0  # seconds: the sources' interval_minutes in write_config is 0.05
RELEASES = [  # distinct stories: near-duplicates would rightly be folded into one alert
    (
        "opcw-team-visits-idlib",
        "OPCW Team Visits Idlib Storage Site",
        "Inspectors examined a depot where chlorine cylinders were found last month.",
    ),
    (
        "sanctions-on-sarin-suppliers",
        "Sanctions on Suppliers to the Sarin Programme",
        "The Treasury designated four firms that shipped precursors for sarin production.",
    ),
    (
        "white-helmets-funding-renewed",
        "Funding for the White Helmets Renewed",
        "The United States renewed its grant to the Syria Civil Defense for rescue work.",
    ),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def daemon_crawls(daemon: DaemonProcess, source: str = "state_dept") -> int:
    pattern = re.compile(f"crawl {source} (finished|timeout|failed|crashed)")
    return sum(bool(pattern.search(line.get("msg", ""))) for line in daemon.lines())


def test_a_second_daemon_on_the_same_database_is_refused(
    tmp_path: Path,
    any_db_url: str,
    sites: Sites,
    endpoint: Endpoint,
    daemons: Callable[..., DaemonProcess],
) -> None:
    config = write_config(tmp_path, any_db_url, sites, endpoint, only=[])
    first = daemons(config)
    first.wait_log("daemon started")
    second = daemons(config)
    assert second.proc.wait(60) == 2
    assert "already runs on this database" in second.log_file.read_text()
    assert first.stop(signal.SIGTERM, timeout=20) == 0
    first.wait_log("^stopped$")
    third = daemons(config)  # the lease was released on a clean stop
    third.wait_log("daemon started")
    assert third.stop() == 0


def _alerts_about(endpoint: Endpoint, text: str, path: str = "/analysts") -> list[str]:
    return [
        r.json["message"]
        for r in endpoint.received
        if r.path == path and text in r.json.get("title", "") + r.json.get("message", "")
    ]


def test_a_new_matching_item_reaches_the_endpoint_once(
    tmp_path: Path,
    db: Database,
    site_root: Path,
    sites: Sites,
    endpoint: Endpoint,
    daemons: Callable[..., DaemonProcess],
) -> None:
    port = free_port()
    config = write_config(tmp_path, db.url, sites, endpoint, only=["state_dept"], web_port=port)
    daemon = daemons(config, web=True)
    daemon.wait_log("cycle state_dept done", timeout=60)
    health = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz").read())
    assert health["status"] == "ok" and health["daemon"]["scheduler"] is True
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
    assert re.search(r'monitor_crawl_runs_total\{outcome="\w+",source="state_dept"\} 1\.0', metrics)
    title = "Statement on Sarin Stockpiles Found Near Damascus"
    published = time.monotonic()
    url = publish_state_release(
        site_root,
        "statement-on-sarin-stockpiles",
        title,
        "Inspectors confirmed chemical weapons were stored at the site.",
    )
    wait_until(
        lambda: _alerts_about(endpoint, title),
        timeout=INTERVAL * 2 + 20,
        message="no alert for the new release",
    )
    latency = time.monotonic() - published
    daemon.wait_log("crawl state_dept finished", count=daemon_crawls(daemon) + 1, timeout=60)
    assert len(_alerts_about(endpoint, title)) == 1
    assert url in _alerts_about(endpoint, title)[0]
    assert latency < INTERVAL * 2 + 10
    assert daemon.stop() == 0


def _matched_urls(db: Database) -> list[str]:
    with db.session() as session:
        return sorted(
            session.scalars(select(models.Article.url).join(models.RuleMatchRow).distinct())
        )


def _assert_each_alerted_once(db: Database, endpoint: Endpoint) -> None:
    messages = delivered(endpoint)
    with db.session() as session:
        urls = list(session.scalars(select(models.Article.url)))
        sent = session.scalar(
            select(func.count())
            .select_from(models.Alert)
            .where(models.Alert.channel == "analysts", models.Alert.state == "sent")
        )
    assert len(urls) == len(set(urls)), "an article was stored twice"
    matched = _matched_urls(db)
    assert matched, "the fixtures should match the test rules"
    for url in matched:
        assert sum(url in m for m in messages) == 1, f"{url}: not alerted exactly once"
    assert sent == len(messages) == len(matched)


def _interrupt_a_crawl_then_restart(
    tmp_path: Path,
    db_url: str,
    site_root: Path,
    sites: Sites,
    endpoint: Endpoint,
    daemons: Callable[..., DaemonProcess],
    sig: int,
) -> DaemonProcess:
    # one slow article keeps the crawl busy while the daemon is stopped
    hang_feed(
        site_root,
        "www.state.gov",
        "/releases/office-of-the-spokesperson/2026/11/"
        "support-for-the-syria-civil-defense-white-helmets/",
        seconds=2,
    )
    config = write_config(tmp_path, db_url, sites, endpoint, only=["state_dept"])
    first = daemons(config)
    first.wait_log(r"state_dept: feed .*: \d+ links", timeout=60)
    time.sleep(0.5)
    first.stop(sig, timeout=20)
    db = Database(db_url)
    second = daemons(config)
    second.wait_log("cycle state_dept done", timeout=60)
    wait_until(lambda: outbox_settled(db), 30, "alerts still waiting after the restart")
    assert second.stop() == 0
    _assert_each_alerted_once(db, endpoint)
    with db.session() as session:
        outcomes = list(
            session.scalars(select(models.CrawlRun.outcome).order_by(models.CrawlRun.id))
        )
    assert "running" not in outcomes
    db.dispose()
    return first


def test_kill_9_during_a_crawl_then_restart_loses_and_repeats_nothing(
    tmp_path: Path,
    any_db_url: str,
    site_root: Path,
    sites: Sites,
    endpoint: Endpoint,
    daemons: Callable[..., DaemonProcess],
) -> None:
    first = _interrupt_a_crawl_then_restart(
        tmp_path, any_db_url, site_root, sites, endpoint, daemons, signal.SIGKILL
    )
    assert first.proc.returncode == -signal.SIGKILL


def test_sigterm_during_a_crawl_stops_cleanly_and_loses_nothing(
    tmp_path: Path,
    db: Database,
    site_root: Path,
    sites: Sites,
    endpoint: Endpoint,
    daemons: Callable[..., DaemonProcess],
) -> None:
    first = _interrupt_a_crawl_then_restart(
        tmp_path, db.url, site_root, sites, endpoint, daemons, signal.SIGTERM
    )
    assert first.proc.returncode == 0
    messages = [line["msg"] for line in first.lines()]
    assert "received SIGTERM: stopping" in messages and messages[-1] == "stopped"


def test_a_hung_site_does_not_delay_the_other_sources_or_the_notifier(
    tmp_path: Path,
    db: Database,
    site_root: Path,
    sites: Sites,
    endpoint: Endpoint,
    daemons: Callable[..., DaemonProcess],
) -> None:
    hang_feed(site_root, "www.state.gov", "/rss-feed/press-releases/feed/", seconds=3600)
    config = write_config(
        tmp_path,
        db.url,
        sites,
        endpoint,
        only=["state_dept", "rt_arabic"],
        crawl={"max_processes": 2},  # with one (the default) the others wait for the hung one
        state_dept={"timeout_minutes": 0.05},
    )
    daemon = daemons(config)
    daemon.wait_log("crawl state_dept started", timeout=60)
    daemon.wait_log("crawl rt_arabic finished", timeout=60)
    started = time.monotonic()
    before = daemon_crawls(daemon, "rt_arabic")
    # the hung crawl is killed at its limit, twice in a row: an operator notice goes out
    wait_until(
        lambda: any("state_dept" in m and "failing" in m for m in delivered(endpoint, "/ops")),
        timeout=60,
        message="no operator notice about the hung source",
    )
    elapsed = time.monotonic() - started
    done = daemon_crawls(daemon, "rt_arabic") - before
    # rt_arabic kept polling meanwhile: one run per interval, less its own crawl time
    assert done >= elapsed / (INTERVAL + 6) - 1, (done, elapsed)
    assert daemon_crawls(daemon, "state_dept") >= 2
    messages = [line.get("msg", "") for line in daemon.lines()]
    assert any("crawl state_dept timeout" in m for m in messages)
    assert any("state_dept: 1 failure(s) in a row, next try not before" in m for m in messages)
    wait_until(lambda: outbox_settled(db), 30, "the notifier stopped draining")
    assert daemon.stop() == 0


def _polls_started(daemon: DaemonProcess, key: str) -> int:
    return sum(1 for line in daemon.lines() if line.get("msg", "").startswith(f"crawl {key} started"))


def test_the_decoy_page_raises_a_health_notice_within_two_polls(
    tmp_path: Path,
    db: Database,
    site_root: Path,
    sites: Sites,
    endpoint: Endpoint,
    daemons: Callable[..., DaemonProcess],
) -> None:
    interval = 8.0
    config = write_config(
        tmp_path, db.url, sites, endpoint, only=["state_dept"], interval_minutes=interval / 60
    )
    daemon = daemons(config)
    daemon.wait_log("crawl state_dept finished", timeout=60)
    assert not delivered(endpoint, "/ops") or not any(
        "blocked" in m for m in delivered(endpoint, "/ops")
    )
    serve_decoy_to_everyone(site_root)
    polls_before = _polls_started(daemon, "state_dept")
    wait_until(
        lambda: any("blocked" in m for m in delivered(endpoint, "/ops")),
        timeout=interval * 2 + 30,
        message="no health notice for the decoy page",
    )
    # Counted in polls, not seconds: each poll starts a fresh interpreter, whose start-up
    # time depends on the machine's load, while the promise is "by the next poll or so".
    assert _polls_started(daemon, "state_dept") - polls_before <= 2
    assert not any("blocked" in m for m in delivered(endpoint, "/analysts"))
    assert daemon.stop() == 0
    snapshot = status.collect(db, Settings(), SOURCES)
    state = next(s for s in snapshot["sources"] if s["key"] == "state_dept")
    assert state["health"]["state"] == "blocked"


@pytest.mark.postgres
def test_two_workers_on_one_postgresql_deliver_every_alert_once(
    tmp_path: Path,
    postgres_url: str,
    site_root: Path,
    sites: Sites,
    endpoint: Endpoint,
    daemons: Callable[..., DaemonProcess],
) -> None:
    config = write_config(tmp_path, postgres_url, sites, endpoint, only=["state_dept", "rt_arabic"])
    db = Database(postgres_url)
    upgrade(db)
    workers = [daemons(config, "--worker"), daemons(config, "--worker")]
    for worker in workers:
        worker.wait_log("worker started", timeout=60)
    for slug, title, text in RELEASES:
        publish_state_release(site_root, slug, title, text)
        time.sleep(INTERVAL)
    wait_until(
        lambda: sum(r[0] in u for u in _matched_urls(db) for r in RELEASES) == 3,
        60,
        "new releases not processed",
    )
    wait_until(lambda: outbox_settled(db), 30, "alerts still waiting")
    time.sleep(2)  # a second sender, if there were one, would have posted by now
    for worker in workers:
        assert worker.stop() == 0
    _assert_each_alerted_once(db, endpoint)
    with db.session() as session:  # the crawl lease: never two runs of a source at once
        runs = session.execute(
            select(
                models.CrawlRun.source_key, models.CrawlRun.started_at, models.CrawlRun.finished_at
            ).order_by(models.CrawlRun.started_at)
        ).all()
    for key in ("state_dept", "rt_arabic"):
        mine = [r for r in runs if r.source_key == key]
        assert len(mine) >= 2
        assert all(b.started_at >= a.finished_at for a, b in itertools.pairwise(mine))
    db.dispose()

"""`monitor status` (text and JSON), `/healthz` and `/metrics` read the same store snapshot."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.config import Settings
from monitor.service import locks, status
from monitor.service.web import ServiceMetrics, WebServer, make_web_app
from monitor.store import models
from monitor.store.db import Database
from monitor.store.models import utcnow
from spiders import SOURCES

TTL = timedelta(seconds=30)


def _seed(db: Database) -> None:
    now = utcnow()
    with db.session() as session:
        session.add(
            models.Source(
                key="state_dept",
                name="US State Department",
                health_state="blocked",
                health_reason="decoy page 2 time(s)",
                consecutive_failures=1,
                next_run_at=now + timedelta(minutes=5),
            )
        )
        session.flush()
        session.add(
            models.CrawlRun(
                source_key="state_dept", outcome="blocked", found=2, blocked=2, finished_at=now
            )
        )
        for i, state in enumerate(["sent", "pending", "failed", "held"]):
            session.add(
                models.Alert(
                    dedupe_key=f"k{i}",
                    channel="ops",
                    state=state,
                    attempts=3,
                    last_error="HTTP 500" if state == "failed" else None,
                    created_at=now - timedelta(minutes=10),
                )
            )
    locks.acquire(db, locks.DAEMON_LEASE, locks.new_owner_id("daemon"), TTL)


def test_snapshot_has_runs_health_outbox_and_rules(any_db: Database) -> None:
    _seed(any_db)
    snap = status.collect(
        any_db,
        Settings(),
        SOURCES,
        rule_check=lambda: {"dir": "rules", "count": 0, "errors": ["bad.yaml: x"]},
    )
    by_key = {s["key"]: s for s in snap["sources"]}
    assert set(SOURCES) <= set(by_key)
    dept = by_key["state_dept"]
    assert dept["health"]["state"] == "blocked"
    assert dept["last_run"]["outcome"] == "blocked" and dept["last_run"]["blocked"] == 2
    assert dept["next_run_at"] is not None
    assert snap["outbox"]["backlog"] == 2 and snap["outbox"]["failed"] == 1
    assert snap["outbox"]["recent_failures"][0]["error"] == "HTTP 500"
    assert snap["outbox"]["oldest_waiting_seconds"] >= 600
    assert len(snap["processes"]) == 1
    text = status.render_text(snap)
    assert "decoy page 2 time(s)" in text and "backlog 2, failed 1" in text
    assert "bad.yaml: x" in text
    json.dumps(snap)  # JSON-able as it is


def test_status_command_prints_json(tmp_path: Path, db: Database) -> None:
    _seed(db)
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "broken.yaml").write_text("- id: Bad Id\n")
    config = tmp_path / "monitor.yaml"
    config.write_text(f"database_url: {db.url}\nrules_dir: rules\n")  # relative to the file
    out = subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(config), "status", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    snap = json.loads(out.stdout)
    assert snap["outbox"]["failed"] == 1
    assert snap["rules"]["errors"]  # a broken rule file: shown, not a crash


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def web(db: Database) -> object:
    port = _free_port()
    settings = Settings(review={"port": port, "base_url": f"http://127.0.0.1:{port}"})
    alive = {"ok": True}
    app = make_web_app(settings, db, ServiceMetrics(db, settings, SOURCES), probe=lambda: alive)
    server = WebServer(app, "127.0.0.1", port).start()
    deadline = time.monotonic() + 10
    while not server.server.started:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", alive
    server.stop()


def test_healthz_reports_the_daemon_probe(web: tuple[str, dict[str, bool]]) -> None:
    base, alive = web
    code, body = _get(base + "/healthz")
    assert code == 200 and json.loads(body)["database"] == "ok"
    alive["ok"] = False
    code, body = _get(base + "/healthz")
    assert code == 503 and json.loads(body)["status"] == "error"


def test_metrics_expose_source_and_outbox_gauges(
    web: tuple[str, dict[str, bool]], db: Database
) -> None:
    _seed(db)
    code, body = _get(web[0] + "/metrics")
    assert code == 200
    assert 'monitor_source_healthy{source="state_dept",state="blocked"} 0.0' in body
    assert 'monitor_outbox_alerts{state="failed"} 1.0' in body
    assert 'monitor_source_last_run_pages{kind="blocked",source="state_dept"} 2.0' in body


def test_the_review_pages_still_need_a_login(web: tuple[str, dict[str, bool]]) -> None:
    request = urllib.request.Request(web[0] + "/", method="GET")
    opener = urllib.request.build_opener(_NoRedirect())
    try:
        opener.open(request, timeout=5)
        raise AssertionError("the queue was served without a login")
    except urllib.error.HTTPError as exc:
        assert exc.code in (302, 303, 307, 401, 403)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None

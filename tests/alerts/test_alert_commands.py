"""`monitor alerts send | list | retry`, and a notifier killed with SIGKILL mid-batch."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from alert_helpers import ingest

from monitor.alerts import drain
from monitor.alerts.notifier import LEASE, FakeNotifier, Outcome
from monitor.cli import main
from monitor.config import load_settings
from monitor.store import models
from monitor.store.db import Database
from monitor.testing.endpoint import Endpoint

REPO = Path(__file__).parents[2]


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    with Endpoint() as server:
        yield server


@pytest.fixture
def config(tmp_path: Path, endpoint: Endpoint, db: Database) -> Path:
    path = tmp_path / "monitor.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "database_url": db.url,
                "data_dir": str(tmp_path),
                "notify": {
                    "channels": {"hook": {"url": endpoint.apprise_url()}},
                    "max_attempts": 2,
                },
            }
        )
    )
    return path


def test_send_list_and_retry(db, config, endpoint, capsys):
    settings = load_settings(config)
    ingest(db, settings.notify)
    ingest(db, settings.notify)
    drain(db, settings, notifier=FakeNotifier([Outcome(False, "down")] * 2))
    drain(
        db,
        settings,
        models.utcnow() + timedelta(hours=1),
        notifier=FakeNotifier([Outcome(False, "still down")]),
    )
    capsys.readouterr()

    assert main(["--config", str(config), "alerts", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["id"], r["state"], r["attempts"]) for r in rows] == [
        (2, "sent", 2),
        (1, "failed", 2),
    ]
    assert rows[1]["last_error"] == "still down" and rows[1]["channel"] == "hook"

    assert main(["--config", str(config), "alerts", "list", "--state", "failed"]) == 0
    assert re.match(r"#1 +failed +item +hook", capsys.readouterr().out)

    assert main(["--config", str(config), "alerts", "retry", "--failed"]) == 0
    assert "queued 1 alert(s) again" in capsys.readouterr().out
    assert main(["--config", str(config), "alerts", "send"]) == 0
    assert capsys.readouterr().out.strip() == "sent 1, retrying 0, failed 0, bundled 0 held alerts"
    assert len(endpoint.received) == 1


def test_retry_refuses_unknown_ids(db, config, capsys):
    assert main(["--config", str(config), "alerts", "retry", "99"]) == 2
    assert "no alert with id 99" in capsys.readouterr().err
    assert main(["--config", str(config), "alerts", "retry"]) == 2


def test_notifier_killed_mid_batch_then_restarted_delivers_all_none_twice_but_one(
    db, config, endpoint
):
    """SIGKILL while apprise waits on a reply: after restart every alert arrives, ≤ 1 twice."""
    settings = load_settings(config)
    for _ in range(6):
        ingest(db, settings.notify)
    endpoint.delay = 0.5  # each reply is held, so the kill lands between send and mark-sent
    worker = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(config), "alerts", "send"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert endpoint.wait_for(3, timeout=60)
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.wait(timeout=10)
    endpoint.delay = 0
    assert worker.returncode == -signal.SIGKILL
    restart = models.utcnow() + LEASE + timedelta(seconds=1)  # the killed worker's lease ran out
    drain(db, settings, restart)
    delivered = Counter(
        int(m) for r in endpoint.received for m in re.findall(r"Alert #(\d+)", r.json["message"])
    )
    assert set(delivered) == {1, 2, 3, 4, 5, 6}
    assert sum(delivered.values()) - 6 <= 1
    assert drain(db, settings, restart + timedelta(hours=1)).sent == 0


def test_an_unreadable_apprise_config_is_a_one_line_error(tmp_path, capsys):
    config = tmp_path / "monitor.yaml"
    config.write_text(
        f"database_url: sqlite:///{tmp_path / 'monitor.db'}\n"
        f"notify: {{apprise_config: {tmp_path / 'missing.yml'}}}\n"
    )
    assert main(["--config", str(config), "alerts", "send"]) == 2
    last_line = capsys.readouterr().err.splitlines()[-1]
    assert last_line.startswith(f"monitor: {tmp_path / 'missing.yml'}: cannot read apprise config")

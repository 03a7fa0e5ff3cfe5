"""Command-line edges of `monitor run` and the rule-file report of `monitor status`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from monitor.rules import RuleWatcher
from monitor.service import rulefiles

RULES = Path(__file__).parent / "rules"


def test_workers_need_postgresql(tmp_path: Path) -> None:
    config = tmp_path / "monitor.yaml"
    config.write_text(f"database_url: sqlite:///{tmp_path / 'x.db'}\n")
    run = subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(config), "run", "--worker", "--no-web"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2
    assert "--worker needs a PostgreSQL database_url" in run.stderr


def test_a_broken_rule_file_is_reported_and_the_last_good_rules_stay(tmp_path: Path) -> None:
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    (rules_dir / "watch.yaml").write_text(
        (RULES / "watch.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    watcher = RuleWatcher(rules_dir)
    poll = rulefiles.poller(watcher)
    poll()
    assert rulefiles.check(rules_dir) == {"dir": str(rules_dir), "count": 2, "errors": []}
    (rules_dir / "broken.yaml").write_text("- id: Bad Id\n  terms: [x]\n", encoding="utf-8")
    poll()  # logs the problem, does not raise
    report = rulefiles.check(rules_dir)
    assert report["errors"] and "broken.yaml:1" in report["errors"][0]
    assert len(watcher.current().rules) == 2

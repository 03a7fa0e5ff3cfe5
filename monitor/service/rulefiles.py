"""The rule files as the daemon and `monitor status` see them (glue over `monitor.rules`).

The rules helper's `RuleWatcher` reloads on change and keeps the last good book; the
daemon also polls it on a timer, so a broken edit is logged within seconds rather than
at the next matching page, and `monitor status` reports the files' problems as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from monitor.rules import RuleError, RuleWatcher
from monitor.rules.loader import read_rules


def poller(watcher: RuleWatcher) -> Callable[[], None]:
    def poll() -> None:
        try:
            watcher.current()
        except RuleError:  # logged by the watcher; no book ever loaded is shown by status
            pass

    return poll


def check(rules_dir: Path) -> dict[str, Any]:
    """How many rules load from `rules_dir` now, and every problem (file:line: message)."""
    loaded, problems = read_rules(Path(rules_dir))
    return {"dir": str(rules_dir), "count": len(loaded), "errors": [str(p) for p in problems]}

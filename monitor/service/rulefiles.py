"""The rule files as the daemon and `monitor status` see them (glue over `monitor.rules`).

The rules helper's `RuleWatcher` reloads on change and keeps the last good book; the
daemon also polls it on a timer, so a broken edit is logged within seconds rather than
at the next matching page, and `monitor status` reports the files' problems as they are.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from monitor.rules import RuleError, RuleWatcher
from monitor.rules.loader import Folders, as_folders, read_rules


def poller(watcher: RuleWatcher) -> Callable[[], None]:
    def poll() -> None:
        try:
            watcher.current()
        except RuleError:  # logged by the watcher; no book ever loaded is shown by status
            pass

    return poll


def check(folders: Folders) -> dict[str, Any]:
    """How many rules load from the folders now, and every problem (file:line: message)."""
    loaded, problems = read_rules(folders)
    where = os.pathsep.join(map(str, as_folders(folders)))
    return {"dir": where, "count": len(loaded), "errors": [str(p) for p in problems]}

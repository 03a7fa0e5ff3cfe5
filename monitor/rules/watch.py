"""Reload the rule book when its files change, keeping the last good one if they break."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from monitor.rules.loader import RuleError, rule_files
from monitor.rules.matcher import RuleBook

log = logging.getLogger(__name__)

Fingerprint = tuple[tuple[str, int, int], ...]


class RuleWatcher:
    """`current()` is cheap (a few stat calls); it recompiles only when a file changed.

    If the changed files do not load, the previous book stays in use and `error` says why,
    so an editing mistake cannot switch alerting off. Safe to call from several threads.
    """

    def __init__(self, rules_dir: Path | str) -> None:
        self.rules_dir = Path(rules_dir)
        self.error: RuleError | None = None
        self._book: RuleBook | None = None
        self._seen: Fingerprint | None = None
        self._lock = threading.Lock()

    def _fingerprint(self) -> Fingerprint:
        stats = []
        for path in rule_files(self.rules_dir):
            try:
                stat = path.stat()
            except FileNotFoundError:  # removed between listing and stat: next call sees it
                continue
            stats.append((path.name, stat.st_mtime_ns, stat.st_size))
        return tuple(stats)

    def current(self) -> RuleBook:
        """The newest book that loaded; raises RuleError only if none ever did."""
        with self._lock:
            fingerprint = self._fingerprint()
            if fingerprint != self._seen:
                self._seen = fingerprint
                self._reload()
            if self._book is None:
                assert self.error is not None
                raise self.error
            return self._book

    def _reload(self) -> None:
        try:
            book = RuleBook.load(self.rules_dir)
        except RuleError as exc:
            self.error = exc
            log.error("rules not reloaded, keeping the previous ones: %s", exc)
            return
        if self._book is not None:
            log.info("rules reloaded from %s: %d rules", self.rules_dir, len(book.rules))
        self._book, self.error = book, None

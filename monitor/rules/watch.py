"""Reload the rule book when its files change, keeping the last good one if they break."""

from __future__ import annotations

import logging
import threading

from monitor.rules.loader import Folders, RuleError, as_folders, rule_files
from monitor.rules.matcher import RuleBook

log = logging.getLogger(__name__)

Fingerprint = tuple[tuple[str, int, int], ...]


class RuleWatcher:
    """`current()` is cheap (a few stat calls); it recompiles only when a file changed.

    If the changed files do not load, the previous book stays in use and `error` says why,
    so an editing mistake cannot switch alerting off. Safe to call from several threads.
    """

    def __init__(self, folders: Folders) -> None:
        self.folders = as_folders(folders)
        self.error: RuleError | None = None
        self._book: RuleBook | None = None
        self._seen: Fingerprint | None = None
        self._lock = threading.Lock()

    def _fingerprint(self) -> Fingerprint:
        stats = []
        for path in rule_files(self.folders):
            try:
                stat = path.stat()
            except FileNotFoundError:  # removed between listing and stat: next call sees it
                continue
            stats.append((str(path), stat.st_mtime_ns, stat.st_size))
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
            book = RuleBook.load(self.folders)
        except RuleError as exc:
            self.error = exc
            log.error("rules not reloaded, keeping the previous ones: %s", exc)
            return
        if self._book is not None:
            where = ", ".join(map(str, self.folders))
            log.info("rules reloaded from %s: %d rules", where, len(book.rules))
        self._book, self.error = book, None

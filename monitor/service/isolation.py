"""Run one job in a child process with a wall-clock limit.

Why a process per crawl: Scrapy's Twisted reactor cannot be restarted inside one process
(`ReactorNotRestartable` on the second scheduled crawl), and a spider that hangs or
crashes the interpreter must not take the scheduler, the other sources or the notifier
with it. Children come from a fork server that has imported the crawl code once, so a
cycle does not pay seconds of imports (which matters for a poll every few minutes, for
months). A child exits on its own when the daemon dies (kill -9), so no orphan keeps
writing to the database.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

TERM_GRACE_SECONDS = 5.0
PARENT_POLL_SECONDS = 0.5


@dataclass
class ChildResult:
    """`outcome`: ok, failed (raised or exited non-zero), timeout, crashed (signal), stopped."""

    outcome: str
    seconds: float
    exitcode: int | None = None
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


class Children:
    """Starts children and remembers the running ones so a shutdown can stop them."""

    def __init__(self, preload: Sequence[str] = ()) -> None:
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(list(preload))
        self._running: dict[int, Any] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def run(self, target: str, payload: dict[str, Any], timeout: float) -> ChildResult:
        """Call `module:function(payload)` in a new process; never raises for the child's faults."""
        started = time.monotonic()
        if self._stopping.is_set():
            return ChildResult("stopped", 0.0, error="not started: shutting down")
        receiver, sender = self._context.Pipe(duplex=False)
        proc = self._context.Process(
            target=_child_main,
            args=(target, payload, sender, os.getpid()),
            name=f"job-{target.rsplit(':', 1)[-1]}",
        )
        proc.start()
        sender.close()
        with self._lock:
            self._running[id(proc)] = proc
        try:
            if not receiver.poll(timeout):  # neither an answer nor an exit: hung
                _stop(proc)
                return ChildResult(
                    "timeout",
                    time.monotonic() - started,
                    proc.exitcode,
                    error=f"no result after {timeout:.0f}s, killed",
                )
            message = _receive(receiver)
            proc.join(TERM_GRACE_SECONDS)
            if proc.is_alive():  # answered, then hung on the way out
                _stop(proc)
        finally:
            receiver.close()
            with self._lock:
                self._running.pop(id(proc), None)
        return _interpret(
            proc.exitcode, message, time.monotonic() - started, self._stopping.is_set()
        )

    def stop_all(self) -> None:
        """Ask every running child to stop (SIGTERM, then SIGKILL after a grace period)."""
        self._stopping.set()
        with self._lock:
            procs = list(self._running.values())
        for proc in procs:
            threading.Thread(target=_stop, args=(proc,), daemon=True).start()


def _receive(receiver: Connection) -> dict[str, Any] | None:
    """The child's answer, or None if it died without one."""
    try:
        message: dict[str, Any] = receiver.recv()
    except EOFError:
        return None
    return message


def _stop(proc: Any) -> None:
    proc.terminate()
    proc.join(TERM_GRACE_SECONDS)
    if proc.is_alive():
        proc.kill()
        proc.join()


def _interpret(
    exitcode: int | None, message: dict[str, Any] | None, seconds: float, stopping: bool
) -> ChildResult:
    if message is not None and "value" in message and exitcode == 0:
        return ChildResult("ok", seconds, exitcode, message["value"] or {})
    if stopping:
        return ChildResult("stopped", seconds, exitcode, error="stopped by shutdown")
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name
        return ChildResult("crashed", seconds, exitcode, error=f"child killed by {name}")
    error = (message or {}).get("error") or f"child exited with status {exitcode}"
    return ChildResult("failed", seconds, exitcode, error=error)


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:  # killed but not yet reaped by its own parent: a zombie is gone too
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _watch_daemon(daemon_pid: int) -> None:
    """Exit when the daemon is gone: a crawl nobody waits for must not keep writing.

    The daemon is not our parent (the fork server is, and the fork server lives as long as
    any child does), so watch the daemon's pid itself.
    """
    while not _process_gone(daemon_pid):
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(70)


def _child_main(target: str, payload: dict[str, Any], conn: Connection, daemon_pid: int) -> None:
    threading.Thread(target=_watch_daemon, args=(daemon_pid,), daemon=True).start()
    module_name, _, func_name = target.partition(":")
    try:
        func = getattr(importlib.import_module(module_name), func_name)
        conn.send({"value": func(payload) or {}})
    except Exception as exc:  # reported to the parent as data, the parent decides
        logging.getLogger(module_name).exception("job %s failed", target)
        conn.send({"error": f"{type(exc).__name__}: {exc}"})
        conn.close()
        raise SystemExit(1) from None
    conn.close()

"""Run one job in a child process with a wall-clock limit.

Why a process per crawl: Scrapy's Twisted reactor cannot be restarted inside one process
(`ReactorNotRestartable` on the second scheduled crawl), and a spider that hangs or
crashes the interpreter must not take the scheduler, the other sources or the notifier
with it. Each child is a fresh interpreter (`monitor.interpreter`) that imports Scrapy
and what its job needs and gives that memory back when it exits: no fork server and no
resource tracker stay resident between polls (they held ~160 MB for a start-up saving
of about a second per poll). At most `max_running` children run at once, so the peak
memory is bounded; a job waiting for a slot keeps its caller's lease alive. A child exits
on its own when the daemon dies (kill -9), so no orphan keeps writing to the database.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from monitor import interpreter

log = logging.getLogger(__name__)

TERM_GRACE_SECONDS = 5.0
PARENT_POLL_SECONDS = 0.5
KEEP_ALIVE_SECONDS = 20.0  # well inside the crawl lease's margin
_CHILD_MAIN = (
    "import sys; from monitor.service.isolation import child_main; child_main(int(sys.argv[1]))"
)


@dataclass
class ChildResult:
    """`outcome`: ok, failed (raised or exited non-zero), timeout, crashed (signal), stopped."""

    outcome: str
    seconds: float
    exitcode: int | None = None
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


class Children:
    """Starts children, at most `max_running` at a time, and stops the running ones on shutdown."""

    def __init__(self, max_running: int = 1) -> None:
        self._slots = threading.BoundedSemaphore(max_running)
        self._running: dict[int, subprocess.Popen[bytes]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def run(
        self,
        target: str,
        payload: dict[str, Any],
        timeout: float,
        keep_alive: Callable[[], object] | None = None,
    ) -> ChildResult:
        """Call `module:function(payload)` in a new process; never raises for the child's faults.

        `timeout` starts when the child does; while waiting for a free slot `keep_alive` is
        called every KEEP_ALIVE_SECONDS (the caller renews its lease there).
        """
        while not self._slots.acquire(timeout=KEEP_ALIVE_SECONDS):
            if self._stopping.is_set():
                break
            if keep_alive is not None:
                keep_alive()
        else:
            try:
                return self._run(target, payload, timeout)
            finally:
                self._slots.release()
        return ChildResult("stopped", 0.0, error="not started: shutting down")

    def _run(self, target: str, payload: dict[str, Any], timeout: float) -> ChildResult:
        if self._stopping.is_set():
            return ChildResult("stopped", 0.0, error="not started: shutting down")
        started = time.monotonic()
        proc, conn = interpreter.start(_CHILD_MAIN)
        with self._lock:
            self._running[proc.pid] = proc
        try:
            if self._stopping.is_set():  # stop_all ran while we were starting it
                _stop(proc)
            try:
                conn.send((target, payload, sys.path))
            except OSError:  # died at once; its exit status tells why
                pass
            if not conn.poll(timeout):  # neither an answer nor an exit: hung
                _stop(proc)
                return ChildResult(
                    "timeout",
                    time.monotonic() - started,
                    proc.returncode,
                    error=f"no result after {timeout:.0f}s, killed",
                )
            message = _receive(conn)
            try:
                proc.wait(TERM_GRACE_SECONDS)
            except subprocess.TimeoutExpired:  # answered, then hung on the way out
                _stop(proc)
        finally:
            conn.close()
            with self._lock:
                self._running.pop(proc.pid, None)
        return _interpret(
            proc.returncode, message, time.monotonic() - started, self._stopping.is_set()
        )

    def stop_all(self) -> None:
        """Ask every running child to stop (SIGTERM, then SIGKILL after a grace period)."""
        self._stopping.set()
        with self._lock:
            procs = list(self._running.values())
        for proc in procs:
            threading.Thread(target=_stop, args=(proc,), daemon=True).start()


def _receive(conn: Connection) -> dict[str, Any] | None:
    """The child's answer, or None if it died without one."""
    try:
        message: dict[str, Any] = conn.recv()
    except (EOFError, OSError):
        return None
    return message


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(TERM_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


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


def _watch_daemon(daemon_pid: int) -> None:
    """Exit when the daemon is gone: a crawl nobody waits for must not keep writing."""
    while os.getppid() == daemon_pid:  # the daemon is our parent; orphans are re-parented
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(70)


def child_main(fd: int) -> None:
    """Child side: receive (target, payload, sys.path), run it, send the value or the error."""
    daemon_pid = os.getppid()
    threading.Thread(target=_watch_daemon, args=(daemon_pid,), daemon=True).start()
    conn = Connection(fd)
    try:
        target, payload, path = conn.recv()
    except EOFError:  # the daemon went away before sending the job
        raise SystemExit(70) from None
    sys.path[:] = path  # the daemon's: test and plug-in modules import as they would there
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

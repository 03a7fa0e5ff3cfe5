"""Jobs run by `monitor.service.isolation` in the tests (imported by the child process)."""

from __future__ import annotations

import os
import signal
import time
from typing import Any


def echo(payload: dict[str, Any]) -> dict[str, Any]:
    return {"echo": payload["value"], "pid": os.getpid()}


def boom(payload: dict[str, Any]) -> dict[str, Any]:
    raise ValueError("spider exploded")


def hang(payload: dict[str, Any]) -> dict[str, Any]:
    if path := payload.get("pidfile"):
        with open(path, "w") as f:
            f.write(str(os.getpid()))
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a stuck reactor that ignores SIGTERM too
    while True:
        time.sleep(1)


def segfault(payload: dict[str, Any]) -> dict[str, Any]:
    os.kill(os.getpid(), signal.SIGSEGV)
    return {}


def nap(payload: dict[str, Any]) -> dict[str, Any]:
    """Sleeps; says when it ran (wall clock), to see whether two jobs overlapped."""
    started = time.time()
    time.sleep(payload["seconds"])
    return {"started": started, "ended": time.time()}

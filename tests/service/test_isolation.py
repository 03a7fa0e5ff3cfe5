"""Crawls run in a child process: its hang, crash or exception never reaches the daemon."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from monitor.service import isolation
from monitor.service.isolation import Children, ChildResult

HERE = Path(__file__).parent
ENV = {"PYTHONPATH": os.pathsep.join([str(HERE), str(HERE.parents[1])])}


def run(target: str, timeout: float = 30, **payload: object) -> ChildResult:
    return Children().run(f"child_targets:{target}", dict(payload), timeout)


def test_result_comes_back_from_another_process() -> None:
    result = run("echo", value="مرحبا")
    assert result.outcome == "ok"
    assert result.result["echo"] == "مرحبا"
    assert result.result["pid"] != os.getpid()


def test_an_exception_is_a_failed_outcome() -> None:
    result = run("boom")
    assert result.outcome == "failed"
    assert "spider exploded" in result.error


def test_a_crash_is_reported_not_raised() -> None:
    result = run("segfault")
    assert result.outcome == "crashed"
    assert "SIGSEGV" in result.error


def test_a_hung_child_is_killed_at_its_time_limit() -> None:
    started = time.monotonic()
    result = run("hang", timeout=1)
    assert result.outcome == "timeout"
    assert time.monotonic() - started < 1 + 5 + 3  # limit + SIGTERM grace + slack


def test_stop_all_ends_running_children() -> None:
    children = Children()
    results = []
    thread = threading.Thread(
        target=lambda: results.append(children.run("child_targets:hang", {}, 60))
    )
    thread.start()
    time.sleep(1.0)
    children.stop_all()
    thread.join(15)
    assert results and results[0].outcome == "stopped"


def test_one_child_at_a_time_and_the_waiting_job_keeps_its_lease(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(isolation, "KEEP_ALIVE_SECONDS", 0.2)
    children = Children(max_running=1)
    first: list[ChildResult] = []
    thread = threading.Thread(
        target=lambda: first.append(children.run("child_targets:nap", {"seconds": 2.0}, 30))
    )
    thread.start()
    time.sleep(0.5)  # the first child holds the only slot
    renewals: list[float] = []
    second = children.run(
        "child_targets:nap", {"seconds": 0.0}, 30, keep_alive=lambda: renewals.append(1.0)
    )
    thread.join(30)
    assert first[0].outcome == second.outcome == "ok"
    assert second.result["started"] >= first[0].result["ended"]
    assert len(renewals) >= 3


def test_two_slots_run_two_children_at_once() -> None:
    children = Children(max_running=2)
    results: list[ChildResult] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(children.run("child_targets:nap", {"seconds": 2.0}, 30))
        )
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    a, b = (r.result for r in results)
    assert a["started"] < b["ended"] and b["started"] < a["ended"]


def test_stop_all_releases_a_job_waiting_for_a_slot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(isolation, "KEEP_ALIVE_SECONDS", 0.2)
    children = Children(max_running=1)
    results: list[ChildResult] = []
    for _ in range(2):
        threading.Thread(
            target=lambda: results.append(children.run("child_targets:hang", {}, 60))
        ).start()
        time.sleep(0.5)
    children.stop_all()
    deadline = time.monotonic() + 15
    while len(results) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert [r.outcome for r in results] == ["stopped", "stopped"]


def test_a_child_exits_when_its_daemon_is_killed(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    daemon = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        from monitor.service.isolation import ChildResult, Children
        Children().run("child_targets:hang", {{"pidfile": {str(pidfile)!r}}}, 600)
    """),
        ],
        env={**os.environ, **ENV},
    )
    deadline = time.monotonic() + 20
    while not pidfile.exists() or not pidfile.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    child = int(pidfile.read_text())
    daemon.send_signal(signal.SIGKILL)
    daemon.wait()
    deadline = time.monotonic() + 5
    while _alive(child):
        assert time.monotonic() < deadline, "orphaned crawl kept running"
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by init) counts as gone
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"

"""Fixtures of the service tests: live site copies, an alert endpoint, daemon processes."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# --import-mode=importlib puts no test directory on sys.path; the tests import their helpers.
sys.path.insert(0, str(Path(__file__).parent))

from service_helpers import DaemonProcess, copy_sites

from monitor.testing.endpoint import Endpoint
from monitor.testing.sites import Sites


@pytest.fixture
def site_root(tmp_path: Path) -> Path:
    return copy_sites(tmp_path)


@pytest.fixture
def sites(site_root: Path) -> Iterator[Sites]:
    with Sites(site_root) as running:
        yield running


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    with Endpoint() as running:
        yield running


@pytest.fixture
def daemons(tmp_path: Path) -> Iterator[Callable[..., DaemonProcess]]:
    """Start `monitor run` processes; any still running at the end are killed."""
    started: list[DaemonProcess] = []

    def start(config: Path, *args: str, web: bool = False) -> DaemonProcess:
        daemon = DaemonProcess(config, tmp_path / f"daemon{len(started)}.log", *args, web=web)
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        if daemon.proc.poll() is None:
            daemon.proc.kill()
            daemon.proc.wait()

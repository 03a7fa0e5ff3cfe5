"""Fixtures of the crawl tests: loopback copies of the sites, a fresh database per test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# --import-mode=importlib puts no test directory on sys.path; the tests import their helpers.
sys.path.insert(0, str(Path(__file__).parent))

from crawl_helpers import SITES

from monitor.store.db import Database
from monitor.store.migrate import upgrade
from monitor.testing.sites import Sites


@pytest.fixture(scope="module")
def sites() -> Iterator[Sites]:
    with Sites(SITES) as running:
        yield running


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'crawl.db'}")
    upgrade(database)
    yield database
    database.dispose()

"""Fixtures of the crawl tests: loopback copies of the sites (the database is the shared `db`)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# --import-mode=importlib puts no test directory on sys.path; the tests import their helpers.
sys.path.insert(0, str(Path(__file__).parent))

from crawl_helpers import SITES

from monitor.testing.sites import Sites


@pytest.fixture(scope="module")
def sites() -> Iterator[Sites]:
    with Sites(SITES) as running:
        yield running

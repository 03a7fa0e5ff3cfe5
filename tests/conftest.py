"""Shared fixtures: a migrated database per test, settings, the loopback sites."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.config import Settings
from monitor.store.db import Database
from monitor.store.migrate import upgrade

FIXTURES = Path(__file__).parent / "fixtures"
SITES_DIR = FIXTURES / "sites"
RULES_DIR = Path(__file__).parents[1] / "rules"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'monitor.db'}")
    upgrade(database)
    yield database
    database.dispose()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'monitor.db'}",
                    rules_dir=RULES_DIR)

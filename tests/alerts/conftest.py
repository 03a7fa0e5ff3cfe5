"""Fixtures of the alert tests (helpers live in alert_helpers.py)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.store import models
from monitor.store.db import Database

# --import-mode=importlib puts no test directory on sys.path; the tests import their helpers.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def db(any_db: Database) -> Database:
    """The outbox promises the same on both backends: every alert test runs on each."""
    return any_db


@pytest.fixture
def alerts_of(db: Database) -> Callable[..., list[models.Alert]]:
    """Alert rows, in id order, filtered by column values."""

    def query(**where: object) -> list[models.Alert]:
        with db.session() as session:
            return list(
                session.scalars(select(models.Alert).order_by(models.Alert.id).filter_by(**where))
            )

    return query


@pytest.fixture(autouse=True)
def _root_logging() -> Iterator[None]:
    """`monitor.cli.main` and `setup_logging` replace the root handlers: put them back."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)

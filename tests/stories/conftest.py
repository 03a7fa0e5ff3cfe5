"""The labelled story test set (tests/data/stories/documents.yaml), loaded once."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.stories.evaluate import Doc, load_documents

DOCUMENTS = Path(__file__).parents[1] / "data" / "stories" / "documents.yaml"


@pytest.fixture(scope="session")
def documents() -> dict[str, Doc]:
    return {d.id: d for d in load_documents(DOCUMENTS)}

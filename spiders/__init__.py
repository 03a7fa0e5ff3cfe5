"""Registry of the monitored sources: key -> Source, built from one file per source."""

from __future__ import annotations

from spiders.base import Source

SOURCES: dict[str, Source] = {}


def register(source: Source) -> Source:
    if source.key in SOURCES:
        raise ValueError(f"duplicate source key {source.key!r}")
    SOURCES[source.key] = source
    return source


def source_for_url(url: str) -> Source | None:
    return next((s for s in SOURCES.values() if s.owns(url)), None)


# Each import registers its SOURCE.
from spiders import baladi, etilaf, rt_arabic, state_dept  # noqa: F401

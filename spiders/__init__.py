"""Registry of the monitored sources: key -> Source, built from one file per source, plus
the sources the configuration declares in YAML (`register_declared`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from spiders.base import Source

if TYPE_CHECKING:
    from monitor.config import Settings

SOURCES: dict[str, Source] = {}
_DECLARED: set[str] = set()  # keys that came from YAML, replaced on each register_declared


def register(source: Source) -> Source:
    if source.key in SOURCES:
        raise ValueError(f"duplicate source key {source.key!r}")
    SOURCES[source.key] = source
    return source


def register_declared(settings: Settings) -> dict[str, Source]:
    """Add the YAML-declared sources of `settings` to SOURCES (dropping those an earlier
    call added); returns them. Raises ConfigError for a declaration that does not hold."""
    from spiders.declared import declared

    for key in _DECLARED:
        SOURCES.pop(key, None)
    _DECLARED.clear()
    found = declared(settings, SOURCES)
    SOURCES.update(found)
    _DECLARED.update(found)
    return found


def source_for_url(url: str) -> Source | None:
    return next((s for s in SOURCES.values() if s.owns(url)), None)


# Each import registers its SOURCE.
from spiders import baladi, etilaf, rt_arabic, state_dept  # noqa: F401

"""Review queue: the web UI (`monitor serve`) and `monitor queue` for triaging flagged items.

`create_app(settings, db)` builds the ASGI app; `queries` holds every query it runs.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    # Lazy, so `monitor queue ...` (which imports this package) does not load the web stack.
    if name == "create_app":
        from monitor.review.app import create_app

        return create_app
    raise AttributeError(name)


__all__ = ["create_app"]

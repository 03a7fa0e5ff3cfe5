"""Helpers of the crawl tests: fixture paths, expectations, loopback settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from monitor.config import Settings
from monitor.crawl.canonical import canonical_url
from monitor.store import models
from monitor.store.db import Database
from monitor.testing.sites import Sites
from spiders import SOURCES

SITES = Path(__file__).resolve().parents[1] / "fixtures" / "sites"
FAULTS = Path(__file__).resolve().parent / "fixtures" / "faults"
EXPECTED = yaml.safe_load((Path(__file__).parent / "expected.yaml").read_text(encoding="utf-8"))


def loopback_settings(
    sites: Sites, key: str, source: dict[str, Any] | None = None, **crawl: Any
) -> Settings:
    """Production settings except the delays (loopback answers in microseconds)."""
    crawl = {
        "download_delay": 0,
        "max_crawl_delay": 0,
        "download_timeout": 5,
        "retry_times": 0,
        **crawl,
    }
    return Settings.model_validate(
        {"crawl": crawl, "sources": {key: {"base_urls": sites.base_urls(), **(source or {})}}}
    )


def canon(url: str, key: str) -> str:
    return canonical_url(url, SOURCES[key])


def stored_urls(db: Database, key: str) -> list[str]:
    with db.session() as session:
        return sorted(
            session.scalars(select(models.RawPage.url).where(models.RawPage.source_key == key))
        )


def reset_stats(sites: Sites) -> None:
    for server in sites.servers.values():
        server.stats.reset()

"""Composition root: the one place that joins the site registry, rules and pipeline."""

from __future__ import annotations

from collections.abc import Callable

from monitor.config import Settings
from monitor.domain import SourceHints
from monitor.service.pipeline import Matcher, Pipeline
from monitor.store.db import Database
from spiders import SOURCES, source_for_url
from spiders.base import Source, unbase


def hints_for(source_key: str) -> SourceHints | None:
    source = SOURCES.get(source_key)
    return source.hints if source else None


def all_base_urls(settings: Settings) -> dict[str, str]:
    return {h: b for key in SOURCES for h, b in settings.source(key).base_urls.items()}


def resolve_source(
    url: str, settings: Settings, name: str | None = None
) -> tuple[str, Source | None]:
    """(public URL, its source) for a URL that may point at a configured loopback copy."""
    public = unbase(url, all_base_urls(settings))
    if name:
        return public, SOURCES.get(name)
    return public, source_for_url(public)


def make_pipeline(
    settings: Settings, db: Database, rules: Callable[[], Matcher] | None = None
) -> Pipeline:
    if rules is None:
        from monitor.rules import RuleBook, rule_folders

        book = RuleBook.load(rule_folders(settings))
        rules = lambda: book
    return Pipeline(db, settings, rules, hints_for)

"""Sources declared in YAML (`sources.d/*.yaml` or `sources.<key>` in the config), no code.

A declaration names a home page and, optionally, what the site is known to have (feeds,
sitemaps, listing templates, section fronts, WordPress), an article URL pattern, a
language and extraction hints. It becomes the same `Source` a `spiders/<key>.py` file
declares, so it gets the same spider, politeness, extraction and rules.
"""

from __future__ import annotations

import re
from dataclasses import fields
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from monitor.config import (
    DECLARATION_FIELDS,
    ConfigError,
    Settings,
    SourceDeclaration,
    SourceSettings,
)
from monitor.domain import SourceHints
from spiders.base import DISCOVERY_KINDS, Source

KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
HINT_FIELDS = {f.name for f in fields(SourceHints)}
BLANK = SourceDeclaration()  # by value, not by what was written: settings travel as full dumps


def declared(settings: Settings, builtin: dict[str, Source]) -> dict[str, Source]:
    """key -> Source for every source the settings declare (built-in ones are only tuned)."""
    out = {}
    for key, entry in settings.sources.items():
        fields_set = {f for f in DECLARATION_FIELDS if getattr(entry, f) != getattr(BLANK, f)}
        where = entry.declared_in or f"sources.{key}"
        if key in builtin:
            if fields_set:
                raise ConfigError(
                    f"{where}: {key!r} is a built-in source (spiders/{key}.py); "
                    f"{', '.join(sorted(fields_set))} cannot be redefined here"
                )
            continue
        if not fields_set and not entry.declared_in:
            continue  # schedule settings only, e.g. for a source not installed here
        out[key] = to_source(key, entry, where)
    return out


def to_source(key: str, entry: SourceSettings, where: str) -> Source:
    """One declaration -> Source; raises ConfigError naming the file or config key."""
    if not KEY.match(key):
        raise ConfigError(f"{where}: source key {key!r}: use lower-case letters, digits, _ and -")
    homes = [entry.home] if isinstance(entry.home, str) else list(entry.home or [])
    urls = [*homes, *entry.feeds, *entry.sitemaps, *entry.listings, *entry.sections]
    if not urls:
        raise ConfigError(f"{where}: {key}: give at least `home` (the site's home page URL)")
    for url in urls:
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise ConfigError(f"{where}: {key}: {url!r} is not an http(s) URL")
    for template in entry.listings:
        if "{page}" not in template:
            raise ConfigError(f"{where}: {key}: listing {template!r} needs a {{page}} placeholder")
    for pattern in [*entry.article_patterns, *(p for p, _ in entry.path_aliases)]:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(f"{where}: {key}: pattern {pattern!r}: {exc}") from None
    unknown = set(entry.hints) - HINT_FIELDS
    if unknown:
        raise ConfigError(
            f"{where}: {key}: unknown hint(s) {', '.join(sorted(unknown))} "
            f"(known: {', '.join(sorted(HINT_FIELDS))})"
        )
    zone = entry.hints.get("timezone", "UTC")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ConfigError(f"{where}: {key}: timezone {zone!r} is not an IANA time zone") from None
    wrong = set(entry.expect) - set(DISCOVERY_KINDS)
    if wrong:
        raise ConfigError(f"{where}: {key}: expect: unknown kind(s) {', '.join(sorted(wrong))}")
    aliases = tuple(entry.host_aliases.items())
    hosts = dict.fromkeys(
        [*(urlsplit(u).hostname or "" for u in urls), *entry.hosts, *(a for a, _ in aliases)]
    )
    hints: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in entry.hints.items()
    }
    hints.setdefault("default_language", entry.language)
    return Source(
        key=key,
        name=entry.name or key,
        hosts=tuple(hosts),
        language=entry.language,
        feeds=tuple(entry.feeds),
        sitemaps=tuple(entry.sitemaps),
        listings=tuple(entry.listings),
        article_patterns=tuple(entry.article_patterns),
        hints=SourceHints(**hints),
        archive=entry.archive,
        crawl_delay=entry.crawl_delay,
        host_aliases=aliases,
        path_aliases=tuple(entry.path_aliases),
        listing_link_css=entry.listing_link_css or "a",
        listing_date_css=entry.listing_date_css or "",
        homes=tuple(homes),
        sections=tuple(entry.sections),
        wp_rest=entry.wordpress,
        expect=tuple(entry.expect) or _expected(entry),
        declared_in=where,
    )


def _expected(entry: SourceSettings) -> tuple[str, ...]:
    """What the user said the site has must deliver; with nothing said, the home page."""
    declared = [
        kind
        for kind, urls in (
            ("feed", entry.feeds),
            ("sitemap", entry.sitemaps),
            ("listing", entry.listings),
        )
        if urls
    ]
    return tuple(declared) or ("home",)

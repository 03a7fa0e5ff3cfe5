"""Conversions between the pipeline's plain data and the rows that store it."""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import asdict

from monitor.domain import FeedEntry, RawPage, RuleMatch
from monitor.store import models


def raw_page_row(page: RawPage) -> models.RawPage:
    """A `pending` row for a fetched page; the body is kept compressed as evidence."""
    return models.RawPage(
        source_key=page.source,
        url=page.url,
        fetched_url=page.fetched_url,
        captured_at=page.captured_at,
        fetched_at=page.fetched_at,
        status=page.status,
        headers=dict(page.headers),
        body_z=zlib.compress(page.body, 6),
        body_sha256=hashlib.sha256(page.body).hexdigest(),
        feed=asdict(page.feed) if page.feed else None,
        state="pending",
    )


def raw_page_from_row(row: models.RawPage) -> RawPage:
    return RawPage(
        url=row.url,
        source=row.source_key,
        body=zlib.decompress(row.body_z),
        fetched_at=row.fetched_at,
        status=row.status,
        headers=dict(row.headers or {}),
        fetched_url=row.fetched_url,
        captured_at=row.captured_at,
        feed=FeedEntry(**row.feed) if row.feed else None,
    )


def match_row(match: RuleMatch) -> models.RuleMatchRow:
    """A stored rule match; spans become [start, end] pairs indexing the match document."""
    return models.RuleMatchRow(
        rule_id=match.rule,
        rule_name=match.name,
        severity=match.severity,
        terms=match.terms,
        snippets=match.snippets,
        spans=[[s.start, s.end] for s in match.spans],
    )

"""Conversions between the pipeline's plain data and the rows that store it."""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import asdict
from datetime import date, datetime

from monitor.domain import Capture, FeedEntry, RawPage, RuleMatch
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
        listed_at=page.listed_at.isoformat() if page.listed_at is not None else None,
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
        listed_at=listed_at_of(row),
    )


def listed_at_of(row: models.RawPage) -> date | datetime | None:
    """The stored ISO text back to what the discovery path gave: a day or a datetime."""
    value = row.listed_at
    if not value:
        return None
    return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)


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


def capture_rows(
    captures: tuple[Capture, ...], raw_page_id: int | None = None, check_id: int | None = None
) -> list[models.Capture]:
    """Stored exchanges in the order they happened (a redirect chain keeps its order)."""
    return [
        models.Capture(
            raw_page_id=raw_page_id,
            check_id=check_id,
            seq=seq,
            url=c.url,
            fetched_url=c.fetched_url,
            method=c.method,
            request_headers=[list(h) for h in c.request_headers],
            protocol=c.protocol,
            status=c.status,
            response_headers=[list(h) for h in c.response_headers],
            body_z=zlib.compress(c.body, 6),
            body_sha256=hashlib.sha256(c.body).hexdigest(),
            body_length=len(c.body),
            ip_address=c.ip_address,
            fetched_at=c.fetched_at,
        )
        for seq, c in enumerate(captures)
    ]


def capture_body(row: models.Capture) -> bytes:
    return zlib.decompress(row.body_z)

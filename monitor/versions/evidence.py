"""Evidence export: everything captured about one article, as one WARC file (warcio).

Records, in order:
- `warcinfo`: what wrote the file and for which article;
- per captured exchange (first fetch, redirects, re-checks, 304s, 404s, decoy pages): a
  `request` and its `response` (WARC-Concurrent-To links them), dated with the UTC time
  the response arrived; the payload is the entity body exactly as received (see
  `monitor.crawl.capture`: a gzip body stays gzip). The transfer coding was undone on
  receipt, so a `Transfer-Encoding` header is kept as `X-Monitor-Orig-Transfer-Encoding`
  (readers would otherwise try to de-chunk the body);
- per stored page with no capture (saved before captures existed, or given to `monitor
  ingest`): a `resource` record with the stored page;
- one `metadata` record (application/json): the extracted versions, changes, re-checks and
  rule matches, and which record holds which page.

Payload and block digests are SHA-256 (`sha256:` + base32, as WARC digests are written).
The manifest lists the SHA-256 (hex) of the file and of every payload; a payload's hex
digest equals `captures.body_sha256` / `raw_pages.body_sha256` in the store.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import IO, Any
from urllib.parse import urlsplit

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

import monitor
from monitor.store import models
from monitor.store.rows import capture_body, raw_page_from_row
from monitor.versions.checks import LIVE

RENAMED_HEADERS = {"transfer-encoding": "X-Monitor-Orig-Transfer-Encoding"}
BYTES_NOTE = (
    "Response payloads are the entity bodies as received: TLS and chunked transfer coding "
    "removed on receipt, Content-Encoding (gzip, br, deflate) kept."
)


@dataclass(frozen=True)
class ManifestEntry:
    sha256: str  # hex
    label: str  # record type, id, status and URI


@dataclass
class Manifest:
    file_sha256: str = ""
    entries: list[ManifestEntry] = field(default_factory=list)

    def lines(self, file_name: str) -> list[str]:
        """`sha256sum` style: the file, then one line per payload."""
        return [f"{self.file_sha256}  {file_name}"] + [
            f"{e.sha256}  {e.label}" for e in self.entries
        ]


class EvidenceNotFound(LookupError):
    pass


class _HashingWriter(io.RawIOBase):
    """Counts the SHA-256 of everything written through it."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.sha256 = hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.sha256.update(chunk)
        self.out.write(chunk)
        return len(chunk)


def warc_digest(body: bytes) -> str:
    return "sha256:" + base64.b32encode(hashlib.sha256(body).digest()).decode("ascii")


def warc_date(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def default_file_name(article_id: int, now: datetime) -> str:
    return f"article-{article_id}-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.warc.gz"


def export_warc(session: Session, article_id: int, out: IO[bytes], now: datetime) -> Manifest:
    """Write the article's WARC to `out`; returns its manifest. Raises EvidenceNotFound."""
    from warcio.utils import Digester
    from warcio.warcwriter import WARCWriter

    class SHA256Writer(WARCWriter):  # type: ignore[misc]  # warcio is untyped
        @staticmethod
        def _create_digester() -> Digester:  # warcio's hook; its default is SHA-1
            return Digester("sha256")

    article = session.get(models.Article, article_id)
    if article is None:
        raise EvidenceNotFound(f"no item {article_id}")
    hashing = _HashingWriter(out)
    writer = SHA256Writer(hashing, gzip=True, warc_version="1.1")
    manifest = Manifest()
    info = {
        "software": f"monitor {monitor.__version__}",
        "format": "WARC File Format 1.1",
        "description": f"evidence for item {article.id}: {article.url}",
        "created": warc_date(now),
    }
    writer.write_record(writer.create_warcinfo_record(default_file_name(article.id, now), info))
    record_of: dict[str, str] = {}
    captures = _captures(session, article.id)
    for capture in captures:
        record_of[f"capture:{capture.id}"] = _write_exchange(writer, capture, manifest)
    captured_pages = {c.raw_page_id for c in captures}
    for raw in _raw_pages(session, article.id):
        if raw.id not in captured_pages:
            record_of[f"raw_page:{raw.id}"] = _write_resource(writer, raw, manifest)
    metadata = _metadata(session, article, record_of)
    body = json.dumps(metadata, ensure_ascii=False, indent=1, default=str).encode("utf-8")
    record = writer.create_warc_record(
        article.url,
        "metadata",
        payload=io.BytesIO(body),
        length=len(body),
        warc_content_type="application/json",
        warc_headers_dict={"WARC-Date": warc_date(now), "WARC-Payload-Digest": warc_digest(body)},
    )
    writer.write_record(record)
    manifest.entries.append(
        ManifestEntry(hashlib.sha256(body).hexdigest(), _label(record, "metadata"))
    )
    manifest.file_sha256 = hashing.sha256.hexdigest()
    return manifest


def _captures(session: Session, article_id: int) -> list[models.Capture]:
    raw_ids = select(models.RawPage.id).where(models.RawPage.article_id == article_id)
    check_ids = select(models.ArticleCheck.id).where(models.ArticleCheck.article_id == article_id)
    return list(
        session.scalars(
            select(models.Capture)
            .where(
                or_(models.Capture.raw_page_id.in_(raw_ids), models.Capture.check_id.in_(check_ids))
            )
            .order_by(models.Capture.fetched_at, models.Capture.id)
        )
    )


def _raw_pages(session: Session, article_id: int) -> list[models.RawPage]:
    return list(
        session.scalars(
            select(models.RawPage)
            .where(models.RawPage.article_id == article_id)
            .order_by(models.RawPage.fetched_at, models.RawPage.id)
        )
    )


def _label(record: Any, kind: str, status: int | None = None) -> str:
    headers = record.rec_headers
    parts = [kind, headers.get_header("WARC-Record-ID"), headers.get_header("WARC-Date")]
    if status is not None:
        parts.append(str(status))
    return " ".join([*parts, headers.get_header("WARC-Target-URI") or ""])


def _pairs(headers: list[list[str]]) -> list[tuple[str, str]]:
    return [(RENAMED_HEADERS.get(name.lower(), name), value) for name, value in headers]


def _write_exchange(writer: Any, capture: models.Capture, manifest: Manifest) -> str:
    from warcio.statusandheaders import StatusAndHeaders

    body = capture_body(capture)
    try:
        phrase = HTTPStatus(capture.status).phrase
    except ValueError:
        phrase = ""
    when = warc_date(capture.fetched_at)
    warc_headers = {"WARC-Date": when, "WARC-Payload-Digest": warc_digest(body)}
    if capture.ip_address:
        warc_headers["WARC-IP-Address"] = capture.ip_address
    response = writer.create_warc_record(
        capture.fetched_url,
        "response",
        payload=io.BytesIO(body),
        length=len(body),
        warc_headers_dict=warc_headers,
        http_headers=StatusAndHeaders(
            f"{capture.status} {phrase}".strip(),
            _pairs(capture.response_headers),
            protocol=capture.protocol,
        ),
    )
    parts = urlsplit(capture.fetched_url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    request = writer.create_warc_record(
        capture.fetched_url,
        "request",
        warc_headers_dict={"WARC-Date": when},
        http_headers=StatusAndHeaders(
            f"{capture.method} {target} {capture.protocol}",
            _pairs(capture.request_headers),
            is_http_request=True,
        ),
    )
    writer.write_request_response_pair(request, response)
    manifest.entries.append(
        ManifestEntry(capture.body_sha256, _label(response, "response", capture.status))
    )
    record_id: str = response.rec_headers.get_header("WARC-Record-ID")
    return record_id


def _write_resource(writer: Any, raw: models.RawPage, manifest: Manifest) -> str:
    page = raw_page_from_row(raw)
    content_type = {k.lower(): v for k, v in page.headers.items()}.get("content-type")
    record = writer.create_warc_record(
        page.fetched_url or page.url,
        "resource",
        payload=io.BytesIO(page.body),
        length=len(page.body),
        warc_content_type=content_type or "text/html",
        warc_headers_dict={
            "WARC-Date": warc_date(page.fetched_at),
            "WARC-Payload-Digest": warc_digest(page.body),
        },
    )
    writer.write_record(record)
    manifest.entries.append(ManifestEntry(raw.body_sha256, _label(record, "resource")))
    record_id: str = record.rec_headers.get_header("WARC-Record-ID")
    return record_id


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _metadata(
    session: Session, article: models.Article, record_of: dict[str, str]
) -> dict[str, Any]:
    watch = session.get(models.ArticleWatch, article.id)
    return {
        "note": BYTES_NOTE,
        "article": {
            "id": article.id,
            "url": article.url,
            "source": article.source_key,
            "language": article.language,
            "title": article.title,
            "review_state": article.review_state,
            "first_seen": _iso(article.created_at),
            "availability": watch.availability if watch else LIVE,
        },
        "versions": list(_versions(session, article.id)),
        "changes": [
            {
                "kind": c.kind,
                "detected_at": _iso(c.detected_at),
                "old_url": c.old_url,
                "new_url": c.new_url,
                "status": c.status,
                "rules_started": c.rules_started,
                "rules_stopped": c.rules_stopped,
                "detail": c.detail,
            }
            for c in session.scalars(
                select(models.ArticleChange)
                .where(models.ArticleChange.article_id == article.id)
                .order_by(models.ArticleChange.id)
            )
        ],
        "checks": [
            {
                "checked_at": _iso(c.checked_at),
                "reason": c.reason,
                "url": c.url,
                "outcome": c.outcome,
                "status": c.status,
                "final_url": c.final_url,
            }
            for c in session.scalars(
                select(models.ArticleCheck)
                .where(models.ArticleCheck.article_id == article.id)
                .order_by(models.ArticleCheck.id)
            )
        ],
        "rule_matches": [
            {
                "rule": m.rule_id,
                "name": m.rule_name,
                "severity": m.severity,
                "terms": m.terms,
                "snippets": m.snippets,
                "first_matched": _iso(m.created_at),
            }
            for m in article.matches
        ],
        "records": record_of,
    }


def _versions(session: Session, article_id: int) -> Iterator[dict[str, Any]]:
    rows = session.execute(
        select(models.ArticleVersion, models.RawPage.body_sha256)
        .outerjoin(models.RawPage, models.RawPage.id == models.ArticleVersion.raw_page_id)
        .where(models.ArticleVersion.article_id == article_id)
        .order_by(models.ArticleVersion.number)
    )
    for version, page_sha in rows:
        yield {
            "number": version.number,
            "fetched_at": _iso(version.fetched_at),
            "url": version.url,
            "raw_page_id": version.raw_page_id,
            "raw_page_sha256": page_sha,
            "title": version.title,
            "text": version.text,
            "published": _iso(version.published_at),
            "published_is_date": version.published_is_date,
            "rules": version.rules,
            "text_key": version.text_key,
        }

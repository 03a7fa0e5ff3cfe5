"""The WARC writer on stored rows: chunked answers, redirects, pages without a capture."""

from __future__ import annotations

import gzip
import io
import json
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from warcio.archiveiterator import ArchiveIterator

from monitor.domain import Capture
from monitor.store import models
from monitor.store.db import Database
from monitor.store.rows import capture_rows
from monitor.versions.evidence import EvidenceNotFound, export_warc

T0 = datetime(2026, 11, 20, 9, 30, 15, 123456, tzinfo=UTC)
PAGE = "<html><title>بيان</title><body><p>نص البيان</p></body></html>".encode()


def exchange(status: int, headers: tuple[tuple[str, str], ...], body: bytes, at: datetime,
             url: str = "https://www.etilaf.org/news/1") -> Capture:
    return Capture(url=url, fetched_url=url.replace("https://www.etilaf.org", "http://127.0.0.1:9"),
                   method="GET", request_headers=(("Host", "127.0.0.1:9"), ("Accept-Encoding", "gzip")),
                   status=status, protocol="HTTP/1.1", response_headers=headers, body=body,
                   fetched_at=at, ip_address="127.0.0.1")


def test_chain_chunked_gzip_and_an_uncaptured_page(db: Database) -> None:
    wire = gzip.compress(PAGE, mtime=0)
    chain = (
        exchange(301, (("Location", "https://www.etilaf.org/news/1"),), b"", T0,
                 url="https://www.etilaf.org/?p=1"),
        exchange(200, (("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip"),
                       ("Transfer-Encoding", "chunked"), ("Set-Cookie", "a=1"),
                       ("Set-Cookie", "b=2")), wire, T0 + timedelta(seconds=1)),
    )
    with db.session() as session:
        article = models.Article(url="https://www.etilaf.org/news/1", source_key="etilaf",
                                 title="بيان", text="نص البيان", content_hash="h")
        session.add(article)
        session.flush()
        for body, at in ((PAGE, T0), (PAGE + b"<!-- ingested -->", T0 + timedelta(days=1))):
            raw = models.RawPage(source_key="etilaf", url=article.url, fetched_at=at, headers={},
                                 body_z=zlib.compress(body), body_sha256="x" * 64, state="done",
                                 article_id=article.id)
            session.add(raw)
            session.flush()
            if body == PAGE:
                session.add_all(capture_rows(chain, raw_page_id=raw.id))
        article_id = article.id
    out = io.BytesIO()
    with db.session() as session:
        manifest = export_warc(session, article_id, out, T0 + timedelta(days=2))
    records = list(ArchiveIterator(io.BytesIO(out.getvalue()), check_digests=True))
    kinds = [r.rec_type for r in records]
    assert kinds == ["warcinfo", "response", "request", "response", "request", "resource",
                     "metadata"]
    redirect, page = records[1], records[3]
    assert redirect.http_headers.get_statuscode() == "301"
    assert redirect.rec_headers.get_header("WARC-Date") == "2026-11-20T09:30:15.123456Z"
    assert page.http_headers.get_header("Transfer-Encoding") is None  # the body is de-chunked
    assert page.http_headers.get_header("X-Monitor-Orig-Transfer-Encoding") == "chunked"
    assert [v for k, v in page.http_headers.headers if k == "Set-Cookie"] == ["a=1", "b=2"]
    for request, response in ((records[2], redirect), (records[4], page)):
        assert request.rec_headers.get_header("WARC-Concurrent-To") == (
            response.rec_headers.get_header("WARC-Record-ID"))
    assert records[5].rec_headers.get_header("WARC-Target-URI") == "https://www.etilaf.org/news/1"
    assert len(manifest.entries) == 4  # two responses, one resource, the metadata


def test_payloads_read_back_as_stored(db: Database) -> None:
    with db.session() as session:
        article = models.Article(url="https://www.etilaf.org/news/2", source_key="etilaf",
                                 title="t", text="x", content_hash="h2")
        session.add(article)
        session.flush()
        raw = models.RawPage(source_key="etilaf", url=article.url, fetched_at=T0, headers={},
                             body_z=zlib.compress(PAGE), body_sha256="y" * 64, state="done",
                             article_id=article.id)
        session.add(raw)
        session.flush()
        session.add_all(capture_rows(
            (exchange(200, (("Content-Encoding", "gzip"),), gzip.compress(PAGE), T0,
                      url=article.url),), raw_page_id=raw.id))
        article_id = article.id
    out = io.BytesIO()
    with db.session() as session:
        export_warc(session, article_id, out, T0)
    payloads = {r.rec_type: r.content_stream().read()
                for r in ArchiveIterator(io.BytesIO(out.getvalue()))}
    assert payloads["response"] == PAGE  # readers decode the gzip body themselves
    meta = json.loads(payloads["metadata"])
    assert meta["article"]["url"] == "https://www.etilaf.org/news/2"


def test_unknown_item(db: Database) -> None:
    with db.session() as session, pytest.raises(EvidenceNotFound):
        export_warc(session, 12345, io.BytesIO(), T0)

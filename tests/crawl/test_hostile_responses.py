"""Hostile responses (shared/reliability.md A1-A5) in a real crawl: gzip, br and zstd bombs,
bodies past DOWNLOAD_MAXSIZE with and without Content-Length, a body dripping a byte a
second, a truncated body, gzip bytes served as HTML, a PDF. Each is refused or fails with a
counted, logged reason, none becomes an Article, the feed's later articles are still
stored, and memory and time stay bounded."""

from __future__ import annotations

import http.client
import importlib.metadata
import logging
import pickle
import resource
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from crawl_helpers import loopback_settings
from packaging.version import Version
from sqlalchemy import select

from monitor.crawl.runner import run_crawl
from monitor.log import setup_logging
from monitor.service.wiring import make_pipeline
from monitor.store import models
from monitor.store.db import Database
from monitor.testing.faults import BOMB_INFLATED_MB, DRIP_BYTES, HUGE_DEFAULT_MB, FaultServer
from monitor.testing.sites import Sites
from spiders import SOURCES

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
# state_dept plus a host answered by the fault server; the fixture feed links to both
SOURCE = replace(
    SOURCES["state_dept"],
    hosts=(*SOURCES["state_dept"].hosts, "faults.test"),
    homes=("https://www.state.gov/",),  # the fault server has articles only
)
MB = 1024 * 1024
MAX_BYTES = 1 * MB
# Peak RSS of the crawl process: about 130 MB here with max_bytes 1 MB, over 4 GB without the
# cap. The gzip bomb alone inflates to 256 MB, so a crawl that inflated it cannot fit.
CRAWL_RSS_BUDGET_MB = 200
EXTRACTION_GROWTH_BUDGET_MB = 64

FAULT = "https://faults.test/releases/f/"
DOWNLOAD_TIMEOUT = 2.0
REFUSED = {  # never stored: the download is cancelled or fails
    f"{FAULT}gzip-bomb/": "too_large",
    f"{FAULT}br-bomb/": "too_large",
    f"{FAULT}zstd-bomb/": "too_large",
    f"{FAULT}drip/?bps=1": "timeout",  # DOWNLOAD_TIMEOUT bounds the whole body, not each read
    f"{FAULT}huge/?cl=1": "too_large",
    f"{FAULT}huge/?cl=0": "too_large",
    f"{FAULT}huge/?chunked=0&cl=0": "too_large",  # canonical URLs sort the query
    f"{FAULT}truncated/": "truncated",
    f"{FAULT}binary/": "not_html",  # a PDF: Scrapy gives no text response, never stored
}
NOT_HTML = [f"{FAULT}gzip-no-header/"]  # labelled text/html: stored raw, refused by extraction
ARTICLES = {
    f"{FAULT}ok/",
    "https://www.state.gov/releases/f/2026/11/after-the-faults-one/",
    "https://www.state.gov/releases/f/2026/11/after-the-faults-two/",
}


@pytest.fixture(scope="module")
def faults() -> Iterator[FaultServer]:
    with FaultServer() as running:
        yield running


def test_installed_scrapy_has_the_decompression_bomb_fixes() -> None:
    # 2.11.1: DOWNLOAD_MAXSIZE applies to inflated bodies; 2.13.4: chunk-level br/deflate check
    assert Version(importlib.metadata.version("scrapy")) >= Version("2.13.4")


def test_fault_server_sends_the_faults_the_crawl_test_relies_on(faults: FaultServer) -> None:
    def get(path: str) -> http.client.HTTPResponse:
        conn = http.client.HTTPConnection(faults.base_url.removeprefix("http://"), timeout=5)
        conn.request("GET", path)
        return conn.getresponse()

    bomb = get("/x/gzip-bomb/")
    body = bomb.read()
    assert bomb.getheader("Content-Encoding") == "gzip" and len(body) < MB // 2
    assert int.from_bytes(body[-4:], "little") == BOMB_INFLATED_MB * MB  # gzip trailer: ISIZE
    bare = get("/x/gzip-no-header/")
    assert bare.getheader("Content-Encoding") is None and bare.read() == body
    for encoding in ("br", "zstd"):
        other = get(f"/x/{encoding}-bomb/")
        packed = other.read()
        assert other.getheader("Content-Encoding") == encoding and len(packed) < 64 * 1024
        assert len(_inflate(encoding, packed)) == BOMB_INFLATED_MB * MB
    drip = get("/x/drip/?bps=20")
    started = time.monotonic()
    assert drip.getheader("Content-Length") == str(DRIP_BYTES)
    assert len(drip.read(10)) == 10 and time.monotonic() - started >= 9 / 20
    framing = {
        "/huge?mb=1&cl=1": ("1048576", None),
        "/huge?mb=1&cl=0": (None, "chunked"),
        "/huge?mb=1&cl=0&chunked=0": (None, None),  # ends when the connection closes
    }
    for path, headers in framing.items():
        huge = get(path)
        assert (huge.getheader("Content-Length"), huge.getheader("Transfer-Encoding")) == headers
        assert len(huge.read()) == MB
    truncated = get("/truncated")
    assert truncated.getheader("Content-Length") == "1000"
    with pytest.raises(http.client.IncompleteRead) as cut:
        truncated.read()
    assert len(cut.value.partial) == 500
    pdf = get("/x/binary/")
    assert pdf.getheader("Content-Type") == "application/pdf" and pdf.read().startswith(b"%PDF")


def test_hostile_answers_are_refused_and_the_crawl_goes_on(
    faults: FaultServer, db: Database, tmp_path: Path
) -> None:
    asked_before = Counter(faults.stats.requests)  # the fault server test shares the server
    with Sites(HOSTILE) as sites:
        bases = {**sites.base_urls(), "faults.test": faults.base_url}
        settings = loopback_settings(
            sites,
            "state_dept",
            source={"base_urls": bases},
            max_bytes=MAX_BYTES,
            download_timeout=DOWNLOAD_TIMEOUT,
            warn_bytes=MAX_BYTES // 2,
        )
        job, result = tmp_path / "job.pickle", tmp_path / "result.pickle"
        job.write_bytes(pickle.dumps((SOURCE, settings, db.url)))
        # a fresh interpreter, so its RUSAGE_CHILDREN is the crawl process alone (pytest's
        # own children, e.g. a browser in other tests, would hide it)
        started = time.monotonic()
        run = subprocess.run(
            [sys.executable, __file__, str(job), str(result)],
            capture_output=True,
            check=False,  # the log is shown on failure below
            cwd=ROOT,  # settings.rules_dir is relative
            timeout=120,
        )
    run_seconds = time.monotonic() - started
    log = run.stderr.decode("utf-8", "replace")
    assert run.returncode == 0, log[-3000:]
    summary, crawl_peak_kb, extraction_growth_kb = pickle.loads(result.read_bytes())

    assert dict(summary.failures) == {"too_large": 6, "timeout": 1, "truncated": 1, "not_html": 1}
    assert (summary.new, summary.outcome) == (len(NOT_HTML) + len(ARTICLES), "partial")
    for url, reason in REFUSED.items():
        assert f"{url} failed: {reason}" in log
    assert "during decompression" in log  # Scrapy's own line names the bomb
    assert f"which is larger than download warn size ({MAX_BYTES // 2})" in log  # A2's warning
    for encoding in ("gzip", "br", "zstd"):  # fetched once by the crawl, not retried
        assert faults.stats.requests[f"{encoding}-bomb"] - asked_before[f"{encoding}-bomb"] == 1
    # the drip was cut at the timeout: a few bytes, not the 600 it would send in 10 minutes
    assert faults.stats.requests["drip?bps=1"] == 1
    assert faults.stats.bytes_sent["drip?bps=1"] <= DOWNLOAD_TIMEOUT + 2
    assert run_seconds < 60
    for key in ("huge?cl=1", "huge?cl=0", "huge?chunked=0&cl=0"):
        assert faults.stats.requests[key] == 1
        assert faults.stats.bytes_sent[key] < HUGE_DEFAULT_MB * MB // 2, "hung up early"

    with db.session() as session:
        raw = {r.url: r for r in session.scalars(select(models.RawPage))}
        articles = set(session.scalars(select(models.Article.url)))
        run_row = session.get_one(models.CrawlRun, summary.run_id)
        assert run_row.failed == 9
        assert sorted(run_row.error.split(", ")) == [
            "not_html: 1",
            "timeout: 1",
            "too_large: 6",
            "truncated: 1",
        ]
    assert not raw.keys() & REFUSED.keys()
    for url in NOT_HTML:
        assert (raw[url].state, raw[url].error_reason) == ("failed", "not_html")
        assert f"extraction failed for {url}" in log
    assert articles == ARTICLES

    assert crawl_peak_kb < CRAWL_RSS_BUDGET_MB * 1024, f"crawl peaked at {crawl_peak_kb} KB"
    assert extraction_growth_kb < EXTRACTION_GROWTH_BUDGET_MB * 1024, f"{extraction_growth_kb} KB"


def _inflate(encoding: str, data: bytes) -> bytes:
    if encoding == "br":
        import brotli

        return bytes(brotli.decompress(data))
    from backports import zstd

    return bytes(zstd.decompress(data))


def _measured_crawl(job: Path, result: Path) -> None:
    """Crawl, then extract what was stored; record the crawl process's peak RSS and how much
    extracting grew this process (where non-HTML bodies are refused)."""
    source, settings, db_url = pickle.loads(job.read_bytes())
    setup_logging("INFO")
    db = Database(db_url)
    pipeline = make_pipeline(settings, db)  # imports and rule loading before the baseline
    summary = run_crawl(source, settings, db)
    crawl_peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the only child yet
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    pipeline.process_pending()
    growth_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before_kb
    db.dispose()
    result.write_bytes(pickle.dumps((summary, crawl_peak_kb, growth_kb)))
    logging.shutdown()


if __name__ == "__main__":
    _measured_crawl(Path(sys.argv[1]), Path(sys.argv[2]))

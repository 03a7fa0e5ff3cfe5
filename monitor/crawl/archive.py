"""Back-fill from a web archive: its CDX index lists a host's captures, the `id_` form of
a capture URL returns the page as it was served, without the archive's toolbar or rewritten
links. The API is the Internet Archive's (`/cdx/search/cdx`, `/web/<timestamp>id_/<url>`),
also spoken by pywb and other Wayback-compatible archives. No HTTP here.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

from monitor.crawl.discovery import Link

CDX_PAGE = 1000  # captures per index request; the rest follows with the resume key
CAPTURE = re.compile(r"/web/(\d{14})id_/")


def cdx_query(archive_url: str, host: str, since: date | None, resume: str | None = None) -> str:
    """One page of the index of a host's HTML pages captured with HTTP 200, one per URL."""
    params = [
        ("url", host),
        ("matchType", "host"),
        ("output", "json"),
        ("fl", "timestamp,original,statuscode,mimetype"),
        ("filter", "statuscode:200"),
        ("filter", "mimetype:text/html"),
        ("collapse", "urlkey"),
        ("limit", str(CDX_PAGE)),
        ("showResumeKey", "true"),
    ]
    if since:  # a page captured before `since` was published before it too
        params.append(("from", f"{since:%Y%m%d}"))
    if resume:
        params.append(("resumeKey", resume))
    return f"{archive_url.rstrip('/')}/cdx/search/cdx?{urlencode(params)}"


def cdx_next(query: str, resume: str) -> str:
    """The index page after `query`, from the resume key `query` answered with."""
    parts = urlsplit(query)
    params = [(k, v) for k, v in parse_qsl(parts.query) if k != "resumeKey"]
    return parts._replace(query=urlencode([*params, ("resumeKey", resume)])).geturl()


def capture_url(archive_url: str, timestamp: str, original: str) -> str:
    return f"{archive_url.rstrip('/')}/web/{timestamp}id_/{original}"


def capture_time(url: str) -> datetime | None:
    """When the capture an `id_` URL names was taken (archive timestamps are UTC)."""
    match = CAPTURE.search(urlsplit(url).path)
    return datetime.strptime(match[1], "%Y%m%d%H%M%S").replace(tzinfo=UTC) if match else None


def cdx_links(text: str, archive_url: str) -> tuple[list[Link], str | None] | None:
    """(one Link per capture, its `capture` the raw capture URL; the resume key) from a
    JSON CDX answer; None when the answer is not one."""
    try:
        rows = json.loads(text or "[]")
    except ValueError:
        return None
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        return None
    resume = None
    if len(rows) >= 2 and rows[-2] == [] and len(rows[-1]) == 1:
        resume, rows = str(rows[-1][0]), rows[:-2]
    if not rows:
        return [], resume
    header, *captures = rows
    try:
        at, of = header.index("timestamp"), header.index("original")
    except ValueError:
        return None
    links = []
    for row in captures:
        if len(row) == len(header):
            timestamp, original = str(row[at]), str(row[of])
            # no `listed`: a capture time bounds the publication date, it is not one
            links.append(Link(original, capture=capture_url(archive_url, timestamp, original)))
    return links, resume

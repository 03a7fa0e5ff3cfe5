"""A loopback web archive that speaks the Wayback Machine's API, for the CDX back-fill.

`GET /cdx/search/cdx?url=<host>&matchType=host|prefix&output=json&fl=…&filter=…&collapse=
urlkey&from=…&limit=…&showResumeKey=true&resumeKey=…` lists captures as the Internet
Archive's CDX server does (JSON rows under a header row; `[]` then `[resume key]` when a
limit cut the list); `GET /web/<timestamp>id_/<url>` returns a capture's raw body, or
redirects to the nearest capture of that URL, as the Wayback Machine does. Written by hand:
pywb would be a dependency the size of an archive for two endpoints.

    with ArchiveServer(captures_of(Path("tests/fixtures/sites_alt/baladi-news.com"))) as archive:
        archive.base_url   # -> crawl.archive_url
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from monitor.testing.loopback import LoopbackServer
from monitor.testing.sites import page_urls

FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")
CAPTURE_PATH = re.compile(r"^/web/(\d{1,14})id_/(.+)$")


@dataclass(frozen=True)
class Capture:
    url: str  # the original URL, as captured
    timestamp: str  # YYYYMMDDhhmmss, UTC
    body: bytes
    status: int = 200
    mimetype: str = "text/html"

    @property
    def urlkey(self) -> str:
        """The archive's sort key (SURT-like): host without www., path, query."""
        parts = urlsplit(self.url)
        host = (parts.hostname or "").removeprefix("www.")
        query = f"?{parts.query}" if parts.query else ""
        return f"{','.join(reversed(host.split('.')))}){parts.path.lower()}{query}"

    def row(self) -> dict[str, str]:
        return {
            "urlkey": self.urlkey,
            "timestamp": self.timestamp,
            "original": self.url,
            "mimetype": self.mimetype,
            "statuscode": str(self.status),
            "digest": f"sha1-{abs(hash(self.body)) % 10**12}",
            "length": str(len(self.body)),
        }


def captures_of(host_dir: Path, timestamp: str = "20231001120000") -> list[Capture]:
    """One capture of every page a fixture host directory serves."""
    return [
        Capture(url, timestamp, file.read_bytes(), mimetype=_mimetype(file))
        for url, file in page_urls(host_dir).items()
    ]


def _mimetype(file: Path) -> str:
    return {".xml": "text/xml", ".txt": "text/plain", ".json": "application/json"}.get(
        file.suffix, "text/html"
    )


class ArchiveServer(LoopbackServer):
    """The CDX index and raw captures of `captures`, on 127.0.0.1 (random port)."""

    def __init__(self, captures: Iterable[Capture], page_size: int = 1000) -> None:
        self.captures = sorted(captures, key=lambda c: (c.urlkey, c.timestamp))
        self.page_size = page_size
        self.requests: Counter[str] = Counter()  # path -> count
        self.queries: list[dict[str, list[str]]] = []  # CDX query parameters, in order
        super().__init__(type("Handler", (_Handler,), {"archive": self}))

    @property
    def base_url(self) -> str:
        return self.origin

    def index(self, params: dict[str, list[str]]) -> list[list[str]]:
        """The CDX answer (output=json) for one query."""
        self.queries.append(params)
        fields = (params.get("fl") or [",".join(FIELDS)])[0].split(",")
        rows = [c.row() for c in self.captures if _selected(c, params)]
        if "urlkey" in params.get("collapse", []):  # the first capture of each URL
            first: dict[str, dict[str, str]] = {}
            for row in rows:
                first.setdefault(row["urlkey"], row)
            rows = list(first.values())
        start = int((params.get("resumeKey") or ["0"])[0])
        limit = min(int((params.get("limit") or [str(self.page_size)])[0]), self.page_size)
        page = rows[start : start + limit]
        out = [fields] + [[r[f] for f in fields] for r in page]
        if params.get("showResumeKey") == ["true"] and start + limit < len(rows):
            out += [[], [str(start + limit)]]
        return out

    def capture(self, timestamp: str, url: str) -> Capture | None:
        """The capture of `url` nearest to `timestamp`."""
        same = [c for c in self.captures if unquote(c.url) == unquote(url)]
        target = int(timestamp.ljust(14, "0"))
        return min(same, key=lambda c: abs(int(c.timestamp) - target), default=None)


def _selected(capture: Capture, params: dict[str, list[str]]) -> bool:
    """The `url`/`matchType`, `from`/`to` and `filter=[!]field:regex` of a CDX query."""
    wanted = (params.get("url") or [""])[0].split("//", 1)[-1]
    match = (params.get("matchType") or ["exact"])[0]
    host = (urlsplit(capture.url).hostname or "").removeprefix("www.")
    if match == "host" and host != wanted.removeprefix("www.").split("/")[0]:
        return False
    if match == "prefix" and not capture.url.split("//", 1)[-1].startswith(wanted.rstrip("*")):
        return False
    stamp = capture.timestamp
    if (low := params.get("from")) and stamp < low[0].ljust(14, "0"):
        return False
    if (high := params.get("to")) and stamp > high[0].ljust(14, "9"):
        return False
    row = capture.row()
    for rule in params.get("filter", []):
        negate, rule = rule.startswith("!"), rule.removeprefix("!")
        field, _, pattern = rule.partition(":")
        if bool(re.fullmatch(pattern, row.get(field, ""))) == negate:
            return False
    return True


class _Handler(BaseHTTPRequestHandler):
    archive: ArchiveServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        self.archive.requests[parts.path] += 1
        if parts.path == "/cdx/search/cdx":
            body = json.dumps(self.archive.index(parse_qs(parts.query))).encode()
            self._send(200, body, "application/json")
            return
        found = CAPTURE_PATH.match(self.path)
        capture = self.archive.capture(found[1], found[2]) if found else None
        if not found or capture is None:
            self._send(404, b"not in the archive", "text/plain")
        elif capture.timestamp != found[1]:
            where = f"/web/{capture.timestamp}id_/{capture.url}"
            self._send(302, b"", "text/plain", {"Location": where})
        else:
            when = datetime.strptime(capture.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
            self._send(
                capture.status,
                capture.body,
                f"{capture.mimetype}; charset=utf-8",
                {"Memento-Datetime": format_datetime(when, usegmt=True)},
            )

    def _send(
        self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

"""Loopback copies of the monitored sites, served from fixture directories.

Used by the tests, the benchmarks and `make demo`. One directory per public host
(`<root>/<host>/...`), one HTTP server per host on 127.0.0.1, so each source's robots.txt
and URL paths stay what they are on the real site. Written by hand (not pytest-httpserver)
because the demo needs it outside pytest and because the sites need conditional GET,
per-route faults and the State Department's user-agent decoy.

A host directory may hold `_site.yaml`:

    decoy: {file: _decoy.html, unless_user_agent: Mozilla}   # 200 decoy for bots
    routes:
      /old-url: {redirect: /new-url, status: 301}
      /gone: {status: 404}
      /slow: {delay: 60}
      /broken: {status: 500}
      /flaky: {fail_times: 2, fail_status: 503}               # 503 twice, then the file
      /busy: {fail_times: 1, fail_status: 429, fail_headers: {Retry-After: "2"}}
      /?p=123: {file: press/some-post.html}                   # a query-string alias
    rewrite_links: true   # absolute links to any host of the copy point at its loopback
                          # address, as mirrors and staging copies write them
    path_prefixes: [/public/index.php, /public]   # also served under these (Laravel's)

Paths map to files: `/a/b/` -> `a/b/index.html` or `a/b/index.xml`; `/a/b` -> `a/b`,
`a/b.html` or `a/b/index.html`.
"""

from __future__ import annotations

import email.utils
import hashlib
import mimetypes
import re
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import quote, unquote, urlsplit

import yaml

INDEX_NAMES = ("index.html", "index.xml")


@dataclass
class SiteStats:
    requests: int = 0
    bytes_sent: int = 0
    not_modified: int = 0
    paths: Counter[str] = field(default_factory=Counter)
    times: dict[str, list[float]] = field(default_factory=dict)  # path -> arrival (monotonic)

    def reset(self) -> None:
        self.requests = self.bytes_sent = self.not_modified = 0
        self.paths.clear()
        self.times.clear()


class SiteServer:
    """Serve one host directory on 127.0.0.1 (a random port unless given)."""

    def __init__(self, root: Path, port: int = 0) -> None:
        self.root = Path(root)
        self.stats = SiteStats()
        self._lock = threading.Lock()
        self._hits: Counter[str] = Counter()  # per path, for `fail_times`; never reset
        self.peers: dict[str, str] = {}  # public host -> loopback base URL, for rewrite_links
        handler = type("Handler", (_Handler,), {"site": self})
        self._server = _QuietServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> SiteServer:
        self.peers.setdefault(self.root.name, self.base_url)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def config(self) -> dict[str, Any]:
        file = self.root / "_site.yaml"
        return (yaml.safe_load(file.read_text(encoding="utf-8")) or {}) if file.exists() else {}

    def hits(self, path: str) -> int:
        """Requests for `path` so far, this one included (counted before answering)."""
        with self._lock:
            self._hits[path] += 1
            return self._hits[path]

    def record(self, path: str, sent: int, not_modified: bool) -> None:
        with self._lock:
            self.stats.requests += 1
            self.stats.bytes_sent += sent
            self.stats.not_modified += int(not_modified)
            self.stats.paths[path] += 1
            self.stats.times.setdefault(path, []).append(time.monotonic())

    def resolve(self, path: str) -> Path | None:
        rel = unquote(path).lstrip("/")
        base = (self.root / rel).resolve()
        if not str(base).startswith(str(self.root.resolve())):
            return None
        candidates = [base] if not path.endswith("/") else []
        candidates += [base.with_name(base.name + ".html")] if rel else []
        candidates += [base / name for name in INDEX_NAMES]
        return next((c for c in candidates if c.is_file() and not c.name.startswith("_")), None)


def _unprefixed(path: str, prefixes: list[str]) -> str:
    for prefix in prefixes:
        if path.startswith(prefix + "/"):
            return path[len(prefix) :]
    return path


def page_urls(host_dir: Path) -> dict[str, Path]:
    """Public URL -> file of every page a host directory serves (the inverse of
    `SiteServer.resolve`: `a/b/index.html` is `/a/b/`, `a/b.html` is `/a/b`)."""
    urls = {}
    for file in sorted(host_dir.rglob("*")):
        rel = file.relative_to(host_dir)
        if not file.is_file() or any(part.startswith("_") for part in rel.parts):
            continue
        if file.name in INDEX_NAMES:
            path = "/" + "".join(f"{part}/" for part in rel.parts[:-1])
        else:
            path = "/" + str(rel.with_suffix("") if file.suffix == ".html" else rel)
        urls[f"https://{host_dir.name}{quote(path)}"] = file
    return urls


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # a crawler that times out hangs up mid-answer: expected here, not worth a traceback
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    site: SiteServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        path = url.path
        config = self.site.config()
        routes = config.get("routes") or {}
        # a route may name a query too (WordPress "/?p=123"); the path alone otherwise
        route = (url.query and routes.get(f"{path}?{url.query}")) or routes.get(path) or {}
        if delay := route.get("delay"):
            time.sleep(float(delay))
        if self.site.hits(path) <= int(route.get("fail_times", 0)):
            status, headers = int(route.get("fail_status", 503)), route.get("fail_headers") or {}
            self._send(status, b"<html><body>busy</body></html>", headers, path)
            return
        if target := route.get("redirect"):
            self._send(int(route.get("status", 301)), b"", {"Location": target}, path)
            return
        if "status" in route and "file" not in route:
            self._send(int(route["status"]), b"<html><body>error</body></html>", {}, path)
            return
        decoy = config.get("decoy")
        if decoy and decoy.get("unless_user_agent", "") not in self.headers.get("User-Agent", ""):
            body = (self.site.root / decoy["file"]).read_bytes()
            self._send(200, body, {"Content-Type": "text/html; charset=utf-8"}, path)
            return
        file = (
            self.site.root / route["file"]
            if "file" in route
            else self.site.resolve(_unprefixed(path, config.get("path_prefixes") or []))
        )
        if file is None or not file.is_file():
            self._send(404, b"<html><body>Not found</body></html>", {}, path)
            return
        self._send_file(file, route, path)

    def _send_file(self, file: Path, route: dict[str, Any], path: str) -> None:
        body = file.read_bytes()
        ctype = route.get("content_type") or _content_type(file)
        if self.site.config().get("rewrite_links") and ctype.startswith(TEXT_TYPES):
            body = rewrite_links(body, self.site.peers)
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        modified = email.utils.formatdate(file.stat().st_mtime, usegmt=True)
        if self.headers.get("If-None-Match") == etag or (
            not self.headers.get("If-None-Match")
            and self.headers.get("If-Modified-Since") == modified
        ):
            self._send(304, b"", {"ETag": etag, "Last-Modified": modified}, path)
            return
        headers = {"Content-Type": ctype, "ETag": etag, "Last-Modified": modified}
        headers.update(route.get("headers") or {})
        self._send(int(route.get("status", 200)), body, headers, path)

    def _send(self, status: int, body: bytes, headers: dict[str, str], path: str) -> None:
        self.send_response(status)
        headers = {"Content-Type": "text/html; charset=utf-8", **headers}
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)
        self.site.record(path, len(body), status == 304)


TEXT_TYPES = ("text/", "application/xml", "application/json", "application/rss+xml")


def rewrite_links(body: bytes, peers: dict[str, str]) -> bytes:
    """Every absolute or protocol-relative link to a host of the copy, pointed at that
    host's loopback base URL (also in JSON, which may escape the slashes)."""
    for host, base in peers.items():
        pattern = rb"(?:https?:)?(//|\\/\\/)" + re.escape(host.encode()) + rb"(?![\w.-])"
        plain, escaped = base.encode(), base.encode().replace(b"/", b"\\/")

        def point(m: re.Match[bytes], plain: bytes = plain, escaped: bytes = escaped) -> bytes:
            return plain if m[1] == b"//" else escaped

        body = re.sub(pattern, point, body)
    return body


def _content_type(file: Path) -> str:
    if file.suffix == ".xml":
        return "application/xml; charset=utf-8"
    if file.suffix in (".html", "") or file.name == "index.html":
        return "text/html; charset=utf-8"
    return mimetypes.guess_type(file.name)[0] or "application/octet-stream"


class Sites:
    """All host directories under one root, each on its own loopback port."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.servers = {d.name: SiteServer(d) for d in sorted(self.root.iterdir()) if d.is_dir()}

    def __enter__(self) -> Self:
        peers = {host: server.base_url for host, server in self.servers.items()}
        for server in self.servers.values():
            server.peers.update(peers)
            server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self.servers.values():
            server.stop()

    def base_urls(self) -> dict[str, str]:
        """public host -> loopback base URL, the shape of `sources.<key>.base_urls`."""
        return {host: server.base_url for host, server in self.servers.items()}

    def total_requests(self) -> int:
        return sum(s.stats.requests for s in self.servers.values())

"""Hostile HTTP answers the loopback site server cannot give (shared/reliability.md A1-A6).

`http.server` always frames a body with a correct Content-Length; these faults need a wrong
one, none at all, or a compression the headers do not declare, so each answer is written
as raw bytes on the socket. One thread per connection, and every answer ends it
(`Connection: close`). The route is the last segment of the path, so a fault can sit under
whatever URL a source's article patterns accept (`/releases/x/gzip-bomb/` is `gzip-bomb`):

    gzip-bomb         Content-Encoding: gzip, ~250 KB that inflate to 256 MB of zeros
    br-bomb           the same as Content-Encoding: br (a few hundred bytes)
    zstd-bomb         the same as Content-Encoding: zstd (~8 KB)
    gzip-no-header    the gzip bomb's bytes as text/html, without Content-Encoding
    huge?mb=N&cl=1    N MB (default 64) of HTML, streamed, with a Content-Length;
                      cl=0: chunked; cl=0&chunked=0: delimited by closing the connection
    drip?bps=N        headers at once, then a 600-byte page at N bytes a second (default 1)
    truncated         Content-Length: 1000, then 500 bytes and the connection closes
    binary            a 200 application/pdf
    redirect?to=URL   302 (or &status=) to URL; &cookie=1 also sets a session cookie
    ok                a small well-formed HTML page: the control that the host still answers
    anything else     404

    with FaultServer() as faults:
        faults.base_url                       # http://127.0.0.1:PORT
        faults.stats.bytes_sent["huge?cl=0"]  # body bytes written before the client hung up
        faults.stats.headers["ok"]            # request headers of each request, lower-cased
"""

from __future__ import annotations

import functools
import socketserver
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Self
from urllib.parse import parse_qsl, urlsplit

BOMB_INFLATED_MB = 256
HUGE_DEFAULT_MB = 64
_MB = 1024 * 1024
_HTML = "text/html; charset=utf-8"
_HUGE_CHUNK = b"<p>padding</p>\n" * 4096  # 60 KB
OK_PAGE = (
    b'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Control page</title>'
    b"</head>\n<body><article><h1>Control page</h1>\n<p>This page was served by the fault"
    b" server after the hostile answers on the same host, so the crawler still had a working"
    b" connection to it and went on reading the feed.</p></article></body></html>\n"
)
ENCODINGS = ("gzip", "br", "zstd")  # the Content-Encodings Scrapy inflates
DRIP_BYTES = 600
SESSION_COOKIE = "TESTSECRET-session"
PDF_BODY = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"


@functools.cache
def bomb(encoding: str = "gzip", inflated_mb: int = BOMB_INFLATED_MB) -> bytes:
    """`inflated_mb` MB of zeros compressed as gzip, br or zstd, once per process and
    without ever holding the inflated bytes."""
    zeros = bytes(_MB)
    if encoding == "gzip":
        packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # gzip container
        return b"".join(packer.compress(zeros) for _ in range(inflated_mb)) + packer.flush()
    if encoding == "br":
        import brotli

        squeezer = brotli.Compressor(quality=5)
        return b"".join(squeezer.process(zeros) for _ in range(inflated_mb)) + squeezer.finish()
    from backports import zstd  # Scrapy's own zstd module before Python 3.14

    compressor = zstd.ZstdCompressor(level=3)
    return b"".join(compressor.compress(zeros) for _ in range(inflated_mb)) + compressor.flush()


@dataclass
class FaultStats:
    # keyed by route and query, e.g. "huge?cl=0"
    requests: Counter[str] = field(default_factory=Counter)
    bytes_sent: Counter[str] = field(default_factory=Counter)  # body bytes, framing excluded
    headers: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # keyed by route


class FaultServer:
    """The fault routes on 127.0.0.1 (a random port unless given), as a context manager."""

    def __init__(self, port: int = 0) -> None:
        self.stats = FaultStats()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.faults = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Self:
        for encoding in ENCODINGS:  # built before the first request, not while a crawler waits
            bomb(encoding)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def count_request(self, key: str, route: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.stats.requests[key] += 1
            self.stats.headers.setdefault(route, []).append(headers)

    def count_sent(self, route: str, size: int) -> None:
        with self._lock:
            self.stats.bytes_sent[route] += size


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    faults: FaultServer


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        request_line = self.rfile.readline(65536).decode("latin-1").split()
        headers = {}
        while (line := self.rfile.readline(65536)) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if len(request_line) < 2:
            return
        url = urlsplit(request_line[1])
        route = next((s for s in reversed(url.path.split("/")) if s), "")
        answer = _ROUTES.get(route, _not_found)
        key = f"{route}?{url.query}" if url.query else route
        self.server.faults.count_request(key, route, headers)
        try:
            answer(_Reply(self, key), dict(parse_qsl(url.query)))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client hung up mid-body: what a size limit is meant to do


@dataclass
class _Reply:
    handler: _Handler
    key: str  # for the stats

    def head(self, status: str, headers: dict[str, str]) -> None:
        lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items())]
        self.handler.wfile.write(("\r\n".join([*lines, "Connection: close", "", ""])).encode())

    def body(self, chunks: Iterable[bytes], chunked: bool = False) -> None:
        for chunk in chunks:
            framed = b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk
            self.handler.wfile.write(framed)
            self.handler.server.faults.count_sent(self.key, len(chunk))
        if chunked:
            self.handler.wfile.write(b"0\r\n\r\n")


def _huge(reply: _Reply, query: dict[str, str]) -> None:
    size = int(query.get("mb", HUGE_DEFAULT_MB)) * _MB
    headers = {"Content-Type": _HTML}
    chunked = query.get("cl") == "0" and query.get("chunked") != "0"
    if query.get("cl", "1") != "0":
        headers["Content-Length"] = str(size)
    elif chunked:
        headers["Transfer-Encoding"] = "chunked"
    reply.head("200 OK", headers)
    reply.body(_stream(size), chunked=chunked)


def _stream(size: int) -> Iterator[bytes]:
    for start in range(0, size, len(_HUGE_CHUNK)):
        yield _HUGE_CHUNK[: size - start]


def _drip(reply: _Reply, query: dict[str, str]) -> None:
    pause = 1.0 / float(query.get("bps", 1))
    body = (OK_PAGE * 2)[:DRIP_BYTES]
    reply.head("200 OK", {"Content-Type": _HTML, "Content-Length": str(len(body))})
    reply.body(_paced(body, pause))


def _paced(body: bytes, pause: float) -> Iterator[bytes]:
    for i in range(len(body)):
        yield body[i : i + 1]
        time.sleep(pause)


def _redirect(reply: _Reply, query: dict[str, str]) -> None:
    headers = {"Location": query.get("to", "/"), "Content-Length": "0"}
    if query.get("cookie"):
        headers["Set-Cookie"] = f"session={SESSION_COOKIE}; Path=/"
    reply.head(f"{query.get('status', '302')} Found", headers)


def _truncated(reply: _Reply, query: dict[str, str]) -> None:
    reply.head("200 OK", {"Content-Type": _HTML, "Content-Length": "1000"})
    reply.body([(b"<html><body><p>" + b"cut " * 250)[:500]])


def _whole(
    content_type: str,
    body: Callable[[], bytes],
    status: str = "200 OK",
    encoding: str | None = None,
) -> Callable[[_Reply, dict[str, str]], None]:
    """An answer framed correctly (Content-Length); `body` is called per request."""

    def answer(reply: _Reply, query: dict[str, str]) -> None:
        data = body()
        headers = {"Content-Type": content_type, "Content-Length": str(len(data))}
        reply.head(status, headers | ({"Content-Encoding": encoding} if encoding else {}))
        reply.body([data])

    return answer


_not_found = _whole(_HTML, lambda: b"<html><body>no such fault</body></html>", "404 Not Found")
_ROUTES: dict[str, Callable[[_Reply, dict[str, str]], None]] = {
    **{
        f"{encoding}-bomb": _whole(_HTML, functools.partial(bomb, encoding), encoding=encoding)
        for encoding in ENCODINGS
    },
    "drip": _drip,
    "redirect": _redirect,
    "gzip-no-header": _whole(_HTML, bomb),
    "huge": _huge,
    "truncated": _truncated,
    "binary": _whole("application/pdf", lambda: PDF_BODY),
    "ok": _whole(_HTML, lambda: OK_PAGE),
}

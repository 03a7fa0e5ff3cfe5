"""A loopback HTTP endpoint that records what apprise posts (json://, form://, a fake Telegram).

Used by the alert tests and the demo. Replies are scriptable so delivery faults can be
played back: `fail_next(2, 500)` answers the next two requests with 500, `fail_next(1,
"down")` drops the connection without a reply, `fail_next(1, 429, body=...)` plays a
Telegram flood limit; after the script runs out every request gets 200 `{"ok": true}`.

    with Endpoint() as endpoint:
        url = endpoint.apprise_url("json")     # json://127.0.0.1:PORT/hook
        ...
        endpoint.received[0].json["message"]

`received` holds the requests answered with 2xx (deliveries), `requests` every request.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl

DOWN = "down"
OK_BODY = b'{"ok": true, "result": {}}'


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.text, keep_blank_values=True))


@dataclass(frozen=True)
class _Reply:
    status: int | str
    body: bytes
    headers: tuple[tuple[str, str], ...]


class Endpoint:
    """One HTTP server on 127.0.0.1 (random port unless given), started as a context manager."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self.received: list[Received] = []
        self.requests: list[Received] = []
        self.delay = 0.0  # seconds to hold each reply (to kill a sender mid-request)
        self._script: deque[_Reply] = deque()
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def apprise_url(self, scheme: str = "json", path: str = "/hook") -> str:
        return f"{scheme}://{self.host}:{self.port}{path}"

    def fail_next(
        self,
        n: int,
        status: int | str = 500,
        body: bytes | str = b"",
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next `n` requests with `status` (or "down": close without reply)."""
        data = body.encode() if isinstance(body, str) else body
        with self._lock:
            self._script.extend([_Reply(status, data, tuple((headers or {}).items()))] * n)

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """Block until `count` deliveries were received; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._arrived.wait(left)
        return True

    def start(self) -> Self:
        handler = type("Handler", (_Handler,), {"endpoint": self})
        self._server = ThreadingHTTPServer((self.host, self.port), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _reply_for(self, request: Received) -> _Reply:
        with self._arrived:
            self.requests.append(request)
            reply = self._script.popleft() if self._script else _Reply(200, OK_BODY, ())
            if isinstance(reply.status, int) and 200 <= reply.status < 300:
                self.received.append(request)
                self._arrived.notify_all()
        return reply


class _Handler(BaseHTTPRequestHandler):
    endpoint: Endpoint

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = Received(
            self.command, self.path, dict(self.headers.items()), self.rfile.read(length)
        )
        reply = self.endpoint._reply_for(request)
        if self.endpoint.delay:
            time.sleep(self.endpoint.delay)
        if reply.status == DOWN:
            self.close_connection = True
            self.connection.close()
            return
        assert isinstance(reply.status, int)
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        for key, value in reply.headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_POST = do_GET = do_PUT = _handle

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests read `requests` instead

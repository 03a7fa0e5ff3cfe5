"""A loopback WebSub hub for tests and benchmarks (W3C WebSub, sections 5-7).

It takes subscription requests (`hub.mode=subscribe`), answers 202, verifies the
subscriber's intent with a GET on its callback carrying a random challenge (the
subscription counts only if the challenge comes back), and `publish(topic, body)` sends
the content to each verified subscriber of the topic, signed `X-Hub-Signature:
sha256=<HMAC>` with the subscriber's secret. `publish(..., secret=...)` forges a push.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

from monitor.testing.loopback import LoopbackServer


@dataclass(frozen=True)
class HubSubscription:
    topic: str
    callback: str
    secret: str
    lease_seconds: int


class Hub(LoopbackServer):
    """`with Hub() as hub:` serves on 127.0.0.1; `hub.url` goes in a feed's rel=hub link."""

    def __init__(self) -> None:
        self.subscriptions: dict[tuple[str, str], HubSubscription] = {}
        self.requests: list[dict[str, str]] = []  # subscription requests as received
        self.verified = threading.Condition()
        super().__init__(type("Handler", (_Handler,), {"hub": self}))

    @property
    def url(self) -> str:
        return f"{self.origin}/"

    def wait_subscribed(self, timeout: float = 30.0) -> HubSubscription:
        """The first verified subscription (waits for it)."""
        with self.verified:
            if not self.verified.wait_for(lambda: bool(self.subscriptions), timeout):
                raise AssertionError(f"no verified subscription within {timeout}s")
            return next(iter(self.subscriptions.values()))

    def publish(self, topic: str, body: bytes, secret: str | None = None) -> list[int]:
        """Distribute `body` to the topic's subscribers; their HTTP statuses."""
        statuses = []
        for sub in [s for s in self.subscriptions.values() if s.topic == topic]:
            key = (secret if secret is not None else sub.secret).encode()
            signature = hmac.new(key, body, hashlib.sha256).hexdigest()
            answer = requests.post(
                sub.callback,
                data=body,
                headers={
                    "Content-Type": "application/rss+xml",
                    "X-Hub-Signature": f"sha256={signature}",
                    "Link": f'<{self.url}>; rel="hub", <{topic}>; rel="self"',
                },
                timeout=10,
            )
            statuses.append(answer.status_code)
        return statuses

    def _subscribe(self, form: dict[str, str]) -> None:
        """Verification of intent, after the 202 (section 5.3)."""
        challenge = secrets.token_urlsafe(16)
        callback = form["hub.callback"]
        query = {
            "hub.mode": "subscribe",
            "hub.topic": form["hub.topic"],
            "hub.challenge": challenge,
            "hub.lease_seconds": form.get("hub.lease_seconds", "86400"),
        }
        sep = "&" if urlsplit(callback).query else "?"
        try:
            answer = requests.get(callback + sep + urlencode(query), timeout=10)
        except requests.RequestException:
            return
        if answer.status_code // 100 != 2 or answer.text != challenge:
            return
        sub = HubSubscription(
            form["hub.topic"], callback, form.get("hub.secret", ""), int(query["hub.lease_seconds"])
        )
        with self.verified:
            self.subscriptions[(sub.topic, callback)] = sub
            self.verified.notify_all()


class _Handler(BaseHTTPRequestHandler):
    hub: Hub

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = dict(parse_qsl(self.rfile.read(length).decode()))
        self.hub.requests.append(form)
        if form.get("hub.mode") != "subscribe" or not form.get("hub.callback"):
            self.send_response(400)
            self.end_headers()
            return
        self.send_response(202)
        self.end_headers()
        threading.Thread(target=self.hub._subscribe, args=(form,), daemon=True).start()

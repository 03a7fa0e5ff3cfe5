"""WebSub subscriber (W3C Recommendation 2018): a feed that names a hub pushes its updates.

A poll that reads a feed with `<link rel="hub">` hands `{topic: hub}` to `ensure`, which
POSTs `hub.mode=subscribe` with our callback, a secret and a lease. The hub checks intent
with a GET on the callback carrying `hub.challenge`, echoed only for a topic we asked for.
Each content distribution is a POST to the callback signed `X-Hub-Signature:
sha256=<HMAC of the body>`; a valid one asks for an immediate poll of the source
(`on_push`: the poll, not the pushed body, is what enters the store, so a push is only a
wake-up call), an invalid one is ignored (acknowledged, as the spec allows, so a forger
learns nothing). Subscriptions live in memory: a restarted daemon subscribes again after
its first poll of the feed, and a lease is renewed by the first poll after RENEW_AT of it
has passed. The callback's token and the secrets are random per subscription and never
logged; the lines name the hub's host only.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import requests
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from monitor.store.models import utcnow

log = logging.getLogger(__name__)

CALLBACK_PATH = "/websub"
RENEW_AT = 0.8  # share of the lease after which a poll renews the subscription
PENDING_FOR = timedelta(minutes=10)  # an unverified request is asked again after this
HUB_TIMEOUT = 10.0
MAX_PUSH_BYTES = 8 * 1024 * 1024


@dataclass
class Subscription:
    source: str
    topic: str
    hub: str
    token: str  # in the callback URL: which subscription a request is for
    secret: str
    asked_at: datetime
    expires_at: datetime | None = None  # set when the hub verified our intent

    def due(self, now: datetime) -> bool:
        """Ask the hub (again): never verified in time, or most of the lease gone."""
        if self.expires_at is None:
            return now - self.asked_at >= PENDING_FOR
        return now >= self.asked_at + (self.expires_at - self.asked_at) * RENEW_AT


class Subscriber:
    """Subscriptions of one daemon; `routes()` serves their callback."""

    def __init__(self, base_url: str, lease: timedelta, on_push: Callable[[str], None]) -> None:
        self.callback = base_url.rstrip("/") + CALLBACK_PATH
        self.lease = lease
        self.on_push = on_push
        self._by_token: dict[str, Subscription] = {}
        self._by_topic: dict[tuple[str, str], Subscription] = {}
        self._lock = threading.Lock()

    def ensure(self, source: str, hubs: dict[str, str]) -> None:
        """Subscribe to each topic not yet (or no longer) subscribed at its hub."""
        now = utcnow()
        for topic, hub in hubs.items():
            with self._lock:
                old = self._by_topic.get((source, topic))
                if old is not None and old.hub == hub and not old.due(now):
                    continue
                sub = Subscription(
                    source, topic, hub, secrets.token_urlsafe(24), secrets.token_hex(32), now
                )
                if old is not None:
                    self._by_token.pop(old.token, None)
                self._by_token[sub.token] = self._by_topic[(source, topic)] = sub
            self._ask(sub)

    def _ask(self, sub: Subscription) -> None:
        form = {
            "hub.mode": "subscribe",
            "hub.topic": sub.topic,
            "hub.callback": f"{self.callback}?s={sub.token}",
            "hub.secret": sub.secret,
            "hub.lease_seconds": str(int(self.lease.total_seconds())),
        }
        host = urlsplit(sub.hub).hostname
        try:
            answer = requests.post(sub.hub, data=form, timeout=HUB_TIMEOUT)
        except requests.RequestException as exc:
            log.warning("websub %s: hub %s unreachable (%s)", sub.source, host, type(exc).__name__)
            return
        if answer.status_code >= 300:
            log.warning("websub %s: hub %s refused (HTTP %d)", sub.source, host, answer.status_code)
        else:
            log.info("websub %s: asked hub %s for pushes", sub.source, host)

    def verify(self, token: str, params: dict[str, str]) -> Response:
        """The hub's intent check: echo the challenge for a topic we asked for."""
        with self._lock:
            sub = self._by_token.get(token)
            mode, topic = params.get("hub.mode"), params.get("hub.topic")
            if sub is None or topic != sub.topic or mode not in ("subscribe", "denied"):
                return PlainTextResponse("unknown subscription", status_code=404)
            if mode == "denied":
                log.warning("websub %s: hub %s denied the subscription", sub.source, _host(sub))
                return PlainTextResponse("")
            lease = params.get("hub.lease_seconds", "")
            seconds = int(lease) if lease.isdigit() else int(self.lease.total_seconds())
            sub.expires_at = utcnow() + timedelta(seconds=seconds)
        log.info("websub %s: subscribed at hub %s for %ds", sub.source, _host(sub), seconds)
        return PlainTextResponse(params.get("hub.challenge", ""))

    def receive(self, token: str, body: bytes, signature: str) -> bool:
        """A content distribution: True (and a poll asked for) when it is signed by our secret."""
        with self._lock:
            sub = self._by_token.get(token)
        if sub is None or sub.expires_at is None:
            return False
        method, _, digest = signature.partition("=")
        if method not in ("sha1", "sha256", "sha384", "sha512"):
            return False
        expected = hmac.new(sub.secret.encode(), body, getattr(hashlib, method)).hexdigest()
        if not hmac.compare_digest(expected, digest):
            log.warning("websub %s: a push with a wrong signature was ignored", sub.source)
            return False
        log.info("websub %s: push received, polling now", sub.source)
        self.on_push(sub.source)
        return True

    def routes(self) -> list[Route]:
        async def callback(request: Request) -> Response:
            token = request.query_params.get("s", "")
            if request.method == "GET":
                return self.verify(token, dict(request.query_params))
            body = await request.body()
            if len(body) > MAX_PUSH_BYTES:
                return PlainTextResponse("too large", status_code=413)
            self.receive(token, body, request.headers.get("X-Hub-Signature", ""))
            return PlainTextResponse("", status_code=202)

        return [Route(CALLBACK_PATH, callback, methods=["GET", "POST"])]


def _host(sub: Subscription) -> str:
    return urlsplit(sub.hub).hostname or "?"

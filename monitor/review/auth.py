"""Login, sessions, CSRF and security headers for the review UI.

Checks live in ASGI middleware rather than on each route, so a route added later is
behind the login and the CSRF check without anyone remembering a decorator (the
changedetection.io auth bypass came from a decorator in the wrong order).

Passwords: `review.users` in monitor.yaml maps a name to a hash made by
`monitor users hash`; `MONITOR_ADMIN_PASSWORD`, when set, adds the user `admin`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import parse_qsl, quote, urlsplit

from starlette.datastructures import FormData, UploadFile
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ENV_ADMIN_PASSWORD = "MONITOR_ADMIN_PASSWORD"
ADMIN_USER = "admin"
CSRF_FIELD = "csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# scrypt at n=2**14, r=8: about 16 MiB and tens of milliseconds per check, the
# interactive-login figure from the scrypt paper, from the standard library alone.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_HASH_PREFIX = "scrypt"

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str) -> str:
    """`scrypt$n$r$p$salt$digest`, the format `review.users` holds."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return "$".join([_HASH_PREFIX, *(str(_SCRYPT[k]) for k in "nrp"), _b64(salt), _b64(digest)])


def verify_password(password: str, encoded: str) -> bool:
    try:
        prefix, n, r, p, salt, digest = encoded.split("$")
        if prefix != _HASH_PREFIX:
            return False
        expected = _unb64(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=_unb64(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=64 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


class Users:
    """Who may log in. Unknown names cost one hash too, so timing does not reveal names."""

    def __init__(self, hashes: Mapping[str, str]) -> None:
        self._hashes = dict(hashes)
        self._decoy = hash_password(secrets.token_urlsafe(16))

    @classmethod
    def from_settings(
        cls, users: Mapping[str, str], environ: Mapping[str, str] = os.environ
    ) -> Users:
        hashes = dict(users)
        if admin_password := environ.get(ENV_ADMIN_PASSWORD):
            hashes[ADMIN_USER] = hash_password(admin_password)
        return cls(hashes)

    def __bool__(self) -> bool:
        return bool(self._hashes)

    def __contains__(self, name: object) -> bool:
        return name in self._hashes

    def check(self, name: str, password: str) -> bool:
        known = name in self._hashes
        ok = verify_password(password, self._hashes.get(name, self._decoy))
        return known and ok


class LoginLimiter:
    """Failed logins per key (client address, user name) within a sliding window.

    Memory is capped: when full, expired keys go first, then the least recently failing
    ones, so an address that keeps failing stays blocked while it sprays user names.
    """

    def __init__(
        self,
        max_failures: int = 5,
        window_seconds: float = 300,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self._clock = clock
        self._max_keys = max_keys
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()  # handlers run in a thread pool

    def _recent(self, key: str) -> int:
        failures = self._failures.get(key)
        if failures is None:
            return 0
        cutoff = self._clock() - self.window
        while failures and failures[0] < cutoff:
            failures.popleft()
        return len(failures)

    def blocked(self, keys: Iterable[str]) -> bool:
        with self._lock:
            return any(self._recent(k) >= self.max_failures for k in keys)

    def failed(self, keys: Iterable[str]) -> None:
        with self._lock:
            for key in keys:
                if key not in self._failures and len(self._failures) >= self._max_keys:
                    self._evict()
                self._recent(key)
                self._failures.setdefault(key, deque()).append(self._clock())

    def succeeded(self, keys: Iterable[str]) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)

    def _evict(self) -> None:
        live = {k: v for k, v in self._failures.items() if self._recent(k)}
        if len(live) >= self._max_keys:
            keep = sorted(live, key=lambda k: live[k][-1], reverse=True)[: self._max_keys // 2]
            live = {k: live[k] for k in keep}
        self._failures = live


def csrf_token(session: dict[str, object]) -> str:
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


def safe_next(target: str | None, root: str = "") -> str:
    """A local path to go to after login; anything else (other hosts, schemes) goes home."""
    home = f"{root}/"
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return home
    if any(ord(ch) < 0x20 or ch == "\\" for ch in target):
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return home
    return target


def route_path(scope: Scope) -> str:
    """The path below where the app is mounted (what its routes match)."""
    root, path = scope.get("root_path", ""), scope["path"]
    return path[len(root) :] if root and path.startswith(root) else path


def login_redirect_target(scope: Scope) -> str:
    path = scope.get("root_path", "") + route_path(scope)
    query = scope.get("query_string", b"").decode("latin-1")
    return path + (f"?{query}" if query else "")


async def _respond(
    send: Send, status: int, body: bytes, headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """CSP and friends on every response, including errors and static files."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RequireLogin:
    """Everything but the public paths needs a logged-in user who is still configured.

    GET and HEAD are sent to the login page (and back afterwards); other methods get 401.
    """

    def __init__(self, app: ASGIApp, users: Users, is_public: Callable[[str], bool]) -> None:
        self.app = app
        self.users = users
        self.is_public = is_public

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.is_public(route_path(scope)):
            await self.app(scope, receive, send)
            return
        if scope["session"].get("user") in self.users:
            await self.app(scope, receive, send)
            return
        if scope["method"] in ("GET", "HEAD"):
            login = scope.get("root_path", "") + "/login?next="
            location = login + quote(login_redirect_target(scope), safe="")
            await _respond(send, 303, b"login required", [(b"location", location.encode())])
            return
        await _respond(send, 401, b"login required")


class CsrfGuard:
    """Every unsafe request must carry this session's token in its urlencoded form.

    The body is read once here (capped), checked, and the parsed form handed to the route
    as `request.state.form`, so no route can read a form that skipped this check.
    """

    def __init__(
        self, app: ASGIApp, max_body: int = 256 * 1024, signed: frozenset[str] = frozenset()
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.signed = signed  # paths whose requests are checked by their own signature

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        unsafe = scope["type"] == "http" and scope["method"] not in SAFE_METHODS
        if not unsafe or scope["path"] in self.signed:
            await self.app(scope, receive, send)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_body:
                await _respond(send, 413, b"request too large")
                return
        headers = dict(scope.get("headers", []))
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if content_type != b"application/x-www-form-urlencoded":
            await _respond(send, 400, b"expected a form")
            return
        try:
            pairs: list[tuple[str, str | UploadFile]] = list(
                parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=2 * 500 + 20)
            )
        except (UnicodeDecodeError, ValueError):
            await _respond(send, 400, b"malformed form")
            return
        form = FormData(pairs)
        expected = scope["session"].get(CSRF_FIELD)
        given = form.get(CSRF_FIELD)
        if not (
            isinstance(expected, str)
            and isinstance(given, str)
            and hmac.compare_digest(given.encode(), expected.encode())
        ):
            await _respond(send, 400, b"CSRF token missing or wrong: reload the page and retry")
            return
        scope.setdefault("state", {})["form"] = form

        pending = [{"type": "http.request", "body": bytes(body), "more_body": False}]

        async def replay() -> Message:
            return pending.pop() if pending else await receive()

        await self.app(scope, replay, send)

"""The review web app: a server-rendered Starlette app over the queue queries.

`create_app(settings, db)` returns a plain ASGI app, so `monitor serve` and the daemon
start the same thing. The daemon adds its own routes (`/healthz`, `/metrics`) through
`extra_routes`; they sit behind the login unless named in `public_paths`.

Handlers are plain functions: Starlette runs them in its thread pool, where the
synchronous SQLAlchemy session belongs.
"""

from __future__ import annotations

import base64
import io
import logging
import os
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from monitor.config import Settings
from monitor.review import queries
from monitor.review.auth import (
    CSRF_FIELD,
    ENV_ADMIN_PASSWORD,
    CsrfGuard,
    LoginLimiter,
    RequireLogin,
    SecurityHeaders,
    Users,
    csrf_token,
    safe_next,
)
from monitor.review.highlight import highlight, strip_bidi_controls
from monitor.review.history import edit_views, stopped_rules
from monitor.store.db import Database
from monitor.store.models import utcnow
from monitor.trends import chart as trend_chart
from monitor.trends.overview import CHART_DAYS, concepts
from monitor.trends.spikes import SpikeParams

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_PAGE = 100_000
SESSION_MAX_AGE = 12 * 3600
FILTER_OPTIONS_TTL = 60.0
DAMASCUS = "Asia/Damascus"  # the analysts' reference zone, shown beside every source's own
STATE_LABELS = {
    "new": "New",
    "relevant": "Relevant",
    "not_relevant": "Not relevant",
    "escalated": "Escalated",
}


def _today() -> date:
    return datetime.now(UTC).date()


class BadParameter(ValueError):
    """A query parameter that cannot be read; its name (never its value) is shown."""


def safe_href(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) link, else None: scraped URLs never reach an
    href as javascript:, data: or a relative path."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return url.strip()
    return None


def when(value: datetime | None, is_date: bool = False) -> str:
    if value is None:
        return "—"
    return value.date().isoformat() if is_date else value.strftime("%Y-%m-%d %H:%M UTC")


def published_when(item: queries.QueueItem) -> str:
    """The publication time in the source's own zone and in Damascus, beside UTC:
    "2019-06-24 11:30 Damascus · 08:30 UTC"; a day alone when only the day is known."""
    value = item.published_at
    if value is None:
        return "—"
    if item.published_is_date:
        return value.date().isoformat()
    zones: list[tuple[str, tzinfo]] = []
    if item.source_timezone:
        zones.append((_zone_label(item.source_timezone), _zone(item.source_timezone)))
    elif item.published_offset_min is not None:  # stored before zones were: the page's offset
        offset = timedelta(minutes=item.published_offset_min)
        zones.append((f"UTC{offset_text(offset)}", timezone(offset)))
    if item.source_timezone != DAMASCUS:
        zones.append(("Damascus", _zone(DAMASCUS)))
    zones.append(("UTC", UTC))
    parts, day = [], None
    for label, zone in zones:
        local = value.astimezone(zone)
        shown = f"{local:%H:%M}" if local.date() == day else f"{local:%Y-%m-%d %H:%M}"
        day = local.date()  # the day is repeated only where it changes
        parts.append(f"{shown} {label}")
    fetched = " (fetch time: the page shows no date)" if item.published_from == "fetched" else ""
    return " · ".join(parts) + fetched


def offset_text(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _zone_label(name: str) -> str:
    return name.rsplit("/", 1)[-1].replace("_", " ")


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def readable_url(url: str) -> str:
    """A percent-encoded link as its reader sees it (Arabic slugs readable); hrefs keep the
    encoded form."""
    return unquote(url, errors="replace")


def _inert(value: Any) -> Any:
    # Every printed value loses explicit bidi overrides (autoescape then handles markup);
    # Markup from our own macros is already safe and must stay Markup.
    if isinstance(value, str) and not isinstance(value, Markup):
        return strip_bidi_controls(value)
    return value


def make_templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        finalize=_inert,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["published_when"] = published_when
    env.filters["readable_url"] = readable_url
    env.globals.update(STATE_LABELS=STATE_LABELS, STATES=queries.STATES, safe_href=safe_href)
    return env


def _one(params: Mapping[str, str], name: str, allowed: Iterable[str] | None = None) -> str | None:
    value = params.get(name, "").strip()
    if not value:
        return None
    if allowed is not None and value not in allowed:
        raise BadParameter(name)
    return value


def _day(params: Mapping[str, str], name: str) -> date | None:
    value = _one(params, name)
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise BadParameter(name) from None


def _int(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    value = _one(params, name)
    if value is None:
        return default
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        raise BadParameter(name)
    return int(value)


def parse_filter(params: Mapping[str, str]) -> queries.QueueFilter:
    """Queue filters from the query string. The web queue opens on `new`; state=all lifts it."""
    state = _one(params, "state", (*queries.STATES, "all")) or "new"
    return queries.QueueFilter(
        state=None if state == "all" else state,
        source=_one(params, "source"),
        rule=_one(params, "rule"),
        severity=_one(params, "severity"),
        language=_one(params, "lang"),
        since=_day(params, "since"),
        until=_day(params, "until"),
        search=(_one(params, "q") or "")[:200] or None,
        story=_int(params, "story", 0, 1, 2**62) or None,
    )


def filter_params(flt: queries.QueueFilter) -> dict[str, str]:
    """The query string that reproduces a filter (inverse of parse_filter)."""
    values = {
        "state": flt.state or "all",
        "source": flt.source,
        "rule": flt.rule,
        "severity": flt.severity,
        "lang": flt.language,
        "since": flt.since.isoformat() if flt.since else None,
        "until": flt.until.isoformat() if flt.until else None,
        "q": flt.search,
        "story": str(flt.story) if flt.story is not None else None,
    }
    return {k: v for k, v in values.items() if v and not (k == "state" and v == "new")}


class ReviewApp:
    """Routes and the state they share (database, users, templates)."""

    def __init__(self, db: Database, users: Users, spikes: SpikeParams | None = None) -> None:
        self.db = db
        self.users = users
        self.spikes = spikes or SpikeParams()
        self.limiter = LoginLimiter()
        self.templates = make_templates()
        self._options: tuple[float, queries.FilterOptions] | None = None

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", self.queue, methods=["GET"], name="queue"),
            Route("/item/{item_id:int}", self.item, methods=["GET"], name="item"),
            Route(
                "/item/{item_id:int}/evidence.warc.gz",
                self.evidence,
                methods=["GET"],
                name="evidence",
            ),
            Route("/decide", self.decide, methods=["POST"], name="decide"),
            Route("/rules", self.rules, methods=["GET"], name="rules"),
            Route("/overview", self.overview, methods=["GET"], name="overview"),
            Route("/login", self.login_form, methods=["GET"], name="login"),
            Route("/login", self.login, methods=["POST"]),
            Route("/logout", self.logout, methods=["POST"], name="logout"),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ]

    # -- helpers ------------------------------------------------------------------------

    def render(self, request: Request, name: str, status: int = 200, **context: Any) -> Response:
        root = request.scope.get("root_path", "")
        page = self.templates.get_template(name).render(
            root=root,
            user=request.session.get("user"),
            csrf=csrf_token(request.session),
            csrf_field=CSRF_FIELD,
            flash=request.session.pop("flash", None),
            **context,
        )
        return HTMLResponse(page, status_code=status)

    def filter_options(self) -> queries.FilterOptions:
        # Distinct sources/rules/languages change rarely and cost a scan; a minute-old list
        # is fine for a drop-down.
        now = time.monotonic()
        if self._options is None or now - self._options[0] > FILTER_OPTIONS_TTL:
            with self.db.session(readonly=True) as session:
                self._options = (now, queries.filter_options(session))
        return self._options[1]

    def queue_url(
        self, request: Request, flt: queries.QueueFilter, per_page: int, **changes: Any
    ) -> str:
        params = filter_params(flt)
        if per_page != DEFAULT_PER_PAGE:
            params["per"] = str(per_page)
        params.update({k: str(v) for k, v in changes.items() if v is not None})
        query = urlencode({k: v for k, v in params.items() if v})
        return f"{request.scope.get('root_path', '')}/" + (f"?{query}" if query else "")

    # -- pages --------------------------------------------------------------------------

    def queue(self, request: Request) -> Response:
        try:
            flt = parse_filter(request.query_params)
            page = _int(request.query_params, "page", 1, 1, MAX_PAGE)
            per_page = _int(request.query_params, "per", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
            after = _int(request.query_params, "after", 0, 1, 2**63 - 1) or None
            before = _int(request.query_params, "before", 0, 1, 2**63 - 1) or None
        except BadParameter as exc:
            return PlainTextResponse(f"bad query parameter: {exc}", status_code=400)
        with self.db.session(readonly=True) as session:
            result = queries.queue_page(session, flt, page, per_page, after, before)
        here = self.queue_url(
            request, flt, per_page, page=page if page > 1 else None, after=after, before=before
        )
        return self.render(
            request,
            "queue.html",
            result=result,
            flt=flt,
            options=self.filter_options(),
            here=here,
            url=lambda **changes: self.queue_url(request, flt, per_page, **changes),
        )

    def item(self, request: Request) -> Response:
        item_id = request.path_params["item_id"]
        with self.db.session(readonly=True) as session:
            detail = queries.item_detail(session, item_id)
            history = queries.item_history(session, item_id)
        if detail is None:
            return PlainTextResponse("no such item", status_code=404)
        spans = [span for m in detail.matches for span in m.spans]
        title, text = highlight(detail.item.title, detail.text, spans)
        back = safe_next(request.query_params.get("back"), request.scope.get("root_path", ""))
        return self.render(
            request,
            "item.html",
            detail=detail,
            item=detail.item,
            title_segments=title,
            text_segments=text,
            back=back,
            history=history,
            edits=edit_views(history),
            stopped=stopped_rules(history),
        )

    def evidence(self, request: Request) -> Response:
        """The item's evidence as a WARC download (same file as `monitor evidence export`)."""
        from monitor.versions.evidence import EvidenceNotFound, default_file_name, export_warc

        item_id = request.path_params["item_id"]
        now = utcnow()
        buffer = io.BytesIO()
        with self.db.session(readonly=True) as session:
            try:
                manifest = export_warc(session, item_id, buffer, now)
            except EvidenceNotFound:
                return PlainTextResponse("no such item", status_code=404)
        digest = base64.b64encode(bytes.fromhex(manifest.file_sha256)).decode("ascii")
        return Response(
            buffer.getvalue(),
            media_type="application/warc",
            headers={
                "Content-Disposition": f'attachment; filename="{default_file_name(item_id, now)}"',
                "Repr-Digest": f"sha-256=:{digest}:",  # RFC 9530
            },
        )

    def rules(self, request: Request) -> Response:
        with self.db.session(readonly=True) as session:
            stats = queries.rule_stats(session)
            trends = {c.rule: c for c in concepts(session, _today(), params=self.spikes)}
        return self.render(
            request, "rules.html", stats=stats, trends=trends, chart=trend_chart.svg_chart
        )

    def overview(self, request: Request) -> Response:
        with self.db.session(readonly=True) as session:
            found = concepts(session, _today(), params=self.spikes)
        return self.render(
            request,
            "overview.html",
            concepts=found,
            days=CHART_DAYS,
            open_spikes=[e for c in found for e in c.episodes if e.closed_at is None],
            legend=trend_chart.legend(),
            chart=trend_chart.svg_chart,
        )

    # -- actions ------------------------------------------------------------------------

    def decide(self, request: Request) -> Response:
        form = request.state.form
        root = request.scope.get("root_path", "")
        back = safe_next(form.get("back"), root)
        state = form.get("state", "")
        raw_ids = form.getlist("ids")
        if state not in queries.STATES:
            return PlainTextResponse("unknown state", status_code=400)
        if not all(i.isascii() and i.isdigit() for i in raw_ids) or len(raw_ids) > queries.MAX_BULK:
            return PlainTextResponse("bad item ids", status_code=400)
        if not raw_ids:
            request.session["flash"] = "Nothing selected."
            return RedirectResponse(back, status_code=303)
        with self.db.session() as session:
            done = queries.decide(
                session,
                [int(i) for i in raw_ids],
                state,
                form.get("note"),
                who=request.session["user"],
            )
        noun = "item" if len(done) == 1 else "items"
        request.session["flash"] = f"Marked {len(done)} {noun} {STATE_LABELS[state].lower()}."
        return RedirectResponse(back, status_code=303)

    def login_form(self, request: Request) -> Response:
        return self.render(
            request,
            "login.html",
            next=request.query_params.get("next", ""),
            error=None,
            no_users=not self.users,
        )

    def login(self, request: Request) -> Response:
        form = request.state.form
        name, password = form.get("user", "")[:200], form.get("password", "")[:1000]
        next_url = form.get("next", "")
        client = request.client.host if request.client else "unknown"
        keys = (f"ip:{client}", f"user:{name}")
        if self.limiter.blocked(keys):
            log.warning("login refused: too many failures (user %r, client %s)", name, client)
            return self.render(
                request,
                "login.html",
                status=429,
                next=next_url,
                error="Too many failed logins. Wait a few minutes.",
                no_users=not self.users,
            )
        if not self.users.check(name, password):
            self.limiter.failed(keys)
            log.warning("login failed (user %r, client %s)", name, client)
            return self.render(
                request,
                "login.html",
                status=401,
                next=next_url,
                error="Wrong name or password.",
                no_users=not self.users,
            )
        self.limiter.succeeded(keys)
        request.session.clear()  # a fresh session (and CSRF token) after login
        request.session["user"] = name
        log.info("login: %s from %s", name, client)
        root = request.scope.get("root_path", "")
        return RedirectResponse(safe_next(next_url, root), status_code=303)

    def logout(self, request: Request) -> Response:
        request.session.clear()
        return RedirectResponse(f"{request.scope.get('root_path', '')}/login", status_code=303)


def create_app(
    settings: Settings,
    db: Database,
    *,
    extra_routes: Sequence[BaseRoute] = (),
    public_paths: Iterable[str] = (),
    signed_paths: Iterable[str] = (),
    environ: Mapping[str, str] = os.environ,
) -> Starlette:
    """The review UI as an ASGI app. Every route, `extra_routes` included, needs a login
    except `/login`, `/static/…`, `public_paths` and `signed_paths`; the latter (WebSub's
    callback) take unsafe requests without the session's CSRF token: they carry their own
    signature."""
    review = settings.review
    users = Users.from_settings(review.users, environ)
    if not users:
        log.warning("no review users configured: set review.users or %s", ENV_ADMIN_PASSWORD)
    secret = review.session_secret
    if not secret:
        secret = secrets.token_urlsafe(32)
        log.warning("review.session_secret is not set: sessions end when the server restarts")
    app = ReviewApp(db, users, SpikeParams.from_settings(settings.trends))
    signed = frozenset(signed_paths)
    public = {"/login", *public_paths, *signed}

    def is_public(path: str) -> bool:
        return path in public or path.startswith("/static/")

    middleware = [
        Middleware(SecurityHeaders),
        Middleware(
            SessionMiddleware,
            secret_key=secret,
            session_cookie="monitor_session",
            max_age=SESSION_MAX_AGE,
            same_site="lax",
            https_only=review.base_url.startswith("https://"),
        ),
        Middleware(RequireLogin, users=users, is_public=is_public),
        Middleware(CsrfGuard, signed=signed),
    ]
    return Starlette(routes=[*app.routes(), *extra_routes], middleware=middleware)

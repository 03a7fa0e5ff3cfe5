"""Section F of reliability.md: XSS, auth on every route, CSRF, login, static traversal."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from monitor.config import Settings
from monitor.review.app import HERE, create_app, safe_href
from monitor.review.auth import CONTENT_SECURITY_POLICY, safe_next
from monitor.store.db import Database
from monitor.store.models import Article, ReviewDecision

from .conftest import PASSWORD, USER, csrf_of, log_in


class ActiveContent(HTMLParser):
    """Collects what a browser would run: scripts, on* handlers, script-like URLs, styles."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src") != "/static/review.js":
            self.found.append(f"<script {values}>")
        if tag == "svg" and "chart" in (values.get("class") or "").split():
            return  # our own server-rendered charts (monitor/trends/chart.py)
        if tag in ("iframe", "object", "embed", "svg", "img", "style", "base", "meta") and (
                tag != "meta" or "http-equiv" in values):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in ("style", "srcdoc", "formaction"):
                self.found.append(f"{tag} {name}=")
            if name in ("href", "src", "action") and value is not None:
                scheme = value.strip().split(":", 1)[0].lower() if ":" in value else ""
                if scheme not in ("", "http", "https") or value.strip().startswith("//"):
                    self.found.append(f"{tag} {name}={value}")


def active_content(page: str) -> list[str]:
    parser = ActiveContent()
    parser.feed(page)
    return parser.found


def route_requests(app: Any) -> list[tuple[str, str]]:
    """(method, path) for every route of the app, path parameters filled in."""
    found = []
    for route in app.routes:
        if isinstance(route, Mount):
            found.append(("GET", f"{route.path}/review.css"))
            continue
        assert isinstance(route, Route)
        path = re.sub(r"\{[^}]+\}", "1", route.path)
        found += [(method, path) for method in sorted(route.methods or ()) if method != "HEAD"]
    return found


def test_every_route_needs_a_session(anon: TestClient, app: Any, items: dict[str, int],
                                     db: Database) -> None:
    requests = route_requests(app)
    assert {("POST", "/decide"), ("GET", "/item/1"), ("GET", "/rules")} <= set(requests)
    for method, path in requests:
        response = anon.request(method, path, data={"ids": "1", "state": "relevant"})
        if path == "/login" or path.startswith("/static/"):
            assert response.status_code in (200, 400), (method, path)
        elif method == "GET":
            assert response.status_code == 303, (method, path)
            assert response.headers["location"].startswith("/login?next="), path
        else:
            assert response.status_code == 401, (method, path)
    with db.session() as session:
        assert session.query(ReviewDecision).count() == 0


def test_extra_routes_are_protected_unless_public(review_settings: Settings, db: Database) -> None:
    def hello(_request: Any) -> Any:
        from starlette.responses import PlainTextResponse
        return PlainTextResponse("ok")

    app = create_app(review_settings, db, environ={}, public_paths=["/healthz"],
                     extra_routes=[Route("/healthz", hello), Route("/metrics", hello)])
    with TestClient(app, follow_redirects=False) as anon:
        assert anon.get("/healthz").text == "ok"
        assert anon.get("/metrics").status_code == 303


def test_xss_item_renders_inert(client: TestClient, items: dict[str, int]) -> None:
    item_id = items["xss"]
    pages = {
        "queue": client.get("/").text,
        "search": client.get("/?q=script").text,
        "item": client.get(f"/item/{item_id}").text,
        "rules": client.get("/rules").text,
        "overview": client.get("/overview").text,
        "story of another item": client.get(f"/item/{items['chlorine_en']}").text,
    }
    for name, page in pages.items():
        assert active_content(page) == [], name
        assert "\u202e" not in page, name
    item = pages["item"]
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in item
    assert "&lt;img src=x onerror=alert(2)&gt;" in item
    assert "&lt;b onmouseover=alert(5)&gt;Mallory&lt;/b&gt;" in item
    assert "{{ 7*7 }}" in item and "49" not in item  # scraped text is never template source
    assert "&amp;lt;b&amp;gt;" in item  # entities stay as the text showed them
    assert 'class="unsafe-url"' in item and 'href="javascript' not in item.lower()
    assert "Chlorine &lt;i&gt;x&lt;/i&gt;" in item


def test_xss_in_urls_and_parameters_is_not_echoed(client: TestClient, items: dict[str, int]) -> None:
    assert "<script>" not in client.get("/item/<script>alert(1)</script>").text
    page = client.get("/", params={"q": '"><script>alert(1)</script>'}).text
    assert "<script>alert(1)" not in page
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page
    back = client.get(f"/item/{items['xss']}", params={"back": "javascript:alert(1)"}).text
    assert 'href="javascript' not in back and 'id="back"' in back


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,<script>", "//evil.example/",
    "/relative", "file:///etc/passwd", "vbscript:x", "http:/no-host", "",
])
def test_safe_href_allows_only_absolute_http(url: str) -> None:
    assert safe_href(url) is None


def test_the_active_content_check_can_fail() -> None:
    assert active_content('<p><img src=x onerror="alert(1)"><a href=" javascript:x">a</a></p>')


def test_safe_href_keeps_http_links() -> None:
    assert safe_href("https://www.state.gov/a?b=1") == "https://www.state.gov/a?b=1"


def test_security_headers_everywhere(anon: TestClient, client: TestClient) -> None:
    for response in (client.get("/"), anon.get("/login"), anon.get("/static/review.js"),
                     anon.get("/nope")):
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY


def test_templates_have_no_inline_script_or_safe_filter() -> None:
    for template in (HERE / "templates").glob("*.html"):
        source = template.read_text(encoding="utf-8")
        assert "|safe" not in source.replace(" ", ""), template.name
        assert "<script>" not in source and " on" + "click=" not in source, template.name
        assert "style=" not in source, template.name  # CSP: no inline styles either


def test_session_cookie_flags(anon: TestClient) -> None:
    response = log_in(anon)
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # base_url is http://127.0.0.1 here


def test_secure_cookie_behind_https(review_settings: Settings, db: Database) -> None:
    review = review_settings.review.model_copy(update={"base_url": "https://review.example"})
    app = create_app(review_settings.model_copy(update={"review": review}), db, environ={})
    with TestClient(app, base_url="https://review.example", follow_redirects=False) as anon:
        assert "secure" in log_in(anon).headers["set-cookie"].lower()


def test_post_without_csrf_token_changes_nothing(client: TestClient, db: Database,
                                                 items: dict[str, int]) -> None:
    form = {"ids": str(items["chlorine_en"]), "state": "relevant"}
    assert client.post("/decide", data=form).status_code == 400
    assert client.post("/decide", data={**form, "csrf": "forged"}).status_code == 400
    assert client.post("/decide", json={**form, "csrf": "x"}).status_code == 400
    assert client.post("/logout", data={}).status_code == 400
    with db.session() as session:
        assert session.get(Article, items["chlorine_en"]).review_state == "new"
        assert session.query(ReviewDecision).count() == 0
    assert client.get("/").status_code == 200  # still logged in: logout needed the token


def test_another_sessions_token_is_refused(app: Any, client: TestClient, db: Database,
                                           items: dict[str, int]) -> None:
    with TestClient(app, follow_redirects=False) as other:
        log_in(other)
        foreign = csrf_of(other.get("/").text)
    response = client.post("/decide", data={"csrf": foreign, "ids": items["xss"],
                                            "state": "relevant"})
    assert response.status_code == 400
    with db.session() as session:
        assert session.query(ReviewDecision).count() == 0


def test_get_never_mutates(client: TestClient, db: Database, items: dict[str, int]) -> None:
    client.get("/decide", params={"ids": items["xss"], "state": "relevant"})
    client.get(f"/item/{items['xss']}", params={"state": "relevant"})
    assert client.get("/logout").status_code == 405
    with db.session() as session:
        assert session.query(ReviewDecision).count() == 0


def test_login_csrf_is_required(anon: TestClient) -> None:
    anon.get("/login")
    response = anon.post("/login", data={"user": USER, "password": PASSWORD})
    assert response.status_code == 400


@pytest.mark.parametrize("target", [
    "//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)",
    "http:evil.example", "\\\\evil.example", "/\tevil", "\x00//evil.example",
])
def test_no_open_redirect_after_login(anon: TestClient, target: str) -> None:
    response = log_in(anon, next_url=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_login_returns_to_the_page_asked_for(anon: TestClient, items: dict[str, int]) -> None:
    first = anon.get(f"/item/{items['xss']}?back=/%3Flang%3Dar")
    next_url = first.headers["location"].split("next=", 1)[1]
    from urllib.parse import unquote
    assert log_in(anon, next_url=unquote(next_url)).headers["location"] == (
        f"/item/{items['xss']}?back=/%3Flang%3Dar")


@pytest.mark.parametrize("target", ["/", "/item/3?back=/", "/?q=%D8%A3"])
def test_safe_next_keeps_local_paths(target: str) -> None:
    assert safe_next(target) == target


def test_login_rate_limit(anon: TestClient) -> None:
    for _ in range(5):
        assert log_in(anon, password="wrong").status_code == 401
    response = log_in(anon)  # right password, but blocked for now
    assert response.status_code == 429
    assert "Too many failed logins" in response.text


def test_wrong_user_and_removed_user(app: Any, anon: TestClient, review_settings: Settings,
                                     db: Database) -> None:
    assert log_in(anon, user="mallory").status_code == 401
    assert log_in(anon).status_code == 303
    cookie = anon.cookies.get("monitor_session")
    emptied = review_settings.model_copy(update={"review": review_settings.review.model_copy(
        update={"users": {}})})
    with TestClient(create_app(emptied, db, environ={}), follow_redirects=False) as after:
        after.cookies.set("monitor_session", cookie)
        assert after.get("/").status_code == 303  # a signed cookie of a removed user is void


def test_admin_password_from_environment(review_settings: Settings, db: Database) -> None:
    app = create_app(review_settings, db, environ={"MONITOR_ADMIN_PASSWORD": "s3cret-admin"})
    with TestClient(app, follow_redirects=False) as anon:
        assert log_in(anon, user="admin", password="s3cret-admin").status_code == 303
        assert anon.get("/").status_code == 200


def test_logout(client: TestClient, post: Callable[..., Any]) -> None:
    assert post("/logout", {}).status_code == 303
    assert client.get("/").status_code == 303


@pytest.mark.parametrize("path", [
    "/static/%2e%2e/app.py", "/static/../app.py", "/static/..%2fapp.py",
    "/static/%2e%2e%2f%2e%2e%2fconfig.py", "/static/templates/../../app.py",
])
def test_static_path_traversal(app: Any, client: TestClient, path: str) -> None:
    with TestClient(app, follow_redirects=False) as stranger:
        assert stranger.get(path).status_code in (303, 404)  # static is public, the rest not
    response = client.get(path)
    assert response.status_code == 404, path
    assert "create_app" not in response.text

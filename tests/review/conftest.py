"""Review fixtures: items from fixtures/items.json in a migrated store, a logged-in client."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from monitor.config import ReviewSettings, Settings
from monitor.domain import match_document
from monitor.review.app import create_app
from monitor.review.auth import hash_password
from monitor.store.db import Database
from monitor.store.models import Article, RuleMatchRow, Story

ITEMS_FILE = Path(__file__).parent / "fixtures" / "items.json"
USER, PASSWORD = "ana", "correct horse battery"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def item_fixtures() -> list[dict[str, Any]]:
    return json.loads(ITEMS_FILE.read_text(encoding="utf-8"))


def _spans(document: str, terms: list[str]) -> list[list[int]]:
    spans = []
    for term in terms:
        spans += [[m.start(), m.end()] for m in re.finditer(re.escape(term), document)]
    return sorted(spans)


def store_items(db: Database, items: list[dict[str, Any]]) -> dict[str, int]:
    """Store fixture items (spans found by plain search); returns their ids by key."""
    ids: dict[str, int] = {}
    stories: dict[str, Story] = {}
    with db.session() as session:
        for spec in items:
            story = None
            if spec.get("story"):
                story = stories.setdefault(spec["story"], Story(title=spec["story"]))
            published = datetime.fromisoformat(spec["published_at"])
            article = Article(
                url=spec["url"], source_key=spec["source_key"], language=spec["language"],
                title=spec["title"], text=spec["text"], author=spec.get("author"),
                published_at=published, fetched_at=published, content_hash=spec["key"])
            if story is not None:
                session.add(story)
                session.flush()
                article.story_id = story.id
            document = match_document(spec["title"], spec["text"])
            for m in spec["matches"]:
                article.matches.append(RuleMatchRow(
                    rule_id=m["rule"], rule_name=m["name"], severity=m["severity"],
                    terms=m["terms"], snippets=m.get("snippets", m["terms"]),
                    spans=_spans(document, m["terms"])))
            session.add(article)
            session.flush()
            ids[spec["key"]] = article.id
    return ids


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def review_settings(settings: Settings, password_hash: str) -> Settings:
    return settings.model_copy(update={"review": ReviewSettings(
        users={USER: password_hash}, session_secret="test-secret-0123456789abcdef")})


@pytest.fixture
def items(db: Database) -> dict[str, int]:
    return store_items(db, item_fixtures())


@pytest.fixture
def app(review_settings: Settings, db: Database) -> Any:
    return create_app(review_settings, db, environ={})


@pytest.fixture
def anon(app: Any) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as client:
        yield client


def csrf_of(page: str) -> str:
    found = CSRF_RE.search(page)
    assert found, "page has no CSRF field"
    return found.group(1)


def log_in(client: TestClient, user: str = USER, password: str = PASSWORD,
           next_url: str = "") -> Any:
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"csrf": token, "user": user, "password": password,
                                       "next": next_url})


@pytest.fixture
def client(anon: TestClient) -> TestClient:
    response = log_in(anon)
    assert response.status_code == 303, response.text
    return anon


@pytest.fixture
def post(client: TestClient) -> Callable[..., Any]:
    """POST a form with the session's CSRF token, as the pages' forms do."""

    def send(path: str, data: dict[str, Any]) -> Any:
        token = csrf_of(client.get("/").text)
        return client.post(path, data={"csrf": token, **data})

    return send

"""Review decisions while the store is busy (shared/reliability.md C2): two analysts post
hundreds of decisions to the review UI, over real HTTP, while a crawl stores a site's new
releases and the pipeline turns them into articles. No answer is a 5xx, no decision and no
article is lost, and SQLite stays in WAL mode."""

from __future__ import annotations

import itertools
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
from service_helpers import RULES_DIR, publish_state_release
from sqlalchemy import func, select, text

from monitor.config import Settings
from monitor.crawl.runner import run_crawl
from monitor.review.app import create_app
from monitor.review.auth import hash_password
from monitor.service.web import WebServer
from monitor.service.wiring import make_pipeline
from monitor.store import models
from monitor.store.db import Database
from monitor.testing.sites import Sites
from spiders import SOURCES

RELEASES = 100
POSTS_PER_ANALYST = 150
ANALYSTS = ("ana", "sami")
ITEMS_EACH = 10
PASSWORD = "under load, still right"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
STATES = ("relevant", "not_relevant", "escalated", "new")


@dataclass(frozen=True)
class Post:
    item: int
    state: str
    status: int
    while_writing: bool  # sent before the pipeline had finished


@dataclass
class Busy:
    started: threading.Event = field(default_factory=threading.Event)  # first page processed
    done: threading.Event = field(default_factory=threading.Event)  # crawl and pipeline over


def seed_flagged(db: Database, count: int) -> list[int]:
    """Items already in the queue for the analysts to work on."""
    with db.session() as session:
        articles = [
            models.Article(
                url=f"https://www.state.gov/releases/queued-{i}/", source_key="state_dept",
                title=f"Queued item {i} on sarin", text="Sarin was found.", content_hash=f"q{i}",
            )
            for i in range(count)
        ]
        for article in articles:
            article.matches.append(models.RuleMatchRow(
                rule_id="chemical_weapons", rule_name="Chemical weapons", severity="high",
                terms=["sarin"], snippets=["Sarin was found."], spans=[[0, 5]]))
        session.add_all(articles)
        session.flush()
        return [a.id for a in articles]


def analyst(
    base: str, user: str, items: list[int], sent: list[Post], writing: Busy
) -> None:
    """Log in; once the pipeline writes, mark `items` round-robin with every state in turn,
    as the forms do, until the pipeline is done (and at least POSTS_PER_ANALYST times)."""
    with httpx2.Client(base_url=base, follow_redirects=False, timeout=60) as client:
        token = CSRF.search(client.get("/login").text)
        assert token
        login = {"csrf": token.group(1), "user": user, "password": PASSWORD, "next": ""}
        assert client.post("/login", data=login).status_code == 303
        token = CSRF.search(client.get("/").text)
        assert token
        writing.started.wait(120)
        pairs = zip(itertools.cycle(items), itertools.cycle(STATES), strict=False)
        for item, state in pairs:
            if len(sent) >= POSTS_PER_ANALYST and writing.done.is_set():
                return
            answer = client.post(
                "/decide", data={"csrf": token.group(1), "ids": str(item), "state": state,
                                 "back": "/", "note": f"{user} under load"})
            sent.append(Post(item, state, answer.status_code, not writing.done.is_set()))


def test_decisions_crawl_and_pipeline_together_lose_nothing(
    tmp_path: Path, db: Database, site_root: Path, sites: Sites
) -> None:
    for i in range(RELEASES):
        publish_state_release(site_root, f"load-release-{i}", f"Load Release {i}",
                              f"Release {i} of the day mentions sarin stockpiles." if i % 2 else
                              f"Release {i} of the day is about reconstruction.")
    settings = Settings.model_validate({
        "data_dir": str(tmp_path / "data"),
        "database_url": db.url,
        "rules_dir": str(RULES_DIR),
        "crawl": {"download_delay": 0, "max_crawl_delay": 0, "retry_times": 0,
                  "autothrottle": False},
        "sources": {"state_dept": {"base_urls": sites.base_urls(), "max_pages": 1000}},
        "review": {"users": {u: hash_password(PASSWORD) for u in ANALYSTS},
                   "session_secret": "load-test-secret-0123456789abcdef"},
    })
    items = seed_flagged(db, ITEMS_EACH * len(ANALYSTS))
    web = WebServer(create_app(settings, db, environ={}), "127.0.0.1", 0).start()
    while not web.server.started:
        time.sleep(0.05)
    port = web.server.servers[0].sockets[0].getsockname()[1]
    pipeline = make_pipeline(settings, db)
    crawled, writing = threading.Event(), Busy()
    outcomes: list[str] = []

    def crawl() -> None:
        try:
            run_crawl(SOURCES["state_dept"], settings, db)
        finally:
            crawled.set()

    def process() -> None:  # the daemon's cycle does the same after each crawl
        try:
            while True:
                done = crawled.is_set()
                for raw_id in pipeline.pending_ids():
                    outcomes.append(pipeline.process_raw(raw_id).status)
                    writing.started.set()
                if done:
                    return
                time.sleep(0.05)
        finally:
            writing.started.set()
            writing.done.set()

    sent: dict[str, list[Post]] = {u: [] for u in ANALYSTS}
    workers = [threading.Thread(target=crawl), threading.Thread(target=process)] + [
        threading.Thread(target=analyst, args=(f"http://127.0.0.1:{port}", user,
                                               items[n * ITEMS_EACH:(n + 1) * ITEMS_EACH],
                                               sent[user], writing))
        for n, user in enumerate(ANALYSTS)
    ]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(180)
    finally:
        web.stop()

    answers = [post.status for posts in sent.values() for post in posts]
    assert len(answers) >= POSTS_PER_ANALYST * len(ANALYSTS)
    assert set(answers) == {303}, f"answers: {sorted(set(answers))}"
    overlapping = sum(post.while_writing for posts in sent.values() for post in posts)
    assert overlapping >= POSTS_PER_ANALYST, "the decisions did not meet the writers"
    with db.session() as session:
        decisions = session.scalar(select(func.count()).select_from(models.ReviewDecision))
        states = dict(session.execute(
            select(models.Article.id, models.Article.review_state)
            .where(models.Article.id.in_(items))).all())
        released = set(session.scalars(select(models.Article.url).where(
            models.Article.url.like("%/load-release-%"))))
        pending = session.scalar(select(func.count()).select_from(models.RawPage)
                                 .where(models.RawPage.state != "done"))
        mode = session.execute(text("PRAGMA journal_mode")).scalar()
    assert decisions == len(answers)
    for posts in sent.values():  # each analyst's last word on each item stands
        last = {post.item: post.state for post in posts}
        assert {i: states[i] for i in last} == last
    assert len(released) == RELEASES, "an article was lost"
    assert pending == 0 and outcomes.count("new") >= RELEASES
    assert mode == "wal"

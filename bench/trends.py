"""Trends at scale: the overview over 100,000 stories (target < 200 ms) and the spike check.

    .venv/bin/python bench/trends.py [--stories 100000] [--runs 15] [--db PATH]

Seeds a fresh SQLite store through the real migration: stories of one to four items
(copies and translations) from five sources over two years, each matched by one or two
of six rules, a fifth of them judged. Then prints, side by side in one run:
- the overview's data (`monitor.trends.overview.concepts`: daily stories per rule over
  118 days, sources, episodes, the daily spike test), alone and as the whole page
  (login, SQL, SVG charts, template) through starlette's TestClient;
- the rules page, which now draws a small chart per rule;
- one spike check (`check_spikes`, the daemon's per-cycle job), first run (opens the
  episodes of the seeded burst) and steady runs;
- `monitor report` for the last week (build + Markdown and HTML).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from review_queue import _csrf  # same folder; puts the project root on sys.path
from sqlalchemy import delete, insert
from starlette.testclient import TestClient

from monitor.config import ReviewSettings, Settings
from monitor.review import create_app
from monitor.review.auth import hash_password
from monitor.store.db import Database
from monitor.store.migrate import upgrade
from monitor.store.models import Alert, Article, RuleMatchRow, SpikeEpisode, Story, TrendRule
from monitor.trends.check import RuleInfo, check_spikes
from monitor.trends.overview import concepts
from monitor.trends.report import build_report, render_html, render_markdown

TARGET_MS = 200
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SOURCES = ("etilaf", "rt_arabic", "state_dept", "baladi", "sana")
RULES = tuple(
    RuleInfo(rule, rule.replace("_", " ").title(), severity, ("all",))
    for rule, severity in (
        ("chemical", "critical"),
        ("chlorine", "critical"),
        ("white_helmets", "high"),
        ("astana", "medium"),
        ("sarin", "critical"),
        ("idlib", "low"),
    )
)
BURST = 60  # chlorine stories in the last 20 hours (about 30 a day in the baseline)
STATES = ("new",) * 16 + ("relevant", "not_relevant", "not_relevant", "escalated")


def seed(db: Database, n_stories: int, rng: random.Random) -> int:
    """Stories spread over two years, plus a chlorine burst in the last day; returns items."""
    span = 2 * 365 * 24 * 3600
    items = 0
    batch = 10_000
    for start in range(1, n_stories + 1, batch):
        stories, articles, matches = [], [], []
        for story in range(start, min(n_stories, start + batch - 1) + 1):
            published = NOW - timedelta(seconds=rng.randrange(span))
            burst = story > n_stories - BURST
            if burst:
                published = NOW - timedelta(hours=rng.uniform(0, 20))
            stories.append({"id": story, "created_at": published})
            rules = (
                ["chlorine"] if burst else rng.sample([r.id for r in RULES], rng.choice((1, 1, 2)))
            )
            for copy in range(rng.choice((1, 1, 1, 1, 1, 2, 2, 3, 4))):
                items += 1
                when = published + timedelta(minutes=40 * copy)
                articles.append(
                    {
                        "id": items,
                        "source_key": rng.choice(SOURCES),
                        "url": f"https://example.org/{items}",
                        "language": rng.choice(("ar", "ar", "en")),
                        "title": f"story {story} item {copy}",
                        "text": "",
                        "search_text": "",
                        "published_at": when,
                        "published_is_date": False,
                        "fetched_at": when,
                        "content_hash": f"{items:064x}",
                        "flags": [],
                        "review_state": rng.choice(STATES),
                        "story_id": story,
                        "created_at": when,
                        "updated_at": when,
                    }
                )
                matches += [
                    {
                        "article_id": items,
                        "rule_id": rule,
                        "rule_name": rule.title(),
                        "severity": "high",
                        "terms": [rule],
                        "snippets": [rule],
                        "spans": [],
                        "created_at": when,
                    }
                    for rule in rules
                ]
        with db.session() as session:
            session.execute(insert(Story), stories)
            session.execute(insert(Article), articles)
            session.execute(insert(RuleMatchRow), matches)
    return items


def millis(call: Callable[[], object], runs: int) -> tuple[float, float, float]:
    """Median and 90th percentile wall time, and median CPU time of this process (all
    threads: the in-process web server too), in ms. CPU time is what the machine's other
    work cannot inflate; wall time is what a user waits."""
    walls, cpus = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        call()
        walls.append((time.perf_counter() - t0) * 1000)
        cpus.append((time.process_time() - c0) * 1000)
    walls.sort()
    return (
        statistics.median(walls),
        walls[max(0, int(len(walls) * 0.9) - 1)],
        statistics.median(cpus),
    )


def line(name: str, wall: float, p90: float, cpu: float, target: float | None = None) -> None:
    verdict = "" if target is None else ("ok" if wall < target else "SLOW")
    print(f"{name:42} {wall:9.1f} {p90:8.1f} {cpu:8.1f}  {verdict}")


def ok(response: Any) -> None:
    assert response.status_code == 200, response.status_code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--db", type=Path, help="reuse/keep this SQLite file")
    args = parser.parse_args()

    path = args.db or Path(tempfile.mkdtemp(prefix="bench-trends-")) / "monitor.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    with db.session() as session:
        empty = session.get(Story, 1) is None
    if empty:
        t0 = time.perf_counter()
        items = seed(db, args.stories, random.Random(16))
        print(
            f"seeded {args.stories:,} stories, {items:,} items in "
            f"{time.perf_counter() - t0:.1f} s ({path})"
        )

    with db.session() as session:  # a reused file: the spike check starts afresh
        for table in (SpikeEpisode, TrendRule, Alert):
            session.execute(delete(table))

    settings = Settings(
        review=ReviewSettings(
            users={"bench": hash_password("bench")}, session_secret="bench-secret-bench-secret"
        )
    )
    print(
        f"{'what':42} {'median ms':>9} {'p90 ms':>8} {'cpu ms':>8}  "
        f"target {TARGET_MS} ms (overview)"
    )
    opened: list[str] = []
    line(
        "spike check, first run (opens the burst)",
        *millis(lambda: opened.extend(check_spikes(db, settings, RULES, NOW).opened), 1),
    )
    print(f"  opened: {'; '.join(opened) or 'nothing'}")
    cycle = iter(range(1, 10**6))
    line(
        "spike check per cycle (15 min apart)",
        *millis(
            lambda: check_spikes(db, settings, RULES, NOW + timedelta(minutes=15 * next(cycle))),
            args.runs,
        ),
    )

    def overview_data() -> None:
        with db.session(readonly=True) as session:
            concepts(session, NOW.date())

    line("overview data (concepts, 6 rules)", *millis(overview_data, args.runs), TARGET_MS)
    with TestClient(create_app(settings, db), base_url="http://127.0.0.1") as client:
        login = client.post(
            "/login",
            data={"user": "bench", "password": "bench", "csrf": _csrf(client.get("/login").text)},
        )
        assert login.status_code == 200 and "/login" not in str(login.url), "login failed"
        for name, path in (
            ("overview page (data, SVG, template)", "/overview"),
            ("rules page (with a chart per rule)", "/rules"),
        ):
            line(
                name,
                *millis(lambda p=path: ok(client.get(p)), args.runs),
                TARGET_MS if path == "/overview" else None,
            )

    def week_report() -> None:
        with db.session(readonly=True) as session:
            built = build_report(session, NOW - timedelta(days=7), NOW, now=NOW)
        render_markdown(built)
        render_html(built)

    line("report, last 7 days (build + md + html)", *millis(week_report, max(3, args.runs // 3)))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

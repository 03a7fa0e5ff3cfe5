"""Time the review queue page on a SQLite store of 100,000 flagged items (target: < 200 ms).

    .venv/bin/python bench/queue.py [--items 100000] [--unflagged 0] [--runs 15] [--db PATH]

Seeds a fresh database through the real migration (so the indexes are the shipped ones),
logs in through the real login form and requests the queue page in-process with
starlette's TestClient: routing, auth, SQL and template rendering are all in the figure,
the network is not. Prints the median and the 90th percentile per view.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path and its name would shadow
# the standard library's `queue` (which asyncio imports): put the project root there instead.
HERE = Path(__file__).resolve().parent
sys.path[:] = [str(HERE.parent), *(p for p in sys.path if Path(p or ".").resolve() != HERE)]

import argparse
import os
import random
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from starlette.testclient import TestClient

from monitor.config import ReviewSettings, Settings
from monitor.review import create_app
from monitor.review.auth import hash_password
from monitor.store.db import Database
from monitor.store.migrate import upgrade
from monitor.store.models import Article, RuleMatchRow, Story
from monitor.text.arabic import normalize_arabic

TARGET_MS = 200
SOURCES = ("etilaf_ar", "etilaf_en", "rt_arabic", "baladi", "state_dept")
RULES = (("chemical", "high"), ("chlorine", "critical"), ("white_helmets", "medium"),
         ("astana", "low"), ("sarin", "critical"), ("idlib", "info"))
STATES = ("new",) * 14 + ("not_relevant",) * 3 + ("relevant",) * 2 + ("escalated",)
WORDS_EN = ["chlorine", "attack", "Idlib", "regime", "statement", "talks", "Astana", "civil", "defence", "helmets", "ministry", "report", "sources", "said", "the", "of", "in", "and", "to", "a", "on", "for"]
WORDS_AR = ["الكلور", "هجوم", "إدلب", "النظام", "بيان", "محادثات", "أستانا", "الدفاع", "المدني", "الخوذ", "البيضاء", "وزارة", "تقرير", "مصادر", "قالت", "في", "من", "على", "إلى", "عن"]


def seed(db: Database, flagged: int, unflagged: int, rng: random.Random) -> None:
    """Flagged items (1-2 rule matches each) and, mixed in, articles no rule matched."""
    now = datetime(2026, 11, 22, tzinfo=UTC)
    with db.session() as session:
        session.execute(insert(Story), [{"id": i, "created_at": now} for i in range(1, 5001)])
    total = flagged + unflagged
    unmatched = set(rng.sample(range(1, total + 1), unflagged))
    for start in range(0, total, 10_000):
        articles, matches = [], []
        for i in range(start + 1, min(total, start + 10_000) + 1):
            arabic = rng.random() < 0.6
            words = WORDS_AR if arabic else WORDS_EN
            published = now - timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60))
            articles.append({
                "id": i, "source_key": rng.choice(SOURCES), "url": f"https://example.org/a/{i}",
                "language": "ar" if arabic else "en",
                "title": (title := " ".join(rng.choices(words, k=8))),
                "text": (text := " ".join(rng.choices(words, k=120))),
                "search_text": normalize_arabic(f"{title}\n{text}"),  # bulk insert skips events
                "published_at": None if rng.random() < 0.02 else published,
                "published_is_date": False, "fetched_at": published, "content_hash": f"{i:064x}",
                "flags": [], "review_state": "new" if i in unmatched else rng.choice(STATES),
                "story_id": rng.randrange(1, 5001) if rng.random() < 0.1 else None,
                "created_at": published, "updated_at": published,
            })
            if i in unmatched:
                continue
            for rule, severity in rng.sample(RULES, rng.choice((1, 1, 2))):
                matches.append({"article_id": i, "rule_id": rule, "rule_name": rule.title(),
                                "severity": severity, "terms": [rule], "snippets": [rule],
                                "spans": [[0, 4]], "created_at": published})
        with db.session() as session:
            session.execute(insert(Article), articles)
            session.execute(insert(RuleMatchRow), matches)


def timed(client: TestClient, path: str, runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9) - 1]


VIEWS = (
    ("first page (state new)", "/"),
    ("all states", "/?state=all"),
    ("filter: source", "/?source=rt_arabic"),
    ("filter: rule + severity", "/?rule=chlorine&severity=critical"),
    ("filter: language + dates", "/?lang=ar&since=2026-01-01&until=2026-03-31"),
    ("page 200", "/?state=all&page=200"),
    ("search: common word", "/?q=%D8%A3%D8%B3%D8%AA%D8%A7%D9%86%D8%A7"),
    ("search: word in no item", "/?q=Khan+Shaykhun"),
    ("rules page", "/rules"),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000, help="flagged items")
    parser.add_argument("--unflagged", type=int, default=0,
                        help="articles no rule matched, stored alongside (default 0)")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--db", type=Path, help="reuse/keep this SQLite file")
    args = parser.parse_args()

    path = args.db or Path(tempfile.mkdtemp(prefix="bench-queue-")) / "monitor.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    with db.session() as session:
        empty = session.get(Article, 1) is None
    if empty:
        t0 = time.perf_counter()
        seed(db, args.items, args.unflagged, random.Random(9))
        print(f"seeded {args.items:,} flagged items and {args.unflagged:,} unflagged articles "
              f"in {time.perf_counter() - t0:.1f} s ({path})")

    settings = Settings(review=ReviewSettings(users={"bench": hash_password("bench")},
                                              session_secret="bench-secret-bench-secret"))
    with TestClient(create_app(settings, db), base_url="http://127.0.0.1") as client:
        login = client.post("/login", data={"user": "bench", "password": "bench",
                                            "csrf": _csrf(client.get("/login").text)})
        assert login.status_code == 200 and "/login" not in str(login.url), "login failed"
        print(f"{'view':32} {'median ms':>10} {'p90 ms':>8}  target {TARGET_MS} ms")
        medians = {}
        for name, url in VIEWS:
            median, p90 = timed(client, url, args.runs)
            medians[name] = median
            print(f"{name:32} {median:10.1f} {p90:8.1f}  {'ok' if median < TARGET_MS else 'SLOW'}")
    queue_views = [m for name, m in medians.items() if not name.startswith(("search", "rules"))]
    worst = max(queue_views)
    print(f"queue page, first page and filters: worst median {worst:.1f} ms = "
          f"{worst / TARGET_MS:.2f} x target; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")
    db.dispose()
    return 0


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "login form has no CSRF field"
    return found.group(1)


if __name__ == "__main__":
    sys.exit(main())

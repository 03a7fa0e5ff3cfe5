"""Time every queue view and search on a SQLite store of flagged items (target: < 200 ms
at 1,000,000 items).

    .venv/bin/python bench/review_queue.py [--items 100000] [--unflagged 0] [--runs 15]
        [--db PATH]    # the target: --items 1000000 (seeding ~3 min, 4.2 GB)

Seeds a fresh database through the real migrations: rows at the revision before the
search index, then the timed upgrade builds it, as `monitor db upgrade` would on a store
that has them (so the indexes and triggers are the shipped ones). `--db` keeps the file
for the next run, which skips both. Logs in through the real login form and requests each
view in-process with starlette's TestClient: routing, auth, SQL and template rendering are
all in the figure, the network is not. Prints the median and the 90th percentile per view.
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
import sqlite3
import statistics
import tempfile
import time
from contextlib import closing
from datetime import datetime, timedelta
from typing import Any

from starlette.testclient import TestClient

from monitor.config import ReviewSettings, Settings
from monitor.review import create_app
from monitor.review.auth import hash_password
from monitor.review.queries import QueueFilter, queue_page
from monitor.store.db import Database
from monitor.store.migrate import BACKUP_SUFFIX, current_revision, upgrade
from monitor.text.arabic import normalize_arabic

TARGET_MS = 200
DEEP_PAGE = 2000  # item 100,000 of all states
TYPED = "page 2,000 by number (typed URL)"  # OFFSET: no link of the pages asks for it
BEFORE_SEARCH_INDEX = "0006"  # seeded here, so the timed upgrade builds the index
SOURCES = ("etilaf_ar", "etilaf_en", "rt_arabic", "baladi", "state_dept")
RULES = (("chemical", "high"), ("chlorine", "critical"), ("white_helmets", "medium"),
         ("astana", "low"), ("sarin", "critical"), ("idlib", "info"))
STATES = ("new",) * 14 + ("not_relevant",) * 3 + ("relevant",) * 2 + ("escalated",)
WORDS_EN = ["chlorine", "attack", "Idlib", "regime", "statement", "talks", "Astana", "civil", "defence", "helmets", "ministry", "report", "sources", "said", "the", "of", "in", "and", "to", "a", "on", "for"]
WORDS_AR = ["الكلور", "هجوم", "إدلب", "النظام", "بيان", "محادثات", "أستانا", "الدفاع", "المدني", "الخوذ", "البيضاء", "وزارة", "تقرير", "مصادر", "قالت", "في", "من", "على", "إلى", "عن"]


def seed(path: Path, flagged: int, unflagged: int, rng: random.Random) -> None:
    """Flagged items (1-2 rule matches each) and, mixed in, articles no rule matched.

    Written with the sqlite3 module's executemany in 50,000-row transactions, bypassing
    SQLAlchemy's per-row type handling (values in the forms it stores): a million items
    in minutes, not an hour.
    """
    now = datetime(2026, 11, 22)
    total = flagged + unflagged
    unmatched = set(rng.sample(range(1, total + 1), unflagged))
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-1000000")  # 1 GB: the indexes stay in memory
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO stories (id, created_at) VALUES (?, ?)",
                         [(i, _stamp(now)) for i in range(1, 5001)])
        conn.execute("COMMIT")
        for start in range(0, total, 50_000):
            articles, matches = [], []
            for i in range(start + 1, min(total, start + 50_000) + 1):
                articles.append(_article(i, now, i in unmatched, rng))
                if i not in unmatched:
                    fetched = articles[-1][8]
                    for rule, severity in rng.sample(RULES, rng.choice((1, 1, 2))):
                        matches.append((i, rule, rule.title(), severity, fetched))
            conn.execute("BEGIN")
            conn.executemany(ARTICLE_INSERT, articles)
            conn.executemany(MATCH_INSERT, matches)
            conn.execute("COMMIT")


ARTICLE_INSERT = (
    "INSERT INTO articles (id, source_key, url, language, title, text, search_text,"
    " published_at, published_is_date, fetched_at, content_hash, flags, review_state,"
    " story_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, '[]', ?, ?, ?, ?)"
)
MATCH_INSERT = (
    "INSERT INTO rule_matches (article_id, rule_id, rule_name, severity, terms, snippets,"
    " spans, created_at) VALUES (?, ?, ?, ?, '[]', '[]', '[[0, 4]]', ?)"
)


def _article(i: int, now: datetime, unmatched: bool, rng: random.Random) -> tuple[Any, ...]:
    arabic = rng.random() < 0.6
    words = WORDS_AR if arabic else WORDS_EN
    published = _stamp(now - timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60)))
    title = " ".join(rng.choices(words, k=8))
    text = " ".join(rng.choices(words, k=120))
    return (
        i, rng.choice(SOURCES), f"https://example.org/a/{i}", "ar" if arabic else "en",
        title, text, normalize_arabic(f"{title}\n{text}"),
        None if rng.random() < 0.02 else published, published, f"{i:064x}",
        "new" if unmatched else rng.choice(STATES),
        rng.randrange(1, 5001) if rng.random() < 0.1 else None, published, published,
    )


def _stamp(moment: datetime) -> str:
    """A naive UTC datetime as SQLAlchemy stores it on SQLite."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def timed(client: TestClient, path: str, runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9) - 1]


VIEWS = (  # the queue's views and searches; the rules page is a page of its own
    ("first page (state new)", "/"),
    ("all states", "/?state=all"),
    ("state: escalated", "/?state=escalated"),
    ("filter: source", "/?source=rt_arabic"),
    ("filter: source, all states", "/?state=all&source=rt_arabic"),
    ("filter: rule + severity", "/?rule=chlorine&severity=critical"),
    ("filter: language + dates", "/?lang=ar&since=2026-01-01&until=2026-03-31"),
    ("filter: language, all states", "/?state=all&lang=ar"),
    ("page 200", "/?state=all&page=200"),
    (TYPED, "/?state=all&page=2000"),
    ("search: common word", "/?q=%D8%A3%D8%B3%D8%AA%D8%A7%D9%86%D8%A7"),
    ("search: word in no item", "/?q=Khan+Shaykhun"),
    ("search: words never together", "/?q=%D8%A3%D8%B3%D8%AA%D8%A7%D9%86%D8%A7+chlorine"),
    ("search: 2-letter word (a scan)", "/?q=%D9%81%D9%8A"),
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
    if current_revision(db) is None:  # a new file: rows first, then the search index
        upgrade(db, BEFORE_SEARCH_INDEX)
        t0 = time.perf_counter()
        seed(path, args.items, args.unflagged, random.Random(9))
        print(f"seeded {args.items:,} flagged items and {args.unflagged:,} unflagged articles "
              f"in {time.perf_counter() - t0:.1f} s ({path})")
    t0 = time.perf_counter()
    upgrade(db)  # copies the file first, as every upgrade does: not kept here
    path.with_name(path.name + BACKUP_SUFFIX).unlink(missing_ok=True)
    print(f"migrated to the head revision in {time.perf_counter() - t0:.1f} s "
          "(a copy of the file, then the search index of the rows stored)")

    settings = Settings(review=ReviewSettings(users={"bench": hash_password("bench")},
                                              session_secret="bench-secret-bench-secret"))
    with TestClient(create_app(settings, db), base_url="http://127.0.0.1") as client:
        login = client.post("/login", data={"user": "bench", "password": "bench",
                                            "csrf": _csrf(client.get("/login").text)})
        assert login.status_code == 200 and "/login" not in str(login.url), "login failed"
        print(f"{'view':32} {'median ms':>10} {'p90 ms':>8}  target {TARGET_MS} ms")
        medians = {}
        deep = max(2, min(DEEP_PAGE, args.items // 50))  # a page that exists
        for name, url in [*VIEWS, *_linked(db, deep)]:
            median, p90 = timed(client, url, args.runs)
            medians[name] = median
            print(f"{name:32} {median:10.1f} {p90:8.1f}  {'ok' if median < TARGET_MS else 'SLOW'}")
    worst = max(m for name, m in medians.items() if name not in ("rules page", TYPED))
    print(f"queue views and searches, as the pages link them: worst median {worst:.1f} ms = "
          f"{worst / TARGET_MS:.2f} x target at {args.items:,} items; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    db.dispose()
    print(f"database {_size(path) / 2**30:.2f} GiB")
    return 0


def _linked(db: Database, page: int) -> list[tuple[str, str]]:
    """Deep pages of all states as the pages' links ask for them: page `page` after the
    last item of the page before ("older"), and the page before it, before the first item
    of page `page` ("newer")."""
    with db.session(readonly=True) as session:
        last = queue_page(session, QueueFilter(), page - 1).items[-1].id
        first = queue_page(session, QueueFilter(), page).items[0].id
    return [(f"page {page:,} from the older link", f"/?state=all&page={page}&after={last}"),
            (f"page {page - 1:,} from the newer link",
             f"/?state=all&page={page - 1}&before={first}")]


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "login form has no CSRF field"
    return found.group(1)


if __name__ == "__main__":
    sys.exit(main())

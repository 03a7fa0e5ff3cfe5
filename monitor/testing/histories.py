"""Synthetic story histories written straight into the store, as the pipeline leaves them.

For the trend tests, the review pages' tests and bench/trends.py: stories of one or more
items (copies, translations) matched by one rule, at chosen times or at a Poisson rate.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from monitor.store.db import Database
from monitor.store.models import Article, RuleMatchRow, Story
from monitor.trends.check import RuleInfo

CHLORINE = RuleInfo("chlorine", "Chlorine attacks", "critical", ("all",))
_ids = itertools.count(1)


def add_story(
    db: Database,
    when: datetime,
    rule: RuleInfo = CHLORINE,
    sources: Sequence[str] = ("etilaf",),
    languages: Sequence[str] = ("ar",),
    copies: int = 1,
    spacing: timedelta = timedelta(minutes=20),
    state: str = "new",
    title: str | None = None,
) -> int:
    """One story of `copies` items (sources and languages taken in turn); returns its id."""
    with db.session() as session:
        return _story(session, when, rule, sources, languages, copies, spacing, state, title)


def _story(
    session: Session,
    when: datetime,
    rule: RuleInfo,
    sources: Sequence[str],
    languages: Sequence[str],
    copies: int,
    spacing: timedelta,
    state: str,
    title: str | None,
) -> int:
    story = Story(title=title)
    session.add(story)
    session.flush()
    for i in range(copies):
        n = next(_ids)
        language = languages[i % len(languages)]
        article = Article(
            url=f"https://example.org/{n}",
            source_key=sources[i % len(sources)],
            language=language,
            title=title or f"{'بيان حول الكلور' if language == 'ar' else 'Chlorine'} {n}",
            text="نص",
            published_at=when + i * spacing,
            fetched_at=when + i * spacing,
            content_hash=f"h{n}",
            story_id=story.id,
            review_state=state,
        )
        article.matches.append(
            RuleMatchRow(
                rule_id=rule.id,
                rule_name=rule.name,
                severity=rule.severity,
                terms=["الكلور"],
                snippets=["الكلور"],
                spans=[],
            )
        )
        session.add(article)
    return story.id


def steady(
    db: Database,
    start: datetime,
    end: datetime,
    per_day: float,
    seed: int,
    rule: RuleInfo = CHLORINE,
    sources: Sequence[str] = ("etilaf", "rt_arabic", "state_dept"),
    weekend_factor: float = 1.0,
) -> int:
    """Stories at a steady Poisson rate (weekends scaled by `weekend_factor`); returns how many."""
    rng = random.Random(seed)
    made = 0
    when = start
    with db.session() as session:  # one transaction: hundreds of stories in well under a second
        while when < end:
            rate = per_day * (weekend_factor if when.weekday() >= 5 else 1.0)
            when += timedelta(days=rng.expovariate(rate)) if rate > 0 else timedelta(days=1)
            if when < end:
                source = [rng.choice(sources)]
                _story(session, when, rule, source, ("ar",), 1, timedelta(0), "new", None)
                made += 1
    return made

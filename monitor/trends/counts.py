"""Stories per rule over time, read from the store: the only SQL of monitor/trends.

A story counts once per rule, at the publication time of its first member that matched
the rule; for a rule at one source, at that source's first member. An article in no
story counts as a story of its own (key: minus its id). Undated articles are left out:
a back-fill of undated archive pages would otherwise look like a burst on the day it ran
(the outbox holds them back for the same reason), and "stories per day" needs a day.

Stories are found by grouping the matches published in a range. Copies of one story are
published within days of each other, so the range starts `STORY_SLACK` early and a story
is then dated by its first member in the extended range.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from monitor.store.models import Article, RuleMatchRow

STORY_SLACK = timedelta(days=7)
DECIDED = ("relevant", "not_relevant", "escalated")
NOT_RELEVANT = "not_relevant"


def story_key() -> Any:
    return func.coalesce(Article.story_id, -Article.id)


def midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _as_day(value: Any) -> date:
    # SQLite's date() gives text, PostgreSQL's a date
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _matched(since: datetime, until: datetime) -> Any:
    """Match rows joined to their dated articles published in [since, until]."""
    return (
        select()
        .select_from(RuleMatchRow)
        .join(Article, Article.id == RuleMatchRow.article_id)
        .where(Article.published_at >= since, Article.published_at <= until)
    )


@dataclass(frozen=True)
class StoryEvent:
    rule: str
    story: int
    source: str
    first: datetime  # the story's first member at this source that matched the rule


def story_events(session: Session, since: datetime, until: datetime) -> list[StoryEvent]:
    """Stories first seen at each source in [since, until], per rule (one row per
    rule x story x source); a rule's story is the earliest of its rows."""
    key = story_key().label("story")
    stmt = (
        _matched(since - STORY_SLACK, until)
        .add_columns(RuleMatchRow.rule_id, key, Article.source_key, func.min(Article.published_at))
        .group_by(RuleMatchRow.rule_id, key, Article.source_key)
    )
    return [
        StoryEvent(rule, story, source, _aware(first))
        for rule, story, source, first in session.execute(stmt)
        if _aware(first) >= since
    ]


def _aware(value: datetime) -> datetime:
    # min() over a column loses the column type on SQLite: naive text comes back
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def older_than(
    session: Session, since: datetime, rules: Iterable[str], sources: Iterable[str] = ()
) -> tuple[set[str], set[str]]:
    """The rules with a dated match, and the sources with a dated article, published
    before `since`: their history reaches back past any range that starts there.

    One indexed look-up each (the oldest rows come first in the rule and source indexes),
    where the earliest date of each would scan every match ever stored.
    """
    old_rules = {
        rule
        for rule in rules
        if session.scalar(
            select(RuleMatchRow.id)
            .join(Article, Article.id == RuleMatchRow.article_id)
            .where(RuleMatchRow.rule_id == rule, Article.published_at < since)
            .limit(1)
        )
    }
    old_sources = {
        source
        for source in sources
        if session.scalar(
            select(Article.id)
            .where(Article.source_key == source, Article.published_at < since)
            .limit(1)
        )
    }
    return old_rules, old_sources


@dataclass
class DailySeries:
    """One rule's stories per day from `start` on (index 0 is `start`)."""

    start: date
    stories: list[int]
    items: list[int]  # the members of those stories (copies and translations included)
    not_relevant: list[int]  # stories whose decided members were all marked not relevant
    decided: list[int]  # stories with at least one decided member

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(len(self.stories))]

    def since(self, day: date) -> DailySeries:
        cut = max(0, (day - self.start).days)
        return DailySeries(
            max(day, self.start),
            self.stories[cut:],
            self.items[cut:],
            self.not_relevant[cut:],
            self.decided[cut:],
        )


def daily_series(session: Session, start: date, end: date) -> dict[str, DailySeries]:
    """Stories per rule and UTC day for the days start..end (both included)."""
    key = story_key().label("story")
    decided = func.sum(case((Article.review_state.in_(DECIDED), 1), else_=0))
    rejected = func.sum(case((Article.review_state == NOT_RELEVANT, 1), else_=0))
    since = midnight(start)
    until = midnight(end + timedelta(days=1)) - timedelta(microseconds=1)
    stories = (
        _matched(since - STORY_SLACK, until)
        .add_columns(
            RuleMatchRow.rule_id.label("rule"),
            func.min(Article.published_at).label("first"),
            func.count().label("members"),
            decided.label("decided"),
            rejected.label("rejected"),
        )
        .group_by(RuleMatchRow.rule_id, key)
        .subquery()
    )
    day = func.date(stories.c.first)
    stmt = (
        select(
            stories.c.rule,
            day,
            func.count(),
            func.sum(stories.c.members),
            func.sum(
                case(
                    (
                        (stories.c.rejected > 0) & (stories.c.rejected == stories.c.decided),
                        1,
                    ),
                    else_=0,
                )
            ),
            func.sum(case((stories.c.decided > 0, 1), else_=0)),
        )
        .where(stories.c.first >= since)
        .group_by(stories.c.rule, day)
    )
    length = (end - start).days + 1
    out: dict[str, DailySeries] = {}
    for rule, value, count, items, not_relevant, decided_count in session.execute(stmt):
        series = out.get(rule) or out.setdefault(
            rule, DailySeries(start, *([0] * length for _ in range(4)))
        )
        index = (_as_day(value) - start).days
        if 0 <= index < length:
            series.stories[index] = count
            series.items[index] = int(items or 0)
            series.not_relevant[index] = int(not_relevant or 0)
            series.decided[index] = int(decided_count or 0)
    return out


def source_counts(session: Session, since: datetime, until: datetime) -> dict[str, dict[str, int]]:
    """Stories per rule and source first seen at that source in [since, until]."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for event in story_events(session, since, until):
        out[event.rule][event.source] = out[event.rule].get(event.source, 0) + 1
    return dict(out)


@dataclass(frozen=True)
class Member:
    id: int
    source: str
    language: str
    title: str
    url: str
    published: datetime | None
    published_is_date: bool
    state: str


@dataclass
class StoryView:
    """A story with its members (copies and translations), earliest first."""

    key: int
    members: list[Member]
    rules: list[str] = field(default_factory=list)

    @property
    def lead(self) -> Member:
        return self.members[0]

    @property
    def sources(self) -> list[str]:
        return sorted({m.source for m in self.members})

    @property
    def languages(self) -> list[str]:
        return sorted({m.language for m in self.members})


def stories(session: Session, keys: Iterable[int]) -> dict[int, StoryView]:
    """The members of these stories (dated members first, in publication order)."""
    keys = set(keys)
    story_ids = [k for k in keys if k > 0]
    article_ids = [-k for k in keys if k < 0]
    if not keys:
        return {}
    rows = session.execute(
        select(
            story_key(),
            Article.id,
            Article.source_key,
            Article.language,
            Article.title,
            Article.url,
            Article.published_at,
            Article.published_is_date,
            Article.review_state,
        )
        .where(or_(Article.story_id.in_(story_ids), Article.id.in_(article_ids)))
        .order_by(Article.published_at.is_(None), Article.published_at, Article.id)
    )
    out: dict[int, StoryView] = {}
    for key, *member in rows:
        out.setdefault(key, StoryView(key, [])).members.append(Member(*member))
    matched = session.execute(
        select(story_key(), RuleMatchRow.rule_id)
        .join(Article, Article.id == RuleMatchRow.article_id)
        .where(or_(Article.story_id.in_(story_ids), Article.id.in_(article_ids)))
        .distinct()
    )
    for key, rule in matched:
        if key in out:
            out[key].rules.append(rule)
    for view in out.values():
        view.rules.sort()
    return out


def ranked(views: Sequence[StoryView]) -> list[StoryView]:
    """Biggest stories first: most sources, then most members, then earliest."""
    return sorted(
        views,
        key=lambda v: (
            -len(v.sources),
            -len(v.members),
            v.lead.published or datetime.max.replace(tzinfo=UTC),
            v.key,
        ),
    )


def rule_names(session: Session, rules: Iterable[str]) -> dict[str, tuple[str, str]]:
    """(name, severity) per rule id, from each rule's newest match (one look-up each)."""
    out = {}
    for rule in rules:
        row = session.execute(
            select(RuleMatchRow.rule_name, RuleMatchRow.severity)
            .where(RuleMatchRow.rule_id == rule)
            .order_by(RuleMatchRow.id.desc())
            .limit(1)
        ).first()
        if row is not None:
            out[rule] = (row.rule_name, row.severity)
    return out


def top_story_keys(
    session: Session, since: datetime, until: datetime, limit: int, rule: str | None = None
) -> list[int]:
    """The stories with most sources, then most items, among those matched in the period."""
    key = story_key().label("story")
    stmt = (
        _matched(since, until)
        .add_columns(key)
        .group_by(key)
        .order_by(
            func.count(Article.source_key.distinct()).desc(),
            func.count(Article.id.distinct()).desc(),
            func.min(Article.published_at),
            key,
        )
        .limit(limit)
    )
    if rule is not None:
        stmt = stmt.where(RuleMatchRow.rule_id == rule)
    return list(session.scalars(stmt))

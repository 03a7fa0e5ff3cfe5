"""Edits and removals of flagged articles, as the report lists them: a small interface.

The report takes a `ChangeReader`: a function (session, since, until) -> `ChangeLog`.
`recorded_changes` reads the changes the re-checks record (`monitor/versions`:
edited, removed, moved, restored; a block page is a failed check, not a change).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.store.models import Article, ArticleChange, RuleMatchRow

EDITED, REMOVED, MOVED, RESTORED = "edited", "removed", "moved", "restored"
KINDS = (EDITED, REMOVED, MOVED, RESTORED)
PLURALS = {EDITED: "edits", REMOVED: "removals", MOVED: "moves", RESTORED: "restorations"}


@dataclass(frozen=True)
class ChangeRecord:
    """One change of one stored article."""

    article_id: int
    kind: str  # one of KINDS
    at: datetime  # when monitor saw the change (UTC)
    source: str
    title: str
    url: str
    rules: tuple[str, ...] = ()
    detail: str | None = None  # e.g. "HTTP 410", "rules stopped matching: chlorine"

    def as_json(self) -> dict[str, object]:
        return {
            "article_id": self.article_id,
            "kind": self.kind,
            "at": self.at.isoformat(),
            "source": self.source,
            "title": self.title,
            "url": self.url,
            "rules": list(self.rules),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class ChangeLog:
    records: list[ChangeRecord]

    @property
    def nothing(self) -> str:
        """What an empty log says."""
        return "No " + ", ".join(PLURALS[k] for k in KINDS) + " recorded in this period."


ChangeReader = Callable[[Session, datetime, datetime], ChangeLog]


def recorded_changes(session: Session, since: datetime, until: datetime) -> ChangeLog:
    """Changes of flagged articles detected in [since, until], oldest first."""
    flagged = select(RuleMatchRow.article_id).where(RuleMatchRow.article_id == Article.id)
    rows = session.execute(
        select(ArticleChange, Article.source_key, Article.title, Article.url)
        .join(Article, Article.id == ArticleChange.article_id)
        .where(ArticleChange.detected_at.between(since, until), flagged.exists())
        .order_by(ArticleChange.detected_at, ArticleChange.id)
    ).all()
    rules = rules_of(session, {change.article_id for change, *_ in rows})
    return ChangeLog(
        [
            ChangeRecord(
                change.article_id,
                change.kind,
                change.detected_at,
                source,
                title,
                change.new_url or url,
                rules.get(change.article_id, ()),
                change.detail,
            )
            for change, source, title, url in rows
        ]
    )


def rules_of(session: Session, article_ids: set[int]) -> dict[int, tuple[str, ...]]:
    """The rules each of these articles matched, sorted (for `ChangeRecord.rules`)."""
    found: dict[int, list[str]] = {}
    if article_ids:
        for article_id, rule in session.execute(
            select(RuleMatchRow.article_id, RuleMatchRow.rule_id).where(
                RuleMatchRow.article_id.in_(article_ids)
            )
        ):
            found.setdefault(article_id, []).append(rule)
    return {article_id: tuple(sorted(rules)) for article_id, rules in found.items()}

"""Edits and removals of flagged articles, as the report lists them: a small interface.

The report takes a `ChangeReader`: a function (session, since, until) -> `ChangeLog`. A
log names the kinds of change its reader can see (`tracked`), so the report can say
plainly what it does not know rather than print "no removals".

`refetched_edits` reads what the store records today: a flagged article whose page was
fetched again with a different text is re-extracted in place (`PageOutcome` "updated"),
and that fetch is kept as a raw page marked `done`; every such raw page after the first
is an edit. Removals, moves and restorations are not recorded by this version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from monitor.store.models import Article, RawPage, RuleMatchRow

# the kinds of issue 15's article_changes; a block page is a failed check, not a change
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
    tracked: tuple[str, ...]  # kinds the reader can see
    note: str | None = None  # how the changes were found, for the report's reader
    untracked: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "untracked", tuple(k for k in KINDS if k not in self.tracked))

    @property
    def nothing(self) -> str:
        """What an empty log says, e.g. "No edits recorded in this period."."""
        kinds = " or ".join(PLURALS.get(k, k) for k in self.tracked) or "changes"
        return f"No {kinds} recorded in this period."

    @property
    def not_tracked(self) -> str | None:
        if not self.untracked:
            return None
        return "Not tracked by this version: " + ", ".join(PLURALS[k] for k in self.untracked) + "."


ChangeReader = Callable[[Session, datetime, datetime], ChangeLog]


def refetched_edits(session: Session, since: datetime, until: datetime) -> ChangeLog:
    """Flagged articles fetched again with another text in [since, until]."""
    first = aliased(RawPage)
    first_done = (
        select(func.min(first.id))
        .where(first.article_id == RawPage.article_id, first.state == "done")
        .scalar_subquery()
    )
    flagged = select(RuleMatchRow.article_id).where(RuleMatchRow.article_id == Article.id)
    rows = session.execute(
        select(Article.id, RawPage.fetched_at, Article.source_key, Article.title, Article.url)
        .join(RawPage, RawPage.article_id == Article.id)
        .where(
            RawPage.state == "done",
            RawPage.fetched_at >= since,
            RawPage.fetched_at <= until,
            RawPage.id != first_done,
            flagged.exists(),
        )
        .order_by(RawPage.fetched_at, RawPage.id)
    ).all()
    rules = rules_of(session, {r[0] for r in rows})
    return ChangeLog(
        [
            ChangeRecord(id_, EDITED, at, source, title, url, rules.get(id_, ()))
            for id_, at, source, title, url in rows
        ],
        tracked=(EDITED,),
        note="edits: pages fetched again whose text changed; the article shows the newest text",
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

"""What the item page shows of an article's history: its edits as word-level diffs."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.review.queries import History
from monitor.store.models import ArticleChange, ArticleVersion
from monitor.versions.diff import Piece, word_diff


@dataclass
class EditView:
    change: ArticleChange
    before: ArticleVersion
    after: ArticleVersion
    title: list[Piece]
    text: list[Piece]


def edit_views(history: History) -> list[EditView]:
    """One diff per recorded edit, newest first (the versions it compares are kept)."""
    views = []
    for change in reversed(history.changes):
        before = history.version(change.from_version_id)
        after = history.version(change.to_version_id)
        if change.kind != "edited" or before is None or after is None:
            continue
        views.append(
            EditView(
                change,
                before,
                after,
                word_diff(before.title, after.title),
                word_diff(before.text, after.text),
            )
        )
    return views


def stopped_rules(history: History) -> set[str]:
    """Rules an earlier version matched that the current text no longer matches."""
    if not history.versions:
        return set()
    current = set(history.versions[-1].rules)
    return {rule for v in history.versions for rule in v.rules} - current

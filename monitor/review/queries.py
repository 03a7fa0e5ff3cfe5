"""The review queue's reads and writes: the only SQL behind `monitor queue` and the web UI.

Kept in one module so the web page and the CLI agree on what a filter means, and so the
queries that must stay fast sit together where their indexes can be checked: every queue
view and search under 200 ms at 1,000,000 flagged items (issue 19; `bench/review_queue.py`),
by capped counts and the text index of migration 0007.

JSON shape of one queue item (`monitor queue list --json`, `export --format json`,
`QueueItem.as_json`), a stable interface for scripts:

    {"id": 12, "url": "https://...", "source": "state_dept", "language": "en",
     "title": "...", "published": "2026-11-22T09:30:00+00:00" | "2026-11-22" | null,
     "fetched": "2026-11-22T09:41:07+00:00", "state": "new",
     "rules": ["chemical", "chlorine"], "severity": "high" | null,
     "story": 7 | null, "story_size": 3}

`published` is ISO 8601 in the offset the source gave (`2020-06-03T03:01:00+04:00`; UTC when
it gave none), or a bare date when the source gave only the day; the queue sorts on the
instant (UTC). `rules` are the ids
of the rules that matched, `severity` the highest of their severities, `story_size` the
number of items in the story (1 when the item is alone). The web queue also shows
`QueueItem.marks`, what re-checks found: `edited` (the text changed since first seen),
`removed` or `moved` (where it stands now).

`monitor queue show ID --json` (`ItemDetail.as_json`) adds:

    {"author": str | null, "text": "...",
     "matches": [{"rule": "chemical", "name": "...", "severity": "high",
                  "terms": [...], "snippets": [...], "spans": [[start, end], ...]}],
     "decisions": [{"state": "relevant", "note": "...", "who": "ana",
                    "at": "2026-11-22T10:00:00+00:00"}],
     "story_items": [{"id", "url", "source", "language", "title", "published", "state"}]}

`spans` index `monitor.domain.match_document(title, text)` (title, blank line, text).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    column,
    func,
    insert,
    or_,
    select,
    table,
    update,
)
from sqlalchemy.orm import Session, aliased

from monitor.store.models import (
    ENCODING_SUSPECT,
    SEARCH_FTS_TABLE,
    Article,
    ArticleChange,
    ArticleMark,
    ArticleVersion,
    ArticleWatch,
    ReviewDecision,
    RuleMatchRow,
)
from monitor.text.arabic import normalize_arabic

STATES = ("new", "relevant", "not_relevant", "escalated")
# Ascending. A severity a rule file invents that is not listed here ranks below all of these.
SEVERITIES = ("info", "low", "medium", "high", "critical")
MAX_NOTE = 4000
MAX_BULK = 500
SEARCH_PASS_ROWS = 5000
TRIGRAM = 3  # the shortest word the text index can look up
COUNT_CAP = 1000  # per state: counting stops here, the page shows "1000+"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_Query = TypeVar("_Query", bound=Select)  # type: ignore[type-arg]


@dataclass(frozen=True)
class QueueFilter:
    """What an analyst narrows the queue to. `state=None` means every state."""

    state: str | None = None
    source: str | None = None
    rule: str | None = None
    severity: str | None = None
    language: str | None = None
    since: date | None = None  # published on or after (UTC day)
    until: date | None = None  # published on or before (UTC day)
    search: str | None = None  # words, all of which must appear in the title or text
    story: int | None = None


@dataclass
class QueueItem:
    id: int
    url: str
    source: str
    language: str
    title: str
    published_at: datetime | None
    published_is_date: bool
    fetched_at: datetime
    state: str
    story_id: int | None
    published_offset_min: int | None = None  # the offset the source gave
    published_from: str | None = None
    source_timezone: str | None = None
    rules: list[str] = field(default_factory=list)
    encoding_suspect: bool = False  # text looks mis-decoded: listed though no rule matched
    severity: str | None = None
    story_size: int = 1
    marks: list[str] = field(default_factory=list)  # edited, removed, moved (re-checks)

    @property
    def published(self) -> str | None:
        return iso_published(self.published_at, self.published_is_date, self.published_offset_min)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "source": self.source,
            "language": self.language,
            "title": self.title,
            "published": self.published,
            "fetched": self.fetched_at.isoformat(),
            "state": self.state,
            "rules": self.rules,
            "severity": self.severity,
            "story": self.story_id,
            "story_size": self.story_size,
        }


@dataclass
class QueuePage:
    items: list[QueueItem]
    counts: dict[str, int]  # per state, under every filter but the state
    state: str | None
    page: int
    per_page: int
    at_least: frozenset[str] = frozenset()  # states whose count is a lower bound
    more: bool = False  # when the view's count is a lower bound: whether a next page exists

    @property
    def exact(self) -> bool:
        """Whether the count of the view shown is exact (so pages can be numbered)."""
        return not (self.at_least if self.state is None else self.state in self.at_least)

    @property
    def total(self) -> int:
        """Items in the view shown (the state's count, or all when no state is chosen)."""
        return self.counts.get(self.state, 0) if self.state else sum(self.counts.values())

    @property
    def has_next(self) -> bool:
        return self.page < self.pages if self.exact else self.more

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass
class Decision:
    state: str
    note: str | None
    who: str
    at: datetime

    def as_json(self) -> dict[str, Any]:
        return {"state": self.state, "note": self.note, "who": self.who, "at": self.at.isoformat()}


@dataclass
class ItemDetail:
    item: QueueItem
    author: str | None
    text: str
    matches: list[RuleMatchRow]
    decisions: list[Decision]
    story_items: list[QueueItem]

    def as_json(self) -> dict[str, Any]:
        return {
            **self.item.as_json(),
            "author": self.author,
            "text": self.text,
            "matches": [
                {
                    "rule": m.rule_id,
                    "name": m.rule_name,
                    "severity": m.severity,
                    "terms": m.terms,
                    "snippets": m.snippets,
                    "spans": m.spans,
                }
                for m in self.matches
            ],
            "decisions": [d.as_json() for d in self.decisions],
            "story_items": [
                {
                    k: v
                    for k, v in s.as_json().items()
                    if k in ("id", "url", "source", "language", "title", "published", "state")
                }
                for s in self.story_items
            ],
        }


@dataclass
class RuleStat:
    rule: str
    name: str
    severity: str
    hits: int
    decided: int
    not_relevant: int

    @property
    def noise(self) -> float | None:
        """Share of decided hits marked not_relevant; None until someone decided one."""
        return self.not_relevant / self.decided if self.decided else None


@dataclass
class FilterOptions:
    sources: list[str]
    rules: list[str]
    languages: list[str]
    severities: list[str]


def iso_published(
    value: datetime | None, is_date: bool, offset_min: int | None = None
) -> str | None:
    """ISO 8601 in the offset the source gave (UTC when it gave none), or the bare day."""
    if value is None:
        return None
    if is_date:
        return value.date().isoformat()
    if offset_min is not None:
        value = value.astimezone(timezone(timedelta(minutes=offset_min)))
    return value.isoformat()


def severity_rank(severity: str | None) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else -1


def highest_severity(severities: Sequence[str]) -> str | None:
    return max(severities, key=severity_rank, default=None)


_ITEM_COLUMNS = (
    Article.id,
    Article.url,
    Article.source_key,
    Article.language,
    Article.title,
    Article.published_at,
    Article.published_is_date,
    Article.fetched_at,
    Article.review_state,
    Article.story_id,
    Article.published_offset_min,
    Article.published_from,
    Article.source_timezone,
)


def _item(row: Any) -> QueueItem:
    return QueueItem(*row)


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _like_escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(session: Session, column: Any, term: str) -> ColumnElement[bool]:
    # SQLite's LIKE already ignores ASCII case; SQLAlchemy's ilike() would wrap both sides in
    # lower(), which costs a full scan of lower-cased text on every search.
    pattern = f"%{_like_escape(term)}%"
    if session.get_bind().dialect.name == "sqlite":
        return column.like(pattern, escape="\\")
    return column.ilike(pattern, escape="\\")


# SQLite's FTS5 trigram index of `Article.search_text` (migration 0007), kept in step by
# triggers: `rowid` is the article's id, the column named after the table takes MATCH.
_FTS = table(SEARCH_FTS_TABLE, column("rowid"), column(SEARCH_FTS_TABLE))


def _search_words(flt: QueueFilter) -> list[str]:
    return normalize_arabic(flt.search or "").split()


def _trigram_query(words: Sequence[str]) -> str | None:
    """An FTS5 query for rows holding every trigram of every word of three letters or more.

    The index keeps row ids only (no positions), so it answers which rows hold all these
    trigrams, a superset of the rows holding the words; LIKE then decides, as it always has,
    so results are the same as a scan's. None: no word is long enough (a scan it is).
    """
    trigrams = dict.fromkeys(
        word[i : i + TRIGRAM] for word in words for i in range(len(word) - TRIGRAM + 1)
    )
    quoted = ['"' + trigram.replace('"', '""') + '"' for trigram in trigrams]
    return " AND ".join(quoted) or None


def _indexed(session: Session, stmt: _Query, words: Sequence[str]) -> _Query:
    """Drive `stmt` from the text index's candidates (SQLite). PostgreSQL needs nothing:
    its planner takes the trigram index for the ILIKE itself."""
    query = _trigram_query(words)
    if query is None or session.get_bind().dialect.name != "sqlite":
        return stmt
    # A join with the index on the outside streams its row ids, so a LIMIT stops it early.
    return stmt.join_from(_FTS, Article, Article.id == _FTS.c.rowid).where(
        _FTS.c[SEARCH_FTS_TABLE].match(query)
    )


def _unindexed(session: Session, column: Any) -> Any:
    """The same text, through an expression SQLite's planner looks up in no index (its
    documented way to steer a plan; PostgreSQL has statistics and is left to choose)."""
    return column + "" if session.get_bind().dialect.name == "sqlite" else column


def _conditions(
    session: Session, flt: QueueFilter, *, with_state: bool = True, lead: bool = True
) -> list[Any]:
    """The filter as WHERE terms. Of the equalities, only the first given of story, state,
    source, language may use its index (`lead`; none when False), so SQLite walks that
    index in date order and stops after a page: left alone without statistics, it may
    take the language index (two values) and sort most of the table."""
    match_conds: list[Any] = [RuleMatchRow.article_id == Article.id]
    if flt.rule:
        match_conds.append(RuleMatchRow.rule_id == flt.rule)
    if flt.severity:
        match_conds.append(RuleMatchRow.severity == flt.severity)
    # Flagged: at least one rule matched. Selecting the indexed column (not `*`) lets SQLite
    # answer from the article_id index without reading match rows.
    flagged: ColumnElement[bool] = select(RuleMatchRow.article_id).where(*match_conds).exists()
    if not (flt.rule or flt.severity):  # or mis-decoded text, which no rule can match
        suspect = select(ArticleMark.article_id).where(
            ArticleMark.article_id == Article.id, ArticleMark.mark == ENCODING_SUSPECT
        )
        flagged = or_(flagged, suspect.exists())
    conds: list[Any] = [flagged]
    if flt.story is not None:
        conds.append(Article.story_id == flt.story)
        lead = False
    equalities = [
        (Article.review_state, flt.state if with_state else None),
        (Article.source_key, flt.source),
        (Article.language, flt.language),
    ]
    for col, value in equalities:
        if value:
            conds.append((col if lead else _unindexed(session, col)) == value)
            lead = False
    if flt.since:
        conds.append(Article.published_at >= _utc_midnight(flt.since))
    if flt.until:
        conds.append(Article.published_at < _utc_midnight(flt.until + timedelta(days=1)))
    for word in _search_words(flt):
        conds.append(_contains(session, Article.search_text, word))
    return conds


def _ordered(stmt: _Query) -> _Query:
    # Newest publication first; items with no known date after dated ones (SQLite's default
    # for DESC, spelled out for PostgreSQL), so both backends page in the same order.
    return stmt.order_by(Article.published_at.desc().nulls_last(), Article.id.desc())


def state_counts(
    session: Session, flt: QueueFilter, cap: int | None = None
) -> tuple[dict[str, int], frozenset[str]]:
    """Items per state under the filter, and the states whose count reached `cap`.

    One query per state, each reading at most cap + 1 rows from the state's index: the
    page costs the same at a million items as at a thousand (an exact count read every
    flagged item, 0.5 s at a million). A capped state counts as `cap`, shown "cap+".
    """
    conds = _conditions(session, flt, with_state=False, lead=False)
    state_column = (
        Article.review_state if flt.story is None else _unindexed(session, Article.review_state)
    )
    counts: dict[str, int] = {}
    for state in STATES:
        rows = select(Article.id).where(*conds, state_column == state)
        if cap is not None:
            rows = rows.limit(cap + 1)
        counts[state] = session.scalar(select(func.count()).select_from(rows.subquery())) or 0
    if cap is None:
        return counts, frozenset()
    return {s: min(n, cap) for s, n in counts.items()}, frozenset(
        s for s, n in counts.items() if n > cap
    )


def _annotate(session: Session, items: list[QueueItem]) -> list[QueueItem]:
    """Fill rules, severity and story size for one page of items (two small IN queries)."""
    if not items:
        return items
    by_id = {item.id: item for item in items}
    severities: dict[int, list[str]] = defaultdict(list)
    rows = session.execute(
        select(RuleMatchRow.article_id, RuleMatchRow.rule_id, RuleMatchRow.severity)
        .where(RuleMatchRow.article_id.in_(by_id))
        .order_by(RuleMatchRow.id)
    )
    for article_id, rule_id, severity in rows:
        by_id[article_id].rules.append(rule_id)
        severities[article_id].append(severity)
    for article_id, found in severities.items():
        by_id[article_id].severity = highest_severity(found)
    suspects = session.scalars(
        select(ArticleMark.article_id).where(
            ArticleMark.article_id.in_(by_id), ArticleMark.mark == ENCODING_SUSPECT
        )
    )
    for article_id in suspects:
        by_id[article_id].encoding_suspect = True
    story_ids = {item.story_id for item in items if item.story_id is not None}
    if story_ids:
        sizes: dict[int | None, int] = {
            story: n
            for story, n in session.execute(
                select(Article.story_id, func.count())
                .where(Article.story_id.in_(story_ids))
                .group_by(Article.story_id)
            )
        }
        for item in items:
            if item.story_id is not None:
                item.story_size = sizes.get(item.story_id, 1)
    _mark_changes(session, by_id)
    return items


def _items_by_id(session: Session, ids: list[int]) -> list[QueueItem]:
    rows = {
        row.id: row for row in session.execute(select(*_ITEM_COLUMNS).where(Article.id.in_(ids)))
    }
    return [_item(rows[i]) for i in ids if i in rows]


def _search_page(
    session: Session,
    flt: QueueFilter,
    page: int,
    per_page: int,
    after: int | None,
    before: int | None,
) -> QueuePage:
    """A page of a text search: one pass over the text index's candidates.

    The pass returns (id, state, date) for at most SEARCH_PASS_ROWS hits: with fewer,
    counts and page come from it (the sort repeats `_ordered`: newest first, undated last,
    highest id first); with more, the counts are lower bounds from the rows seen ("5000+")
    and the page comes from the ordered query on LIKE alone, which stops early because
    hits are dense (the index would hand it every hit to sort).
    """
    first_pass = select(Article.id, Article.review_state, Article.published_at).where(
        *_conditions(session, flt, with_state=False, lead=False)
    )
    first_pass = _indexed(session, first_pass, _search_words(flt))
    rows = session.execute(first_pass.limit(SEARCH_PASS_ROWS + 1)).all()
    counts = dict.fromkeys(STATES, 0)
    for _, state, _ in rows:
        counts[state] = counts.get(state, 0) + 1
    start = (page - 1) * per_page
    if len(rows) <= SEARCH_PASS_ROWS:
        chosen = [r for r in rows if flt.state is None or r[1] == flt.state]
        chosen.sort(key=lambda r: (r[2] is not None, r[2] or _EPOCH, r[0]), reverse=True)
        items = _items_by_id(session, [r[0] for r in chosen[start : start + per_page]])
        return QueuePage(items, counts, flt.state, page, per_page)
    items, more = _ordered_page(session, flt, page, per_page, after, before)
    return QueuePage(items, counts, flt.state, page, per_page, frozenset(STATES), more)


def _after(session: Session, after: int) -> list[ColumnElement[bool]] | None:
    """Where the items after item `after` lie in queue order, as index ranges in order:
    older dated items, then the undated ones (or the undated after it, when it has no
    date). A page there reads no row before it; OFFSET tests each of them for a rule
    match (0.15 s at item 100,000). None: no such item."""
    found = session.execute(select(Article.published_at).where(Article.id == after)).first()
    if found is None:
        return None
    published, undated = found[0], Article.published_at.is_(None)
    if published is None:
        return [and_(undated, Article.id < after)]
    older = or_(Article.published_at < published, Article.id < after)
    return [and_(Article.published_at <= published, older), undated]


def _before(session: Session, before: int) -> list[ColumnElement[bool]] | None:
    """`_after` backwards: the items before item `before`, nearest first (read in reverse
    queue order): newer dated items, or the undated before it and then every dated one."""
    found = session.execute(select(Article.published_at).where(Article.id == before)).first()
    if found is None:
        return None
    published = found[0]
    if published is None:
        return [
            and_(Article.published_at.is_(None), Article.id > before),
            Article.published_at.is_not(None),
        ]
    newer = or_(Article.published_at > published, Article.id > before)
    return [and_(Article.published_at >= published, newer)]


def _in_ranges(
    session: Session, stmt: _Query, ranges: list[ColumnElement[bool]], limit: int
) -> list[QueueItem]:
    items: list[QueueItem] = []
    for where in ranges:
        items += [
            _item(row) for row in session.execute(stmt.where(where).limit(limit - len(items)))
        ]
        if len(items) == limit:
            break
    return items


def _ordered_rows(
    session: Session, flt: QueueFilter, limit: int, offset: int = 0, after: int | None = None
) -> list[QueueItem]:
    """Items in queue order: `limit` of them after item `after`, else after `offset` rows."""
    stmt = _ordered(select(*_ITEM_COLUMNS).where(*_conditions(session, flt)))
    ranges = _after(session, after) if after is not None else None
    if ranges is None:
        return [_item(row) for row in session.execute(stmt.limit(limit).offset(offset))]
    return _in_ranges(session, stmt, ranges, limit)


def _rows_before(
    session: Session, flt: QueueFilter, limit: int, before: int
) -> list[QueueItem] | None:
    """The `limit` items just before item `before`, in queue order; None: no such item."""
    ranges = _before(session, before)
    if ranges is None:
        return None
    stmt = select(*_ITEM_COLUMNS).where(*_conditions(session, flt))
    stmt = stmt.order_by(Article.published_at.asc().nulls_first(), Article.id.asc())
    return _in_ranges(session, stmt, ranges, limit)[::-1]


def _ordered_page(
    session: Session,
    flt: QueueFilter,
    page: int,
    per_page: int,
    after: int | None = None,
    before: int | None = None,
) -> tuple[list[QueueItem], bool]:
    """One page in queue order, and whether another follows."""
    if before is not None and (items := _rows_before(session, flt, per_page, before)) is not None:
        return items, True  # item `before` follows
    items = _ordered_rows(session, flt, per_page + 1, (page - 1) * per_page, after)
    return items[:per_page], len(items) > per_page


def queue_page(
    session: Session,
    flt: QueueFilter,
    page: int = 1,
    per_page: int = 50,
    after: int | None = None,
    before: int | None = None,
) -> QueuePage:
    """Page `page` of the view. `after` (the last item of the page before) or `before`
    (the first item of the page after) make a deep page as quick as the first; `page`
    then only numbers it."""
    if flt.search and flt.search.split():
        result = _search_page(session, flt, page, per_page, after, before)
    else:
        counts, capped = state_counts(session, flt, COUNT_CAP)
        items, more = _ordered_page(session, flt, page, per_page, after, before)
        result = QueuePage(items, counts, flt.state, page, per_page, capped, more)
    _annotate(session, result.items)
    return result


def iter_queue(
    session: Session, flt: QueueFilter, limit: int | None = None, offset: int = 0, batch: int = 1000
) -> Iterator[QueueItem]:
    """Items of a filtered view in queue order, fetched in batches (for list and export);
    each batch starts after the last item of the one before, not at an offset."""
    done, last = 0, None
    while limit is None or done < limit:
        size = batch if limit is None else min(batch, limit - done)
        items = _ordered_rows(session, flt, size, offset + done, last)
        yield from _annotate(session, items)
        done += len(items)
        if len(items) < size:
            return
        last = items[-1].id


def item_detail(session: Session, article_id: int) -> ItemDetail | None:
    article = session.get(Article, article_id)
    if article is None:
        return None
    item = _annotate(
        session,
        [_item(session.execute(select(*_ITEM_COLUMNS).where(Article.id == article_id)).one())],
    )[0]
    decisions = [
        Decision(d.state, d.note, d.who, d.decided_at)
        for d in session.scalars(
            select(ReviewDecision)
            .where(ReviewDecision.article_id == article_id)
            .order_by(ReviewDecision.decided_at.desc(), ReviewDecision.id.desc())
        )
    ]
    story_items: list[QueueItem] = []
    if article.story_id is not None:
        story_items = [
            _item(row)
            for row in session.execute(
                _ordered(
                    select(*_ITEM_COLUMNS).where(
                        Article.story_id == article.story_id, Article.id != article_id
                    )
                ).limit(100)
            )
        ]
    return ItemDetail(
        item=item,
        author=article.author,
        text=article.text,
        matches=list(article.matches),
        decisions=decisions,
        story_items=story_items,
    )


def decide(
    session: Session,
    ids: Sequence[int],
    state: str,
    note: str | None,
    who: str,
    now: datetime | None = None,
) -> list[int]:
    """Set the review state of these items and record who decided; returns the ids found."""
    if state not in STATES:
        raise ValueError(f"unknown state {state!r} (one of {', '.join(STATES)})")
    if len(ids) > MAX_BULK:
        raise ValueError(f"at most {MAX_BULK} items at once")
    now = now or datetime.now(UTC)
    note = (note or "").strip()[:MAX_NOTE] or None
    found = list(session.scalars(select(Article.id).where(Article.id.in_(set(ids)))))
    if not found:
        return []
    session.execute(
        update(Article).where(Article.id.in_(found)).values(review_state=state, updated_at=now)
    )
    session.execute(
        insert(ReviewDecision),
        [
            {"article_id": i, "state": state, "note": note, "who": who, "decided_at": now}
            for i in found
        ],
    )
    return sorted(found)


def rule_stats(session: Session) -> list[RuleStat]:
    """Hits per rule and how analysts judged them, noisiest first.

    Two narrow queries instead of one join: hits come from the rule index alone (name and
    severity from each rule's newest match), decisions from the state index joined to
    matches, so neither reads article rows (a single join read one per match, 4x slower).
    """
    newest = aliased(RuleMatchRow)

    def latest(column: Any) -> Any:
        return (
            select(column)
            .where(newest.rule_id == RuleMatchRow.rule_id)
            .order_by(newest.id.desc())
            .limit(1)
            .scalar_subquery()
        )

    hits = session.execute(
        select(
            RuleMatchRow.rule_id, latest(newest.rule_name), latest(newest.severity), func.count()
        ).group_by(RuleMatchRow.rule_id)
    )
    judged: dict[tuple[str, str], int] = {
        (rule, state): n
        for rule, state, n in session.execute(
            select(RuleMatchRow.rule_id, Article.review_state, func.count())
            .join(Article, Article.id == RuleMatchRow.article_id)
            .where(Article.review_state.in_([s for s in STATES if s != "new"]))
            .group_by(RuleMatchRow.rule_id, Article.review_state)
        )
    }
    stats = [
        RuleStat(
            rule,
            name,
            severity,
            count,
            decided=sum(n for (r, _), n in judged.items() if r == rule),
            not_relevant=judged.get((rule, "not_relevant"), 0),
        )
        for rule, name, severity, count in hits
    ]
    return sorted(stats, key=lambda s: (-(s.noise or 0), -s.hits, s.rule))


def _distinct(session: Session, column: Any) -> list[str]:
    """The column's values in order, one index seek each: each step asks for the least
    value above the one before. SELECT DISTINCT reads the whole index instead (four of
    them took 1 s at a million items, on every page view once the options expired)."""
    found = select(func.min(column).label("value")).cte("found", recursive=True)
    following = select(column).where(column > found.c.value).order_by(column).limit(1)
    found = found.union_all(select(following.scalar_subquery()).where(found.c.value.is_not(None)))
    return sorted(v for v in session.scalars(select(found.c.value)) if v)


def filter_options(session: Session) -> FilterOptions:
    severities = _distinct(session, RuleMatchRow.severity)
    return FilterOptions(
        sources=_distinct(session, Article.source_key),
        rules=_distinct(session, RuleMatchRow.rule_id),
        languages=_distinct(session, Article.language),
        severities=sorted(severities, key=severity_rank, reverse=True),
    )


# -- re-checks: marks on the queue, versions and changes on the item page (issue 15) ------


def _mark_changes(session: Session, by_id: dict[int, QueueItem]) -> None:
    """`edited` if a re-check found an edit; `removed` / `moved` while the item is so."""
    edited = session.scalars(
        select(ArticleChange.article_id)
        .where(ArticleChange.article_id.in_(by_id), ArticleChange.kind == "edited")
        .distinct()
    )
    for article_id in edited:
        by_id[article_id].marks.append("edited")
    away = session.execute(
        select(ArticleWatch.article_id, ArticleWatch.availability).where(
            ArticleWatch.article_id.in_(by_id), ArticleWatch.availability != "live"
        )
    )
    for article_id, availability in away:
        by_id[article_id].marks.append(availability)


@dataclass
class History:
    """Versions and changes of one item, oldest first; `availability` is where it stands."""

    versions: list[ArticleVersion]
    changes: list[ArticleChange]
    availability: str

    def version(self, version_id: int | None) -> ArticleVersion | None:
        return next((v for v in self.versions if v.id == version_id), None)


def item_history(session: Session, article_id: int) -> History:
    versions = list(
        session.scalars(
            select(ArticleVersion)
            .where(ArticleVersion.article_id == article_id)
            .order_by(ArticleVersion.number)
        )
    )
    changes = list(
        session.scalars(
            select(ArticleChange)
            .where(ArticleChange.article_id == article_id)
            .order_by(ArticleChange.detected_at, ArticleChange.id)
        )
    )
    watch = session.get(ArticleWatch, article_id)
    return History(versions, changes, watch.availability if watch else "live")

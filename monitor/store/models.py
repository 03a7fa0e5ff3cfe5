"""SQLAlchemy 2.x models: the item store, the alert outbox and review state.

Types are chosen to behave the same on SQLite and PostgreSQL: datetimes are stored as
naive UTC and handed back aware; scraped text is cleaned of NUL and lone surrogates
(PostgreSQL rejects both, SQLite would store them silently).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in Python, naive UTC in the database (same on every backend)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


def clean_text(value: str) -> str:
    """Drop NUL and lone surrogates, which PostgreSQL refuses and no reader needs."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    return value.encode("utf-8", "replace").decode("utf-8") if _has_surrogate(value) else value


def _has_surrogate(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class CleanText(TypeDecorator[str]):
    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return clean_text(value) if value is not None else None


class Base(DeclarativeBase):
    pass


class Source(Base):
    __tablename__ = "sources"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    health_state: Mapped[str] = mapped_column(String(20), default="unknown")
    health_reason: Mapped[str | None] = mapped_column(Text)
    health_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_new_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_key: Mapped[str] = mapped_column(ForeignKey("sources.key"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(20), default="running")
    mode: Mapped[str] = mapped_column(String(20), default="fresh")
    discovery: Mapped[str | None] = mapped_column(String(40))  # feed / sitemap / listing
    found: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    blocked: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    bytes_received: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(String(200))
    # discovery (issue 13): links read, per-kind counts, silent failures found
    links: Mapped[int] = mapped_column(Integer, default=0)
    paths: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    problems: Mapped[list[str] | None] = mapped_column(JSON)


class FetchState(Base):
    """HTTP validators per feed/listing URL, so an unchanged poll costs a 304; for an article
    URL, only its status when it answered 404/410 or was stored under another URL."""

    __tablename__ = "fetch_states"

    url: Mapped[str] = mapped_column(String(2000), primary_key=True)
    source_key: Mapped[str] = mapped_column(String(64), index=True)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    last_status: Mapped[int | None] = mapped_column(Integer)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RawPage(Base):
    """A fetched response, zlib-compressed: evidence kept even if the page changes later."""

    __tablename__ = "raw_pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_key: Mapped[str] = mapped_column(String(64), index=True)
    url: Mapped[str] = mapped_column(String(2000), index=True)  # canonical public URL
    fetched_url: Mapped[str | None] = mapped_column(String(2000))
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # web-archive capture time
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[int] = mapped_column(Integer, default=200)
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    body_z: Mapped[bytes] = mapped_column(LargeBinary)
    body_sha256: Mapped[str] = mapped_column(String(64), index=True)
    feed: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    error_reason: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"))
    # the date the discovery path gave (feed, sitemap lastmod, listing), ISO 8601 as given:
    # a day or a datetime with its offset (evidence, never sorted on)
    listed_at: Mapped[str | None] = mapped_column(String(40))


class Story(Base):
    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lead_article_id: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(CleanText)


class Article(Base):
    __tablename__ = "articles"
    # The review queue's views (one state, source or language, newest first) read one of
    # these indexes in order and stop after one page, instead of sorting every item there.
    # The state's also holds source and language: its capped counts filter on them without
    # reading article rows. It serves every lookup by state (no index on the state alone:
    # SQLite would take one for its id order and read every item of the state to find the
    # undated ones at the end of the queue).
    __table_args__ = (
        Index(
            "ix_articles_state_published", "review_state", "published_at", "source_key", "language"
        ),
        Index("ix_articles_source_published", "source_key", "published_at"),
        Index("ix_articles_language_published", "language", "published_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_key: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(2000), unique=True)  # canonical URL
    language: Mapped[str] = mapped_column(String(8), default="und")
    title: Mapped[str] = mapped_column(CleanText, default="")
    text: Mapped[str] = mapped_column(CleanText, default="")
    # title + text through the rules' normaliser: the queue's search finds "الاسلحة" in
    # "الأسـ.لحة" and "helmets" in "Helmet's". Kept in step by the listener below.
    search_text: Mapped[str] = mapped_column(CleanText, default="")
    author: Mapped[str | None] = mapped_column(CleanText)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    published_offset_min: Mapped[int | None] = mapped_column(Integer)  # None: offset unknown
    published_is_date: Mapped[bool] = mapped_column(Boolean, default=False)
    published_from: Mapped[str | None] = mapped_column(String(40))
    # IANA zone a local time without offset was read in (None: the page gave the offset)
    published_timezone: Mapped[str | None] = mapped_column(String(64))
    source_timezone: Mapped[str | None] = mapped_column(String(64))  # the review shows it
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    raw_page_id: Mapped[int | None] = mapped_column(Integer)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id"), index=True)
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary)
    review_state: Mapped[str] = mapped_column(String(20), default="new")  # index: below
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    matches: Mapped[list[RuleMatchRow]] = relationship(
        back_populates="article", cascade="all, delete-orphan", order_by="RuleMatchRow.id"
    )


# The trend counts (monitor/trends/counts.py) read these columns of every article in a
# date range; with all of them in one index SQLite answers without reading article rows.
Index(
    "ix_articles_trends",
    Article.published_at,
    Article.story_id,
    Article.source_key,
    Article.review_state,
)

ENCODING_SUSPECT = "encoding_suspect"  # the text looks mis-decoded (monitor.extract)

# The queue search's text index, made by migration 0007 and not by these models (an FTS5
# table has no SQLAlchemy form; a GIN trigram index declared here would be a B-tree on
# SQLite): on SQLite `articles_fts` and its shadow tables, on PostgreSQL one index.
SEARCH_FTS_TABLE = "articles_fts"
SEARCH_INDEX_NAMES = frozenset(
    {
        SEARCH_FTS_TABLE,
        *(f"{SEARCH_FTS_TABLE}_{shadow}" for shadow in ("data", "idx", "docsize", "config")),
        "ix_articles_search_trgm",
    }
)


def include_name(name: str | None, _type: str, _parents: dict[str, str | None]) -> bool:
    """Alembic's filter: compare and autogenerate everything but the search index."""
    return name not in SEARCH_INDEX_NAMES


@event.listens_for(Article, "before_insert")
@event.listens_for(Article, "before_update")
def _fill_search_text(_mapper: Any, _conn: Any, article: Article) -> None:
    # imported here: the normaliser's tables (Unicode data, confusables) are many MB that a crawl
    # child, which stores raw pages and never an article, does not need
    from monitor.text.arabic import normalize_arabic

    article.search_text = normalize_arabic(f"{article.title or ''}\n{article.text or ''}")


class RuleMatchRow(Base):
    __tablename__ = "rule_matches"
    __table_args__ = (UniqueConstraint("article_id", "rule_id", name="uq_match_article_rule"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    rule_id: Mapped[str] = mapped_column(String(100), index=True)
    rule_name: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(20), index=True)
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    snippets: Mapped[list[str]] = mapped_column(JSON, default=list)
    spans: Mapped[list[list[int]]] = mapped_column(JSON, default=list)  # [start, end] in text
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    article: Mapped[Article] = relationship(back_populates="matches")


class Alert(Base):
    """Transactional outbox: one row per item x rule-set x channel, written with the article."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="item")  # item, digest, summary, health
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), index=True)
    story_id: Mapped[int | None] = mapped_column(Integer, index=True)
    channel: Mapped[str] = mapped_column(String(100), index=True)
    rules: Mapped[list[str]] = mapped_column(JSON, default=list)
    severity: Mapped[str | None] = mapped_column(String(20))
    # pending -> sending -> sent | retrying | failed; held (digest/flood) -> bundled
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(Integer, index=True)  # digest bundling it
    body: Mapped[str | None] = mapped_column(CleanText)  # for digest/summary/health messages
    title: Mapped[str | None] = mapped_column(CleanText)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # spike/briefing content
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReviewDecision(Base):
    """History of triage decisions; Article.review_state holds the current one."""

    __tablename__ = "review_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    state: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(CleanText)
    who: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RobotsTxt(Base):
    """Per public host: the last robots.txt that could be read, and how reading it goes.

    A crawl that cannot read robots.txt (5xx, timeout, refused, not a robots file) uses this
    copy while it is younger than `crawl.robots_max_age_hours`, else crawls nothing there.
    """

    __tablename__ = "robots_txt"

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    source_key: Mapped[str] = mapped_column(String(64), index=True)
    body: Mapped[str | None] = mapped_column(Text)  # the rules; None: no robots.txt (404/410)
    status: Mapped[int | None] = mapped_column(Integer)  # of the copy; None: never read
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when the copy was read
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # unreadable in a row
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))


class ArticleMark(Base):
    """An extraction flag that calls for a reader (`ENCODING_SUSPECT`), one row per article:
    the review queue finds these articles on an index, as it finds rule matches."""

    __tablename__ = "article_marks"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    mark: Mapped[str] = mapped_column(String(40), primary_key=True)


class Lock(Base):
    """Named leases: one daemon per database, one crawl per source across workers."""

    __tablename__ = "locks"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


# -- re-checks, versions and evidence (issue 15) -------------------------------------------


class Capture(Base):
    """One HTTP exchange exactly as received: evidence for a WARC export.

    `body_z` holds the entity body as the connection delivered it (chunked framing undone
    by Twisted, Content-Encoding NOT undone), so a gzip page is kept gzipped; raw_pages
    keeps the decoded page that extraction reads. Headers are name/value pairs in the
    order received (names as Twisted spells them).
    """

    __tablename__ = "captures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    raw_page_id: Mapped[int | None] = mapped_column(ForeignKey("raw_pages.id"), index=True)
    check_id: Mapped[int | None] = mapped_column(ForeignKey("article_checks.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)  # position in a redirect/retry chain
    url: Mapped[str] = mapped_column(String(2000))  # public URL
    fetched_url: Mapped[str] = mapped_column(String(2000))  # what was requested on the wire
    method: Mapped[str] = mapped_column(String(10), default="GET")
    request_headers: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    protocol: Mapped[str] = mapped_column(String(20), default="HTTP/1.1")
    status: Mapped[int] = mapped_column(Integer)
    response_headers: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    body_z: Mapped[bytes] = mapped_column(LargeBinary)
    body_sha256: Mapped[str] = mapped_column(String(64))
    body_length: Mapped[int] = mapped_column(Integer, default=0)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ArticleCheck(Base):
    """One re-check of an article: what the site answered, before it is interpreted."""

    __tablename__ = "article_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    reason: Mapped[str] = mapped_column(String(20), default="scheduled")  # scheduled | demand
    url: Mapped[str] = mapped_column(String(2000))  # the article's URL when checked
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # not_modified | same | fetched | gone | home | moved | offsite | blocked | error
    outcome: Mapped[str] = mapped_column(String(20))
    status: Mapped[int | None] = mapped_column(Integer)
    final_url: Mapped[str | None] = mapped_column(String(2000))
    raw_page_id: Mapped[int | None] = mapped_column(ForeignKey("raw_pages.id"))
    state: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    error: Mapped[str | None] = mapped_column(Text)


class ArticleVersion(Base):
    """The extracted title/text/date of one fetched version of an article."""

    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_id", "number", name="uq_version_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    raw_page_id: Mapped[int | None] = mapped_column(ForeignKey("raw_pages.id"), unique=True)
    url: Mapped[str] = mapped_column(String(2000))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(CleanText, default="")
    text: Mapped[str] = mapped_column(CleanText, default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_is_date: Mapped[bool] = mapped_column(Boolean, default=False)
    rules: Mapped[list[str]] = mapped_column(JSON, default=list)  # rule ids matching this text
    text_key: Mapped[str] = mapped_column(String(64))  # hash of the text that matters
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ArticleChange(Base):
    """A change that matters: edited, removed, moved or restored (once per change)."""

    __tablename__ = "article_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    check_id: Mapped[int | None] = mapped_column(ForeignKey("article_checks.id"))
    from_version_id: Mapped[int | None] = mapped_column(ForeignKey("article_versions.id"))
    to_version_id: Mapped[int | None] = mapped_column(ForeignKey("article_versions.id"))
    old_url: Mapped[str | None] = mapped_column(String(2000))
    new_url: Mapped[str | None] = mapped_column(String(2000))
    status: Mapped[int | None] = mapped_column(Integer)
    rules_started: Mapped[list[str]] = mapped_column(JSON, default=list)
    rules_stopped: Mapped[list[str]] = mapped_column(JSON, default=list)
    detail: Mapped[str | None] = mapped_column(CleanText)


class ArticleWatch(Base):
    """Re-check state of one article: where it stands and the validators to send."""

    __tablename__ = "article_watch"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True)
    availability: Mapped[str] = mapped_column(String(20), default="live")  # live|removed|moved
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_outcome: Mapped[str | None] = mapped_column(String(20))
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    body_sha256: Mapped[str | None] = mapped_column(String(64))  # of the last decoded 200 body


# -- trends (issue 16) ----------------------------------------------------------------------


class SpikeEpisode(Base):
    """A run of spike checks that found a rule unusually busy (over all sources, or at
    `source_key`, whichever the check found first). Opened, and alerted, by the first check
    that finds the spike; open while checks still find one; closed after
    `trends.quiet_hours` without one. One episode per rule at a time."""

    __tablename__ = "spike_episodes"
    __table_args__ = (Index("ix_spike_episodes_open", "rule_id", "closed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(100))
    source_key: Mapped[str | None] = mapped_column(String(64))  # None: all sources together
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_spike_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_hours: Mapped[int] = mapped_column(Integer)
    stories: Mapped[int] = mapped_column(Integer)  # in the window, when it opened
    peak: Mapped[int] = mapped_column(Integer)  # most stories in one window while open
    expected: Mapped[float] = mapped_column(Float)  # baseline stories per window
    usual_low: Mapped[int] = mapped_column(Integer)
    usual_high: Mapped[int] = mapped_column(Integer)
    p_value: Mapped[float] = mapped_column(Float)
    sources: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # stories per source
    story_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # top stories, best first


class TrendRule(Base):
    """When the spike check first saw a rule: its history starts no later than that."""

    __tablename__ = "trend_rules"

    rule_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    first_checked_at: Mapped[datetime] = mapped_column(UTCDateTime)

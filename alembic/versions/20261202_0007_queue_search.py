"""queue at a million items: search on the database's text index (FTS5 trigrams on SQLite,
pg_trgm on PostgreSQL); state, source and language views on indexes in date order

The text index cannot be said in the models (SQLAlchemy has no FTS5 table, and a GIN
trigram index declared there would become a B-tree on SQLite), so it is written out here
and left out of the models comparison by name (`monitor.store.models.SEARCH_INDEX_NAMES`);
the other indexes are in the models.

SQLite: `articles_fts` indexes `articles.search_text` (external content: the text is not
stored twice) with the trigram tokenizer and `detail=none` (row ids only, no positions:
the queue uses it to find candidate rows, and LIKE on `search_text` decides, as before).
Triggers keep it in step with every writer. A later migration that rebuilds `articles` in
batch mode drops these triggers with the old table and must create them again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 05:50:00
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SQLITE_UP = (
    (
        "CREATE VIRTUAL TABLE articles_fts USING fts5("
        "search_text, content='articles', content_rowid='id', tokenize='trigram', detail=none)"
    ),
    (
        "CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN "
        "INSERT INTO articles_fts(rowid, search_text) VALUES (new.id, new.search_text); END"
    ),
    (
        "CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN "
        "INSERT INTO articles_fts(articles_fts, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); END"
    ),
    (
        "CREATE TRIGGER articles_fts_update AFTER UPDATE OF id, search_text ON articles BEGIN "
        "INSERT INTO articles_fts(articles_fts, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); "
        "INSERT INTO articles_fts(rowid, search_text) VALUES (new.id, new.search_text); END"
    ),
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",  # the rows already stored
)
SQLITE_DOWN = (
    "DROP TRIGGER articles_fts_update",
    "DROP TRIGGER articles_fts_delete",
    "DROP TRIGGER articles_fts_insert",
    "DROP TABLE articles_fts",
)
# pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
POSTGRESQL_UP = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_articles_search_trgm ON articles USING gin (search_text gin_trgm_ops)",
)
# The extension stays: other objects in the database may use it.
POSTGRESQL_DOWN = ("DROP INDEX ix_articles_search_trgm",)


def _run(statements: dict[str, tuple[str, ...]]) -> None:
    for statement in statements.get(op.get_bind().dialect.name, ()):
        op.execute(statement)


# The queue's views in date order, past the first page too: (name, columns) before and
# after. Source and language get an index of their own in date order (replacing the one on
# their column alone); the state's also covers source and language, for the capped counts.
# Plain (not batch) index operations: a batch on SQLite may copy the table, which would
# drop the search triggers.
STATE = "ix_articles_state_published"
INDEXES = (
    (
        (STATE, ["review_state", "published_at"]),
        (STATE, ["review_state", "published_at", "source_key", "language"]),
    ),
    (
        ("ix_articles_source_key", ["source_key"]),
        ("ix_articles_source_published", ["source_key", "published_at"]),
    ),
    (
        ("ix_articles_language", ["language"]),
        ("ix_articles_language_published", ["language", "published_at"]),
    ),
)


def _swap(indexes: tuple[tuple[str, list[str]], tuple[str, list[str]]]) -> None:
    (old, _), (new, columns) = indexes
    op.drop_index(old, table_name="articles")
    op.create_index(new, "articles", columns)


# Lookups by state go to the state's index above. Kept, this one would be taken for its
# id order by the undated end of the queue, which would read every item of the state.
STATE_ALONE = ("ix_articles_review_state", ["review_state"])


def upgrade() -> None:
    for before, after in INDEXES:
        _swap((before, after))
    op.drop_index(STATE_ALONE[0], table_name="articles")
    _run({"sqlite": SQLITE_UP, "postgresql": POSTGRESQL_UP})


def downgrade() -> None:
    _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRESQL_DOWN})
    op.create_index(STATE_ALONE[0], "articles", STATE_ALONE[1])
    for before, after in INDEXES:
        _swap((after, before))

"""The migration builds exactly the schema the models describe, on an empty database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from monitor.review.queries import QueueFilter, queue_page
from monitor.store.db import Database
from monitor.store.migrate import (
    SchemaError,
    current_revision,
    head_revision,
    require_current,
    schema_drift,
    upgrade,
)
from monitor.store.models import SEARCH_FTS_TABLE, Article, RuleMatchRow


def test_upgrade_matches_models(any_db: Database) -> None:
    assert schema_drift(any_db) == []
    assert current_revision(any_db) == head_revision(any_db)


def test_sqlite_runs_in_wal_mode(db: Database) -> None:
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_old_schema_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    empty = Database(f"sqlite:///{tmp_path / 'old.db'}")
    with pytest.raises(SchemaError, match="monitor db upgrade"):
        require_current(empty)
    upgrade(empty)
    require_current(empty)


def test_readonly_session_does_not_block_a_writer(db: Database) -> None:
    with db.session(readonly=True) as reader:
        reader.execute(text("SELECT count(*) FROM articles")).scalar()
        with db.session() as writer:  # would wait busy_timeout if the reader held the lock
            writer.execute(text("INSERT INTO locks (name, owner, expires_at) "
                                "VALUES ('x', 'me', '2030-01-01 00:00:00')"))
    with db.session(readonly=True) as s:
        assert s.execute(text("SELECT owner FROM locks")).scalar() == "me"


def test_rows_stored_before_the_search_index_are_found_after_the_upgrade(
    any_db_url: str,
) -> None:
    db = Database(any_db_url)
    upgrade(db, "0006")
    with db.session() as session:
        article = Article(
            url="https://www.state.gov/r/1", source_key="state_dept", title="Sarin",
            text="Found in Khan Shaykhun.", content_hash="h1",
            matches=[RuleMatchRow(rule_id="sarin", rule_name="Sarin", severity="high")])
        session.add(article)
    upgrade(db)
    with db.session() as session:
        page = queue_page(session, QueueFilter(search="shaykhun"))
        assert [item.id for item in page.items] == [article.id]
        assert not queue_page(session, QueueFilter(search="idlib")).items
    db.dispose()


def test_only_the_search_index_is_left_out_of_the_comparison(any_db: Database) -> None:
    """The search index is there, and an index the models do not know is still reported."""
    found = inspect(any_db.engine)
    if any_db.is_sqlite:
        assert SEARCH_FTS_TABLE in found.get_table_names()
    else:
        assert "ix_articles_search_trgm" in {i["name"] for i in found.get_indexes("articles")}
    with any_db.engine.begin() as conn:
        conn.execute(text("CREATE INDEX ix_articles_stray ON articles (author)"))
    assert [diff[0] for diff in schema_drift(any_db)] == ["remove_index"]

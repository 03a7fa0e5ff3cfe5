"""The queue's filters, counts, ordering and decisions, straight on the query layer."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import event, update

from monitor.review import queries
from monitor.review.queries import QueueFilter
from monitor.store.db import Database
from monitor.store.models import Article, ReviewDecision


@pytest.fixture
def db(any_db: Database) -> Database:
    """These queries run on SQLite and on PostgreSQL."""
    return any_db


def ids(db: Database, flt: QueueFilter) -> list[int]:
    with db.session() as session:
        return [item.id for item in queries.iter_queue(session, flt)]


def test_only_flagged_items_newest_first(db: Database, items: dict[str, int]) -> None:
    assert ids(db, QueueFilter()) == [
        items["xss"], items["chlorine_ar"], items["chlorine_en"], items["astana_en"]]


@pytest.mark.parametrize(("flt", "expected"), [
    (QueueFilter(source="state_dept"), ["chlorine_en"]),
    (QueueFilter(rule="chemical"), ["chlorine_ar"]),
    (QueueFilter(severity="low"), ["astana_en"]),
    (QueueFilter(rule="chlorine", severity="critical", language="ar"), ["chlorine_ar"]),
    (QueueFilter(language="en", since=date(2026, 11, 19)), ["xss", "chlorine_en"]),
    (QueueFilter(until=date(2026, 11, 20)), ["chlorine_ar", "chlorine_en", "astana_en"]),
    (QueueFilter(since=date(2026, 11, 20), until=date(2026, 11, 20)),
     ["chlorine_ar", "chlorine_en"]),
    (QueueFilter(search="الخوذ"), ["chlorine_ar"]),
    (QueueFilter(search="ASTANA agreement"), ["astana_en"]),  # every word, any case
    (QueueFilter(search="100%"), []),  # LIKE wildcards are literal
    (QueueFilter(search="ادلب"), ["chlorine_ar"]),  # normalised: إدلب without its hamza
    (QueueFilter(search="الكلـ.ور"), ["chlorine_ar"]),  # an obfuscated query still finds it
    (QueueFilter(search="helmet's"), ["chlorine_en"]),  # possessive and plural folded
    (QueueFilter(search="طقس"), []),  # the unflagged item never shows
])
def test_filters(db: Database, items: dict[str, int], flt: QueueFilter,
                 expected: list[str]) -> None:
    assert ids(db, flt) == [items[k] for k in expected]


def test_counts_per_state_ignore_the_state_filter(db: Database, items: dict[str, int]) -> None:
    with db.session() as session:
        queries.decide(session, [items["astana_en"]], "not_relevant", None, "ana")
        page = queries.queue_page(session, QueueFilter(state="new"), per_page=2)
    assert page.counts == {"new": 3, "relevant": 0, "not_relevant": 1, "escalated": 0}
    assert page.total == 3 and page.pages == 2 and page.has_next
    assert [i.id for i in page.items] == [items["xss"], items["chlorine_ar"]]


def test_page_items_carry_rules_severity_and_story(db: Database, items: dict[str, int]) -> None:
    with db.session() as session:
        page = queries.queue_page(session, QueueFilter(language="ar"))
    (item,) = page.items
    assert item.rules == ["chlorine", "white_helmets", "chemical"]
    assert item.severity == "critical"
    assert item.story_size == 2 and item.story_id is not None


def test_decide_updates_state_and_history(db: Database, items: dict[str, int]) -> None:
    with db.session() as session:
        done = queries.decide(session, [items["chlorine_en"], 99999], "escalated",
                              "  call the desk  ", "ana")
    assert done == [items["chlorine_en"]]
    with db.session() as session:
        assert session.get(Article, items["chlorine_en"]).review_state == "escalated"
        (decision,) = session.query(ReviewDecision).all()
        assert (decision.state, decision.note, decision.who) == ("escalated", "call the desk", "ana")
        detail = queries.item_detail(session, items["chlorine_en"])
    assert detail is not None and detail.decisions[0].state == "escalated"
    assert [s.id for s in detail.story_items] == [items["chlorine_ar"]]


def test_decide_refuses_unknown_state(db: Database, items: dict[str, int]) -> None:
    with db.session() as session, pytest.raises(ValueError, match="unknown state"):
        queries.decide(session, [items["chlorine_en"]], "delete", None, "ana")


def test_rule_stats_show_noise(db: Database, items: dict[str, int]) -> None:
    with db.session() as session:
        queries.decide(session, [items["xss"]], "not_relevant", None, "ana")
        queries.decide(session, [items["chlorine_en"]], "relevant", None, "ana")
        stats = {s.rule: s for s in queries.rule_stats(session)}
    chlorine = stats["chlorine"]
    assert (chlorine.hits, chlorine.decided, chlorine.not_relevant) == (3, 2, 1)
    assert chlorine.noise == 0.5
    assert stats["astana"].noise is None


def test_json_shape(db: Database, items: dict[str, int]) -> None:
    with db.session() as session:
        (item,) = queries.iter_queue(session, QueueFilter(source="state_dept"))
    assert item.as_json() == {
        "id": items["chlorine_en"], "url": "https://www.state.gov/chlorine-attack-statement/",
        "source": "state_dept", "language": "en",
        "title": "Statement on the Chlorine Attack in Idlib",
        "published": "2026-11-20T14:30:00+00:00", "fetched": "2026-11-20T14:30:00+00:00",
        "state": "new", "rules": ["chlorine", "white_helmets"], "severity": "critical",
        "story": item.story_id, "story_size": 2,
    }


@pytest.mark.parametrize("pass_rows", [5000, 1])  # one pass, or lower bounds + ordered query
@pytest.mark.parametrize("state", [None, "new", "relevant"])
def test_search_page_orders_like_the_plain_path(
        db: Database, items: dict[str, int], state: str | None, pass_rows: int,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queries, "SEARCH_PASS_ROWS", pass_rows)
    with db.session() as session:
        queries.decide(session, [items["chlorine_en"]], "relevant", None, "ana")
        session.execute(update(Article).where(Article.id == items["astana_en"])
                        .values(published_at=None))
        session.execute(update(Article).where(Article.id == items["chlorine_ar"])
                        .values(published_at=datetime(2026, 11, 21, 10, tzinfo=UTC)))
    flt = QueueFilter(state=state, search="e")  # in every English item, not the Arabic one
    with db.session() as session:
        first = queries.queue_page(session, flt, per_page=1)
        counts, _ = queries.state_counts(session, flt)
        in_sql_order = [i.id for i in queries.iter_queue(session, flt)]
    assert sum(counts.values()) == 3
    assert [i.id for i in first.items] == in_sql_order[:1]
    assert first.items[0].rules
    assert first.has_next == (len(in_sql_order) > 1)
    if pass_rows > 3:
        assert first.exact and first.counts == counts
    else:
        assert not first.exact and all(first.counts[s] <= counts[s] for s in counts)


SEARCHES = [
    "chlorine", "CHLORINE attack", "hlorin", "lorine atta", "idlib astana", "e", "of",
    "ادلب في", "الكلـ.ور", "ريف إدلب", "helmet's", '"quoted" chlorine', "100%", "a_b",
    "<script>", "onerror=alert", "طقس", "khan shaykhun", "دمشق", "ال",
]


@pytest.mark.parametrize("state", [None, "new"])
def test_indexed_search_finds_what_a_scan_finds(
        db: Database, items: dict[str, int], state: str | None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The text index only narrows the rows LIKE reads: every query gives what a plain
    scan gives (the scan: the index switched off)."""
    def search(text: str) -> tuple[list[int], dict[str, int]]:
        with db.session() as session:
            page = queries.queue_page(session, QueueFilter(state=state, search=text))
        return [i.id for i in page.items], page.counts

    indexed = {text: search(text) for text in SEARCHES}
    monkeypatch.setattr(queries, "_trigram_query", lambda words: None)
    assert {text: search(text) for text in SEARCHES} == indexed
    assert indexed["hlorin"][0] == [items["xss"], items["chlorine_en"]]  # inside a word


def test_search_follows_edits_and_deletions(db: Database, items: dict[str, int]) -> None:
    """The index is kept in step by the database (triggers on SQLite), whoever writes."""
    def found(text: str) -> list[int]:
        with db.session() as session:
            return [i.id for i in queries.queue_page(session, QueueFilter(search=text)).items]

    with db.session() as session:
        article = session.get(Article, items["astana_en"])
        article.text = "Talks on Khan Shaykhun ended."
    assert found("shaykhun") == [items["astana_en"]] and found("detainees") == []
    with db.session() as session:
        session.execute(update(Article).where(Article.id == items["chlorine_en"])
                        .values(search_text="rewritten by hand"))
    assert found("rewritten") == [items["chlorine_en"]] and found("province") == []
    with db.session() as session:
        article = session.get(Article, items["astana_en"])
        session.delete(article)
    assert found("shaykhun") == []


@pytest.mark.parametrize("flt", [QueueFilter(), QueueFilter(state="new"),
                                 QueueFilter(language="en"), QueueFilter(search="e")])
def test_pages_after_and_before_an_item_are_the_pages_at_an_offset(
        db: Database, items: dict[str, int], flt: QueueFilter,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Keyset pages (after the last item shown, before the first) walk the same order as
    OFFSET pages, through items with the same date and past the undated ones."""
    monkeypatch.setattr(queries, "SEARCH_PASS_ROWS", 1)  # a search pages in SQL too
    with db.session() as session:
        session.execute(update(Article).where(Article.id.in_([items["astana_en"], items["xss"]]))
                        .values(published_at=None))
        session.execute(update(Article).where(Article.id == items["chlorine_ar"])
                        .values(published_at=datetime(2026, 11, 20, 14, 30, tzinfo=UTC)))
    with db.session() as session:
        whole = [i.id for i in queries.queue_page(session, flt, per_page=50).items]
        walked, after = [], None
        for page in range(1, 6):
            result = queries.queue_page(session, flt, page, per_page=1, after=after)
            walked += [i.id for i in result.items]
            if not result.has_next:
                break
            after = result.items[-1].id
        back, before = [], walked[-1]
        for page in range(len(walked) - 1, 0, -1):  # and back, before the first item shown
            result = queries.queue_page(session, flt, page, per_page=1, before=before)
            assert result.has_next
            back, before = [i.id for i in result.items] + back, result.items[0].id
        batched = [i.id for i in queries.iter_queue(session, flt, batch=1)]
    assert walked == whole == batched == [*back, walked[-1]] and len(whole) >= 2


def test_filter_options_list_every_value_once(db: Database, items: dict[str, int]) -> None:
    with db.session() as session:
        options = queries.filter_options(session)
    assert options.sources == ["etilaf", "rt_arabic", "state_dept"]
    assert options.rules == ["astana", "chemical", "chlorine", "white_helmets"]
    assert options.languages == ["ar", "en"]
    assert options.severities == ["critical", "high", "medium", "low"]


@pytest.mark.parametrize("flt", [
    QueueFilter(state="new"), QueueFilter(), QueueFilter(source="state_dept"),
    QueueFilter(state="escalated", source="state_dept"),
    QueueFilter(language="ar"), QueueFilter(state="new", source="state_dept", language="en"),
    QueueFilter(rule="chlorine", severity="critical"),
    QueueFilter(language="en", since=date(2026, 11, 1), until=date(2026, 11, 30)),
])
def test_queue_views_walk_an_index_in_date_order(
        db: Database, items: dict[str, int], flt: QueueFilter) -> None:
    """No statement behind a queue page sorts or scans the articles: each walks one index
    in date order and stops (SQLite has no statistics here, so the plan is the same with
    five items as with a million)."""
    if not db.is_sqlite:
        pytest.skip("SQLite's plans; PostgreSQL plans by its statistics")
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, sql: str, params: Any, *_: Any) -> None:
        statements.append((sql, params))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        with db.session() as session:
            queries.queue_page(session, flt, page=2, per_page=1, after=items["chlorine_en"])
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    with db.engine.connect() as conn:
        explained = [(sql, " / ".join(row[3] for row in conn.exec_driver_sql(
                         f"EXPLAIN QUERY PLAN {sql}", params)))
                     for sql, params in statements if "FROM articles" in sql]
    plans = [plan for _, plan in explained]
    # a count per state, each from an index of the state that holds source and language
    counts = [plan for sql, plan in explained if "count(*)" in sql]
    assert len(counts) == len(queries.STATES)
    assert all(re.search(r"COVERING INDEX ix_articles_(review_state|state_published) "
                         r"\(review_state=", plan) for plan in counts)
    pages = [plan for sql, plan in explained if "ORDER BY articles.published_at" in sql]
    if flt.state:  # the state leads: its index, not that of a source or language it holds
        assert "INDEX ix_articles_state_published (review_state=? AND published_at" in pages[0]
    # "RIGHT PART OF ORDER BY": ids sorted among items of one same instant, as they stream
    sorts = [p for p in plans if re.search(r"TEMP B-TREE FOR (?!RIGHT PART)", p)]
    scans = [p for p in plans if re.search(r"SCAN articles(?! USING)", p)]
    assert sorts == scans == []

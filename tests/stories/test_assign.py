"""Stories in the store: assignment, members, and an index that follows the database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from monitor.store import models
from monitor.store.db import Database
from monitor.store.migrate import upgrade
from monitor.stories import assign_story, index_for, story_members
from monitor.stories.evaluate import Doc


def store(db: Database, doc: Doc) -> int:
    with db.session() as session:
        article = models.Article(
            url=doc.url, source_key=doc.source, language=doc.language, title=doc.title,
            text=doc.text, content_hash=doc.id,
            published_at=datetime.combine(doc.published, datetime.min.time(), UTC))
        session.add(article)
        session.flush()
        assign_story(session, article)
        return article.id


def story_of(db: Database, article_id: int) -> int | None:
    with db.session() as session:
        return session.get_one(models.Article, article_id).story_id


def test_copies_and_translations_share_a_story_and_list_as_members(
    any_db: Database, documents: dict[str, Doc]
) -> None:
    db = any_db
    ids = {key: store(db, documents[key])
           for key in ("a_pr_ar", "a_other_ar", "a_report_ar", "a_pr_en")}
    story = story_of(db, ids["a_pr_ar"])
    assert story_of(db, ids["a_report_ar"]) == story_of(db, ids["a_pr_en"]) == story
    assert story_of(db, ids["a_other_ar"]) != story
    with db.session() as session:
        members = story_members(session, story)
        assert [m.id for m in members] == [ids["a_pr_ar"], ids["a_report_ar"], ids["a_pr_en"]]
        lead = session.get_one(models.Story, story)
        assert lead.lead_article_id == ids["a_pr_ar"] and lead.title == documents["a_pr_ar"].title


def test_index_is_rebuilt_from_stored_fingerprints_without_the_texts(
    any_db_url: str, documents: dict[str, Doc]
) -> None:
    url = any_db_url
    first = Database(url)
    upgrade(first)
    release = store(first, documents["b_sd_en"])
    first.dispose()
    restarted = Database(url)  # a new process: a new engine, an empty index
    with restarted.session() as session:  # fingerprints must suffice: blank the texts
        session.execute(update(models.Article).values(text="", title=""))
    report = store(restarted, documents["b_report_en"])
    assert story_of(restarted, report) == story_of(restarted, release)
    restarted.dispose()


def test_a_rolled_back_article_never_reaches_the_index(
    db: Database, documents: dict[str, Doc]
) -> None:
    with pytest.raises(RuntimeError), db.session() as session:
        article = models.Article(url="https://x/1", source_key="etilaf", language="ar",
                                 title=documents["a_pr_ar"].title,
                                 text=documents["a_pr_ar"].text, content_hash="x")
        session.add(article)
        session.flush()
        assign_story(session, article)
        with session.begin_nested():  # a savepoint commit is not the transaction's commit
            pass
        raise RuntimeError("crash after assignment")
    with db.session() as session:
        assert len(index_for(session)) == 0
    copy = store(db, documents["a_pr_ar_url2"])
    with db.session() as session:
        assert story_members(session, story_of(db, copy)) == [session.get(models.Article, copy)]


def test_committed_articles_of_another_writer_are_caught_up(
    db: Database, documents: dict[str, Doc]
) -> None:
    release = store(db, documents["c_rt_ar"])
    with db.session() as session:
        index = index_for(session)
        index.remove(release)  # as if another process had stored it after our last look
        index.max_id = 0
    amp = store(db, documents["c_rt_ar_amp"])
    assert story_of(db, amp) == story_of(db, release)


def test_an_edited_article_keeps_its_story_and_is_matched_by_its_new_text(
    db: Database, documents: dict[str, Doc]
) -> None:
    article_id = store(db, documents["d_wh_en"])
    story = story_of(db, article_id)
    edited = documents["d_other_en"]
    with db.session() as session:
        article = session.get_one(models.Article, article_id)
        article.title, article.text = edited.title, edited.text
        assign_story(session, article)
    assert story_of(db, article_id) == story
    second_url = Doc(**{**vars(edited), "url": "https://mirror.example/maarat"})
    assert story_of(db, store(db, second_url)) == story

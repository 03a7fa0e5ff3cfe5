"""Story membership in the store: assign an article to a story, list a story's members.

Alerts are per story because the outbox keys them by `Article.story_id`
(`monitor.alerts.outbox.alert_subject`): the pipeline assigns the story before enqueueing.

Keeping the in-memory index consistent with the database (one index per engine):
- on first use it is loaded from `Article.minhash` of the newest `max_items` articles, so
  no text is read or hashed again;
- before every assignment it catches up with articles committed since (any process) by
  reading rows with an id above the highest one it has seen;
- an article whose text changed is re-indexed only after its transaction commits (a
  session hook); a rollback leaves the index untouched, because nothing of an
  uncommitted transaction is ever put in it.
On SQLite writers are serialised (BEGIN IMMEDIATE), so an assignment always sees every
committed article. On PostgreSQL two transactions running at the same moment do not see
each other, and two copies stored in the same instant may start two stories.
"""

from __future__ import annotations

import weakref
from datetime import UTC, datetime

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from monitor.store import models
from monitor.stories.fingerprint import Fingerprint, fingerprint
from monitor.stories.index import MAX_ITEMS, Entry, Link, StoryIndex

_INDEXES: weakref.WeakKeyDictionary[Engine, StoryIndex] = weakref.WeakKeyDictionary()
_PENDING = "stories.pending"  # session.info key: entries to index once committed


def index_for(session: Session, max_items: int = MAX_ITEMS) -> StoryIndex:
    """The index of this session's database, caught up with everything committed."""
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    index = _INDEXES.get(engine)
    if index is None:
        index = _INDEXES[engine] = StoryIndex(max_items)
    with index.lock:
        _catch_up(session, index)
    return index


def _catch_up(session: Session, index: StoryIndex) -> None:
    a = models.Article
    query = select(a.id, a.story_id, a.language, a.published_at, a.fetched_at, a.minhash).where(
        a.id > index.max_id, a.minhash.is_not(None), a.story_id.is_not(None)
    )
    newest_first = list(session.execute(query.order_by(a.id.desc()).limit(index.max_items)))
    for row in reversed(newest_first):
        when = row.published_at or row.fetched_at
        index.put(
            Entry(
                row.id, row.story_id, _day(when), row.language, Fingerprint.from_bytes(row.minhash)
            )
        )
        index.max_id = row.id


def _day(when: datetime | None) -> int:
    return (when or datetime.now(UTC)).date().toordinal()


def assign_story(session: Session, article: models.Article) -> Link | None:
    """Fingerprint a flushed article and give it a story: the story of the earlier item it
    copies or translates, or a new one it leads. Returns the link, None for a new story.

    An article that already has a story keeps it (an edit does not move it)."""
    index = index_for(session)
    print_ = fingerprint(article.title, article.text)
    article.minhash = print_.to_bytes()
    day = _day(article.published_at or article.fetched_at)
    link = None
    if article.story_id is None:
        with index.lock:
            link = index.find(print_, day, article.language)
        if link is not None:
            article.story_id = link.story_id
        else:
            story = models.Story(lead_article_id=article.id, title=article.title)
            session.add(story)
            session.flush()
            article.story_id = story.id
    entry = Entry(article.id, article.story_id, day, article.language, print_)
    session.info.setdefault(_PENDING, []).append((index, entry))
    return link


# Both events also fire for SAVEPOINTs (the outbox uses them); only the outer
# transaction decides what the database holds.
@event.listens_for(Session, "after_commit")
def _index_committed(session: Session) -> None:
    if not session.in_nested_transaction():
        for index, entry in session.info.pop(_PENDING, ()):
            with index.lock:
                index.put(entry)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_PENDING, None)


def story_members(session: Session, story_id: int) -> list[models.Article]:
    """All items of a story, earliest first (the lead is the first stored)."""
    a = models.Article
    query = select(a).where(a.story_id == story_id)
    return list(session.scalars(query.order_by(a.published_at.is_(None), a.published_at, a.id)))

from __future__ import annotations

from monitor.stories.fingerprint import fingerprint
from monitor.stories.index import Entry, StoryIndex

TEXT = " ".join(f"word{i}" for i in range(60))


def test_memory_is_bounded_by_evicting_the_oldest_entries() -> None:
    index = StoryIndex(max_items=3)
    for article_id in range(1, 6):
        index.put(Entry(article_id, article_id, 700_000, "en",
                        fingerprint("", f"{TEXT} item{article_id}")))
    assert len(index) == 3 and 1 not in index and 2 not in index and 5 in index
    link = index.find_copy(fingerprint("", TEXT))
    assert link is not None and link.article_id in {3, 4, 5}


def test_replacing_an_entry_follows_the_new_text() -> None:
    index = StoryIndex()
    index.put(Entry(1, 1, 700_000, "en", fingerprint("", TEXT)))
    other = " ".join(f"other{i}" for i in range(60))
    index.put(Entry(1, 1, 700_000, "en", fingerprint("", other)))
    assert len(index) == 1
    assert index.find_copy(fingerprint("", TEXT)) is None
    assert index.find_copy(fingerprint("", other)) is not None


def test_translation_must_be_close_in_time(documents) -> None:
    arabic, english = documents["d_wh_ar"], documents["d_wh_en"]
    index = StoryIndex()
    index.put(Entry(1, 1, arabic.day, "ar", fingerprint(arabic.title, arabic.text)))
    print_ = fingerprint(english.title, english.text)
    assert index.find(print_, english.day, "en") is not None
    assert index.find(print_, english.day + 30, "en") is None
    assert index.find(print_, english.day, "ar") is None  # same language: only copies count

"""What counts as an edit: the generic extraction path (no source hints) over two news-site
pages in another style (English, Arabic), each fetched three times: original, chrome-only
changes (top-bar date, menu, view and comment counters, related and most-read blocks,
footer), then a real edit. Plus the rules themselves on plain text."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.domain import RawPage
from monitor.extract import extract_page
from monitor.versions.diff import changed_words, word_diff
from monitor.versions.significant import significant_lines, text_key

FIXTURES = Path(__file__).parent / "fixtures"


def key_of(name: str) -> tuple[str, str]:
    page = RawPage(url="https://news.example.org/syria/article-1", source="other",
                   body=(FIXTURES / name).read_bytes(), fetched_at=datetime.now(UTC),
                   headers={"Content-Type": "text/html; charset=utf-8"})
    article = extract_page(page, None)
    return text_key(article.title, article.text), article.text


@pytest.mark.parametrize("style", ["news_en", "news_ar"])
def test_chrome_is_no_edit_and_an_edit_is(style: str) -> None:
    first, first_text = key_of(f"{style}_v1.html")
    chrome, chrome_text = key_of(f"{style}_v2.html")
    edited, edited_text = key_of(f"{style}_v3.html")
    assert chrome == first, f"chrome-only change counted as an edit:\n{first_text}\n--\n{chrome_text}"
    assert edited != chrome
    removed = changed_words(word_diff(chrome_text, edited_text), "delete")
    assert removed  # the diff names what went
    assert ("fabricated" in removed) if style == "news_en" else ("الكلور" in removed)


def test_whitespace_invisibles_and_counters_are_not_edits() -> None:
    base = "Title", "First paragraph about chlorine.\n\nViews: 1,204\nSecond paragraph."
    same = ("Title ",
            "First  paragraph\u200b about chlorine.\n\u0640Views: 9,999\nSecond paragraph.\n")
    assert text_key(*base) == text_key(*same)


def test_numbers_in_sentences_are_content() -> None:
    before = text_key("T", "The attack killed 12 civilians in the town of Saraqib on Friday.")
    after = text_key("T", "The attack killed 30 civilians in the town of Saraqib on Friday.")
    assert before != after


def test_related_blocks_are_dropped_but_text_after_them_is_kept() -> None:
    text = ("Main text of the statement.\nRelated\nOPCW visits Idlib\nAid reaches Afrin\n"
            "A long paragraph after the block that is part of the article and has many words "
            "in it so that it cannot be a link title under a related heading at all.\n"
            "Read more: another story\nاقرأ أيضا: خبر آخر")
    lines = significant_lines(text)
    assert lines[0] == "Main text of the statement."
    assert lines[1].startswith("A long paragraph")
    assert len(lines) == 2


def test_word_diff_rebuilds_both_texts() -> None:
    old, new = "قال الدفاع المدني إن ٢٣ مدنيا أصيبوا", "قال الدفاع المدني إن ١٢ مدنيا أصيبوا بجروح"
    pieces = word_diff(old, new)
    assert "".join(p.text for p in pieces if p.op != "insert") == old
    assert "".join(p.text for p in pieces if p.op != "delete") == new
    assert [p.text for p in pieces if p.op == "delete"] == ["٢٣"]
    assert [p.text for p in pieces if p.op == "insert"] == ["١٢", " بجروح"]

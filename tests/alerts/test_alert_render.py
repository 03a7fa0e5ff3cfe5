"""Messages: the content an analyst needs, RTL-safe, escaped, under Telegram's limit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.alerts.render import (
    BODY_LIMIT,
    FSI,
    PDI,
    RLM,
    ItemView,
    MatchView,
    render_bundle,
    render_item,
)

TITLE = "الائتلاف يدين استخدام غاز الكلور"
SNIPPET = "استخدم النظام غاز الكلور ضد المدنيين"


def item(
    title: str = TITLE,
    snippet: str = SNIPPET,
    url: str = "https://www.etilaf.org/news/1",
    published: datetime | None = datetime(2026, 11, 22, 9, 30, tzinfo=UTC),
) -> ItemView:
    return ItemView(
        alert_id=42,
        source="etilaf",
        title=title,
        url=url,
        published=published,
        published_is_date=False,
        review_url="http://127.0.0.1:8080/item/7",
        matches=[MatchView("chlorine", "Chlorine", "high", ["الكلور", "chlorine"], [snippet])],
    )


def test_item_message_carries_what_the_analyst_needs():
    message = render_item(item())
    assert message.title == "[high] chlorine · etilaf (alert #42)"
    text = message.text
    for expected in (
        "HIGH · Chlorine (high)",
        "Source: etilaf",
        "2026-11-22 09:30 UTC · 2026-11-22 12:30 Damascus",
        "Article: https://www.etilaf.org/news/1",
        "Review: http://127.0.0.1:8080/item/7",
        "Alert #42",
    ):
        assert expected in text
    assert f"Title: {FSI}{TITLE}{PDI}" in text
    assert f"{FSI}الكلور{PDI}" in text and f"{FSI}chlorine{PDI}" in text
    assert f"{RLM}« {FSI}{SNIPPET}{PDI} »" in text  # Arabic-only line starts RTL
    link = 'Article: <a href="https://www.etilaf.org/news/1">https://www.etilaf.org/news/1</a>'
    assert link in message.html
    assert "Article: <https://www.etilaf.org/news/1>" in message.markdown


def test_unknown_or_date_only_publication_time():
    assert "Published: unknown" in render_item(item(published=None)).text
    date_only = ItemView(**{**item().__dict__, "published_is_date": True})
    assert "Published: 2026-11-22\n" in render_item(date_only).text


@pytest.mark.parametrize("fmt", ["html", "markdown", "text"])
def test_scraped_text_cannot_inject_markup_or_templates(fmt):
    evil = '<a href="http://evil">x</a> &lt;b&gt; {{7*7}} [x](http://evil) **bold** \u202eexe.txt'
    body = render_item(item(title=evil, snippet=evil, url="javascript:alert(1)")).body(fmt)
    assert "49" not in body and "{{7*7}}" in body.replace("\\", "")
    assert "\u202e" not in body  # bidi override dropped
    assert 'href="javascript' not in body and "<javascript" not in body
    if fmt == "html":
        assert '<a href="http://evil">' not in body
        assert "&lt;a href=&quot;http://evil&quot;&gt;x&lt;/a&gt;" in body
        assert "&amp;lt;b&amp;gt;" in body
    if fmt == "markdown":
        assert "[x](http://evil)" not in body and r"\[x\]\(http://evil\)" in body


@pytest.mark.parametrize("fmt", ["html", "markdown", "text"])
def test_long_text_is_cut_under_telegram_limit_without_breaking_entities(fmt):
    huge = "&<>" * 4000 + "كلور " * 2000
    body = render_item(item(title=huge, snippet=huge)).body(fmt)
    assert len(body) <= BODY_LIMIT < 4096
    assert "Alert #42" in body  # the footer survives the cut
    if fmt == "html":
        assert body.count("&") == body.count("&amp;") + body.count("&lt;") + body.count("&gt;")


def test_bundle_lists_a_few_items_and_counts_the_rest():
    items = [item(title=f"عنوان {n}") for n in range(500)]
    message = render_bundle(9, "Held back", items, "http://127.0.0.1:8080/")
    assert message.title == "Held back: 500 alerts (message #9)"
    assert "… and 475 more" in message.text
    assert len(message.html) <= BODY_LIMIT
    assert "Review queue: http://127.0.0.1:8080/" in message.text

"""The generic path's reading of a page: which links are articles, sections, the next page."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from monitor.crawl.canonical import UrlMap
from monitor.crawl.links import looks_like_article, looks_like_section, page_number, read_page
from spiders import SOURCES
from spiders.base import Source

GENERIC = Source(key="news", name="News", hosts=("news.example.net",))
URLS = UrlMap(GENERIC, {"news.example.net": "http://127.0.0.1:8001"})


@pytest.mark.parametrize(
    "url",
    [
        "/world/1745002-lavrov-meets-wang/",
        "/ar/articles/49180/%D8%A7%D8%B1%D8%AA%D9%81%D8%A7%D8%B9-%D8%AD%D8%B5%D9%8A%D9%84%D8%A9",
        "/archives/123456",
        "/2026/11/20/chlorine-attack-in-idlib/",
        "/news/12345-opcw-report.html",
        "/press/soc-calls-for-accountability-for-chemical-weapons",
        "/all-news/news/%D8%A7%D9%84%D9%87%D9%8A%D8%A6%D8%A9-%D8%A7%D9%84%D8%B3%D9%8A%D8%A7%D8%B3%D9%8A%D8%A9-%D8%AA%D8%B9%D9%82%D8%AF-%D8%A7%D8%AC%D8%AA%D9%85%D8%A7%D8%B9%D9%87%D8%A7",
        "/?p=81234",
        "/index.php?id=77",
    ],
)
def test_article_urls_are_recognised_without_a_pattern(url: str) -> None:
    path, _, query = url.partition("?")
    assert looks_like_article(path, query)


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/press-releases/",
        "/middle_east/",
        "/category/news/",
        "/ar/category/1",
        "/page/2/",
        "/2026/11/",
        "/tag/syria/",
        "/author/office-of-the-spokesperson/",
        "/storage/uploads/1686396000.jpg",
        "/wp-content/uploads/2026/11/81150.jpg",
        "/reports/annual-report-on-the-situation-2026.pdf",
        "/about-us/%D8%A3%D9%87%D8%AF%D8%A7%D9%81-%D8%A7%D9%84%D8%A7%D8%A6%D8%AA%D9%84%D8%A7%D9%81",
        "/?s=chlorine",
    ],
)
def test_other_pages_are_not_articles(url: str) -> None:
    path, _, query = url.partition("?")
    assert not looks_like_article(path, query)


@pytest.mark.parametrize(
    ("url", "section"),
    [
        ("/middle_east/", True),
        ("/all-news/field-news/", True),
        ("/ar/section/news", True),
        ("/category/politics/", True),
        ("/en", True),
        ("/?cat=7", True),
        ("/tag/syria/", False),
        ("/about-us/", False),
        ("/contact", False),
        ("/2026/11/", False),
        ("/feed/", False),
        ("/a/b/c/d/", False),
        ("/search?q=x", False),
        ("/logo.png", False),
    ],
)
def test_sections(url: str, section: bool) -> None:
    path, _, query = url.partition("?")
    assert looks_like_section(path, query) is section


@pytest.mark.parametrize(
    ("url", "number", "following"),
    [
        ("https://x.org/press/", 1, "https://x.org/press/page/2"),
        ("https://x.org/press/page/4/", 4, "https://x.org/press/page/5/"),
        ("https://x.org/middle_east/?page=2", 2, "https://x.org/middle_east/?page=3"),
        ("https://x.org/list?cat=3&paged=9", 9, "https://x.org/list?cat=3&paged=10"),
        ("https://x.org/date/2017/9/Page-3.html", 3, "https://x.org/date/2017/9/Page-4.html"),
        ("https://x.org/ar/category/2", 1, "https://x.org/ar/category/2/page/2"),  # not page 2
    ],
)
def test_page_numbers(url: str, number: int, following: str) -> None:
    found, url_of = page_number(url)
    assert found == number and following in url_of(number + 1)


def page(body: str) -> str:
    return f"<html><head></head><body>{body}</body></html>"


def test_next_page_by_rel_by_number_and_by_wording_not_by_a_more_link() -> None:
    base = "http://127.0.0.1:8001/politics/"
    rel = read_page(
        page('<a rel="next" href="/politics/?page=2">›</a>'), base, URLS.public, GENERIC
    )
    numbered = read_page(page('<a href="/politics/page/2/">2</a>'), base, URLS.public, GENERIC)
    worded = read_page(page('<a href="?start=20">Older posts</a>'), base, URLS.public, GENERIC)
    arabic = read_page(page('<a href="?offset=10">الأقدم</a>'), base, URLS.public, GENERIC)
    more = read_page(
        page('<h2>Economy</h2><a href="/economy/">المزيد</a>'), base, URLS.public, GENERIC
    )

    assert rel.next_page == "https://news.example.net/politics/?page=2"
    assert numbered.next_page == "https://news.example.net/politics/page/2/"
    assert worded.next_page == "https://news.example.net/politics/?start=20"
    assert arabic.next_page == "https://news.example.net/politics/?offset=10"
    assert more.next_page is None and more.sections == ["https://news.example.net/economy/"]


def test_a_page_through_a_copy_that_rewrote_its_links() -> None:
    html = page(
        '<base href="http://localhost:8001/">'
        '<nav><a href="/politics/">Politics</a> <a href="/news/123456-in-the-menu.html">x</a></nav>'
        '<ul><li><a href="http://127.0.0.1:8001/news/98765-opcw-report.html?utm_source=home">'
        "OPCW report</a> <time datetime='2026-11-20T10:00:00+03:00'>20 Nov</time></li>"
        '<li class="item"><a href="news/98766-chlorine.html">Chlorine</a>'
        '<span class="date">21 November 2026</span></li>'
        '<li><a href="https://elsewhere.example/news/1111-x.html">off-site</a></li>'
        '<li><a href="mailto:desk@news.example.net">mail</a> <a href="http://127.0.0.1:x/">bad</a></li></ul>'
    )
    reading = read_page(
        html.replace(
            "<head></head>",
            '<head><link rel="alternate" type="application/rss+xml" '
            'href="/feed.xml"><link rel="https://api.w.org/" href="/wp-json/"></head>',
        ),
        "http://127.0.0.1:8001/",
        URLS.public,
        GENERIC,
    )

    by_url = {link.url: link for link in reading.articles}
    assert set(by_url) == {
        "https://news.example.net/news/98765-opcw-report.html",
        "https://news.example.net/news/98766-chlorine.html",
    }  # the menu's link is navigation for a source without article patterns
    opcw = by_url["https://news.example.net/news/98765-opcw-report.html"]
    assert isinstance(opcw.listed, datetime) and opcw.dated == date(2026, 11, 20)
    assert by_url["https://news.example.net/news/98766-chlorine.html"].dated == date(2026, 11, 21)
    assert reading.sections == ["https://news.example.net/politics/"]
    assert reading.feeds == ["https://news.example.net/feed.xml"]
    assert reading.wordpress


def test_declared_patterns_decide_for_a_source_that_has_them() -> None:
    rt = SOURCES["rt_arabic"]
    urls = UrlMap(rt, {})
    html = page(
        '<nav><a href="/middle_east/1745001-x/">menu story</a></nav>'
        '<a href="/middle_east/">section</a><a href="/static/2026/11/20/a-long-slug-here/">x</a>'
    )
    reading = read_page(html, "https://arabic.rt.com/", urls.public, rt)
    assert [link.url for link in reading.articles] == [
        "https://arabic.rt.com/middle_east/1745001-x/"
    ]
    assert replace(rt, article_patterns=()).is_article("https://arabic.rt.com/2026/11/20/a-b/")


def test_url_map_public_and_fetch() -> None:
    etilaf = SOURCES["etilaf"]
    urls = UrlMap(
        etilaf,
        {"www.etilaf.org": "http://127.0.0.1:9001/www", "en.etilaf.org": "http://127.0.0.1:9002"},
    )
    assert (
        urls.public("http://localhost:9002/press/x?utm_medium=rss#c")
        == "https://en.etilaf.org/press/x"
    )
    assert (
        urls.public("http://127.0.0.1:9001/www/all-news/news/a")
        == "https://www.etilaf.org/all-news/news/a"
    )
    assert (
        urls.public("http://127.0.0.1:9001/wwwx/a") == "http://127.0.0.1:9001/wwwx/a"
    )  # not the copy
    assert urls.public("mailto:x@etilaf.org") is None
    assert urls.public("http://127.0.0.1:port/") is None
    assert urls.fetch("https://www.etilaf.org/feed/") == "http://127.0.0.1:9001/www/feed/"

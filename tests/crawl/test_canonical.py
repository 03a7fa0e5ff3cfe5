from pathlib import Path

import pytest

from monitor.crawl.canonical import canonical_link, canonical_url
from monitor.crawl.discovery import feed_links
from spiders import SOURCES
from spiders.base import rebase, unbase


@pytest.mark.parametrize(
    ("key", "url", "expected"),
    [
        # Laravel aliases of one Baladi article, and the www host
        (
            "baladi",
            "https://baladi-news.com/public/index.php/ar/articles/49180/x",
            "https://baladi-news.com/ar/articles/49180/x",
        ),
        (
            "baladi",
            "http://www.baladi-news.com/public/ar/articles/49180/x",
            "https://baladi-news.com/ar/articles/49180/x",
        ),
        (
            "baladi",
            "https://baladi-news.com/publications/ar/1",
            "https://baladi-news.com/publications/ar/1",
        ),
        # tracking parameters and fragments go; other parameters stay, sorted
        (
            "rt_arabic",
            "https://arabic.rt.com/world/1-x/?utm_source=rss&utm_medium=rss#top",
            "https://arabic.rt.com/world/1-x/",
        ),
        ("etilaf", "https://en.etilaf.org/?p=79449&fbclid=abc", "https://en.etilaf.org/?p=79449"),
        ("etilaf", "https://en.etilaf.org/?s=x&p=2", "https://en.etilaf.org/?p=2&s=x"),
        # bare domain, upper case, old http
        ("state_dept", "HTTP://State.GOV/releases/a/", "https://www.state.gov/releases/a/"),
        # one percent-encoding for Arabic slugs, raw or encoded
        (
            "etilaf",
            "https://www.etilaf.org/all-news/news/الهيئة-14",
            "https://www.etilaf.org/all-news/news/%D8%A7%D9%84%D9%87%D9%8A%D8%A6%D8%A9-14",
        ),
        (
            "etilaf",
            "https://www.etilaf.org/all-news/news/%d8%a7%d9%84%d9%87%d9%8a%d8%a6%d8%a9-14",
            "https://www.etilaf.org/all-news/news/%D8%A7%D9%84%D9%87%D9%8A%D8%A6%D8%A9-14",
        ),
    ],
)
def test_canonical_url(key: str, url: str, expected: str) -> None:
    assert canonical_url(url, SOURCES[key]) == expected


def test_other_sites_are_cleaned_not_moved() -> None:
    assert canonical_url("http://evil.example:8080/a?utm_campaign=x&b=1", SOURCES["etilaf"]) == (
        "http://evil.example:8080/a?b=1"
    )


def test_canonical_link_only_inside_the_source() -> None:
    source = SOURCES["etilaf"]
    page = "https://en.etilaf.org/?p=79449"
    assert canonical_link("/press/a-post", page, source) == "https://en.etilaf.org/press/a-post"
    assert canonical_link("https://evil.example/press/a-post", page, source) is None
    assert canonical_link("  ", page, source) is None
    assert (
        canonical_link("https://en.etilaf.org/", page, source) is None
    )  # home page: not an article


def test_article_patterns_keep_articles_and_drop_listings() -> None:
    etilaf, rt = SOURCES["etilaf"], SOURCES["rt_arabic"]
    assert etilaf.is_article("https://en.etilaf.org/press/statement-x")
    assert etilaf.is_article("https://en.etilaf.org/?p=79449")
    assert not etilaf.is_article("https://en.etilaf.org/press/page/2")
    assert rt.is_article("https://arabic.rt.com/middle_east/1745001-x/")
    assert not rt.is_article("https://arabic.rt.com/middle_east/")


def test_rebase_round_trip() -> None:
    bases = {"www.state.gov": "http://127.0.0.1:8001"}
    public = "https://www.state.gov/releases/a/?x=1"
    assert rebase(public, bases) == "http://127.0.0.1:8001/releases/a/?x=1"
    assert unbase(rebase(public, bases), bases) == public
    assert rebase("https://arabic.rt.com/rss/", bases) == "https://arabic.rt.com/rss/"


def test_feed_body_naming_a_local_file_is_not_read(tmp_path: Path) -> None:
    rss = tmp_path / "feed.xml"
    rss.write_text(
        '<rss version="2.0"><channel><item><link>https://x/a</link></item></channel></rss>'
    )
    assert feed_links(str(rss).encode(), "https://www.state.gov/feed/") is None
    assert [link.url for link in feed_links(rss.read_bytes(), "https://x/feed/") or []] == [
        "https://x/a"
    ]


def test_relative_feed_links_resolve_against_the_feed_url() -> None:
    body = b'<rss version="2.0"><channel><item><link>/releases/a/</link></item></channel></rss>'
    links = feed_links(body, "https://www.state.gov/rss-feed/press-releases/feed/") or []
    assert [link.url for link in links] == ["https://www.state.gov/releases/a/"]

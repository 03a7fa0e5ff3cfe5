"""US State Department press releases (www.state.gov). See shared/sources.md section 4.

The press-release feed carries the full body (content:encoded), pubDate and guid; the
listing `/press-releases/page/N/` is the back-fill path (`?page=N` silently returns page 1).
Non-browser user agents get an HTTP 200 "Technical Difficulties" decoy, the feed URL too.
The sitemap index lists pages, not releases, so it is not used. The generic path (home
page and its sections) is read too.
"""

from monitor.domain import SourceHints
from spiders import register
from spiders.base import Source

SOURCE = register(
    Source(
        key="state_dept",
        name="US State Department",
        hosts=("www.state.gov", "state.gov"),
        host_aliases=(("state.gov", "www.state.gov"),),
        language="en",
        feeds=("https://www.state.gov/rss-feed/press-releases/feed/",),
        listings=("https://www.state.gov/press-releases/page/{page}/",),
        listing_link_css="a.collection-result__link",
        listing_date_css=".collection-result-meta span:last-child::text",
        # 2025+: /releases/...; older ones flat /<slug>/ (GUESS), told from section pages such
        # as /press-releases/ by their length
        article_patterns=(r"^/releases/.+", r"^/[a-z0-9]+(-[a-z0-9]+){3,}/$"),
        expect=("feed",),
        crawl_delay=5,
        hints=SourceHints(
            title_css=("h1.featured-content__headline",),
            date_css=("p.article-meta__publish-date",),
            author_css=("p.article-meta__author-bureau",),
            body_css=("div.entry-content",),
            drop_css=(".post_tags", ".report__back-to-top", ".share-widget", ".related-content"),
            blocked_markers=("Technical Difficulties",),
            default_language="en",
            date_order="MDY",
            timezone="America/New_York",
        ),
    )
)

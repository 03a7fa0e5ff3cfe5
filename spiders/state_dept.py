"""US State Department press releases (www.state.gov). See shared/sources.md section 4."""

from monitor.domain import SourceHints
from spiders import register
from spiders.base import Source

SOURCE = register(
    Source(
        key="state_dept",
        name="US State Department",
        hosts=("www.state.gov", "state.gov"),
        language="en",
        feeds=("https://www.state.gov/rss-feed/press-releases/feed/",),
        sitemaps=("https://www.state.gov/sitemap_index.xml",),
        listings=("https://www.state.gov/press-releases/page/{page}/",),
        article_patterns=(r"^/releases/", r"^/[a-z0-9-]+/$"),
        crawl_delay=5,
        hints=SourceHints(
            title_css=("h1.featured-content__headline",),
            date_css=("p.article-meta__publish-date",),
            body_css=("div.entry-content",),
            drop_css=(".post_tags", ".report__back-to-top", ".share-widget"),
            blocked_markers=("Technical Difficulties",),
            default_language="en",
            date_order="MDY",
        ),
    )
)

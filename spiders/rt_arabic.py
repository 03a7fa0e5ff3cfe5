"""RT Arabic (arabic.rt.com). See shared/sources.md section 2.

`/rss/` for fresh items (RSS 2.0, no content:encoded seen) with the section feeds
`/rss/<section>/` (seen for sport and health; GUESSED for the sections we follow), the
section fronts `/middle_east/`, `/world/`, `/news/` (scraped directly by other tools), the
sitemap index `/sitemap.xml` (children with <lastmod>) for back-fill. Date from `meta[name=publish-date]`,
then `published_time_telegram`; body `div.js-mediator-article` without the intro and the
read-more / crosslink blocks.
"""

from datetime import date

from monitor.domain import SourceHints
from spiders import register
from spiders.base import Source

SOURCE = register(
    Source(
        key="rt_arabic",
        name="RT Arabic",
        hosts=("arabic.rt.com",),
        language="ar",
        feeds=(
            "https://arabic.rt.com/rss/",
            "https://arabic.rt.com/rss/middle_east/",
            "https://arabic.rt.com/rss/world/",
        ),
        sections=(
            "https://arabic.rt.com/middle_east/",
            "https://arabic.rt.com/world/",
            "https://arabic.rt.com/news/",
        ),
        expect=("feed",),
        sitemaps=("https://arabic.rt.com/sitemap.xml",),
        article_patterns=(r"^/[a-z_]+/\d{5,}-[^/]+/?$",),  # ids have 6-7 digits; not /sitemap/2026-09.xml
        hints=SourceHints(
            title_css=("div.article h1.heading", "h1.heading", "meta[property='og:title']"),
            date_meta=("publish-date", "published_time_telegram"),
            # p.intro (the lead) is kept: it is article text; its copy outside the body is not
            body_css=("div.js-mediator-article",),
            drop_css=(
                ".read-more-big",
                ".read-more-text-only",
                ".crosslinks__link",
                ".read-more__link",
                ".read-more",
                ".rtcode",
                ".video-iframe",
                ".cover_video",
                ".news-tags",
            ),
            author_css=("meta[name='mediator_author']",),
            default_language="ar",
            date_order="DMY",
            timezone="Europe/Moscow",
            founded=date(2007, 5, 4),  # Rusiya Al-Yaum began broadcasting
            summary_fallback=True,  # the body may be script-loaded: keep the description
        ),
    )
)

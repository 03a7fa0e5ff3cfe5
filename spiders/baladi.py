"""Baladi News (baladi-news.com): archive only, the network stopped publishing (≈2023).

Laravel app served from the project root, so one article answers under `/ar/articles/<id>/`,
`/public/ar/articles/<id>/` and `/public/index.php/ar/articles/<id>/`: the path alias folds
them. No feed or sitemap was ever seen; `/rss`, `/feed` and `/sitemap.xml` are probed
(GUESS, shared/sources.md section 3). Article markup was never seen either: the hints are
guesses a live fetch must confirm.
"""

from monitor.domain import SourceHints
from spiders import register
from spiders.base import Source

SOURCE = register(
    Source(
        key="baladi",
        name="Baladi News",
        hosts=("baladi-news.com", "www.baladi-news.com"),
        host_aliases=(("www.baladi-news.com", "baladi-news.com"),),
        language="ar",
        feeds=("https://baladi-news.com/rss", "https://baladi-news.com/feed"),
        sitemaps=("https://baladi-news.com/sitemap.xml",),
        path_aliases=((r"^/public(?:/index\.php)?(?=/)", ""),),
        article_patterns=(r"^/(ar|en)/articles/\d+(/|$)",),
        homes=(
            "https://baladi-news.com/",
            "https://baladi-news.com/ar",
            "https://baladi-news.com/en",
        ),
        expect=("home",),
        archive=True,
        hints=SourceHints(
            date_meta=("article:published_time",),
            default_language="ar",
            date_order="DMY",
            timezone="Asia/Damascus",
        ),
    )
)

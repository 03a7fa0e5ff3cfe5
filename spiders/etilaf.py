"""Syrian National Coalition: www.etilaf.org (Arabic), en.etilaf.org (English).

WordPress with the JNews theme (inferred, shared/sources.md section 1). No feed was ever
seen: the WordPress defaults `/feed/`, `/wp-sitemap.xml` and the REST post list
`/wp-json/wp/v2/posts` are probed per host. The category listings of both languages are
read every time: press releases (`/press-release/page/N` AR, `/press/page/N` EN, VERIFIED),
news and presidential news (`/all-news/<category>/page/N`, the EN ones VERIFIED, the AR
ones GUESSED from the article URLs); the generic path adds the categories the home pages
link to. Shortlinks `/?p=<id>` resolve to the same article; its `<link rel=canonical>`
folds them. The top bar shows today's date: never take the first date on the page.
"""

from datetime import date

from monitor.domain import SourceHints
from spiders import register
from spiders.base import Source

SOURCE = register(
    Source(
        key="etilaf",
        name="Syrian National Coalition",
        hosts=("www.etilaf.org", "en.etilaf.org", "etilaf.org"),
        host_aliases=(("etilaf.org", "www.etilaf.org"),),
        feeds=("https://www.etilaf.org/feed/", "https://en.etilaf.org/feed/"),
        # GUESS: WordPress core sitemaps; probed after the feed, before the listings
        sitemaps=("https://www.etilaf.org/wp-sitemap.xml", "https://en.etilaf.org/wp-sitemap.xml"),
        listings=(
            "https://www.etilaf.org/press-release/page/{page}",
            "https://www.etilaf.org/all-news/news/page/{page}",
            "https://www.etilaf.org/all-news/presidential-news/page/{page}",
            "https://en.etilaf.org/press/page/{page}",
            "https://en.etilaf.org/all-news/news/page/{page}",
            "https://en.etilaf.org/all-news/presidential-news/page/{page}",
        ),
        wp_rest=True,
        expect=("listing",),
        listing_link_css="article.jeg_post .jeg_post_title a",
        listing_date_css="article.jeg_post .jeg_meta_date a::text",
        article_patterns=(
            r"^/all-news/[^/]+/[^/]+/?$",
            r"^/press(-release)?/(?!page/)[^/]+/?$",
            r"^/\?p=\d+$",
        ),
        hints=SourceHints(
            # JNews (WordPress) now, Joomla K2 before ~2021/22. Dates only under the headline:
            # the top bar shows the crawl day, sidebar/related posts carry other posts' dates.
            title_css=("h1.jeg_post_title", "h2.itemTitle"),
            date_css=(".entry-header .jeg_meta_date", "span.itemDateCreated"),
            body_css=("div.content-inner", "div.itemFullText"),
            drop_css=(
                ".jeg_topbar",
                ".jeg_top_date",
                ".jeg_sidebar",
                ".jeg_share_button",
                ".jeg_share_top_container",
                ".jeg_share_bottom_container",
                ".jnews_related_post_container",
                ".jnews_prev_next_container",
                ".jeg_post_tags",
                ".jnews_comment_container",
                ".jeg_ad",
                "div.itemToolbar",
                "div.itemRelated",
                "div.itemAuthorLatest",
                "div.itemNavigation",
                "div.itemComments",
                "div.itemSocialSharing",
            ),
            date_order="DMY",
            timezone="Asia/Damascus",
            founded=date(2012, 11, 11),  # the Coalition was formed in Doha that day
        ),
    )
)

"""The generic body: what trafilatura leaves in on news pages no hint was written for."""

from __future__ import annotations

from collections.abc import Callable

from monitor.domain import RawPage, SourceHints
from monitor.extract import TimedExtractor
from monitor.extract.generic import tidy

PARAGRAPHS = (
    "<p>The Syrian Civil Defence said its volunteers pulled eleven survivors from the rubble of a "
    "residential building in Ariha after airstrikes on Thursday night.</p>"
    "<p>A correspondent said the strikes destroyed three buildings and damaged a bakery that "
    "supplied bread to thousands of displaced families in the area.</p>"
)


def test_tidy_drops_the_lines_up_to_the_headline_dates_alone_and_read_also() -> None:
    text = """World
Airstrikes on Ariha
Published on 4 April 2018
Istanbul, Turkey / April 4, 2018
The Syrian Civil Defence said its volunteers pulled eleven survivors.
Read more: Shelling of Maarat al-Numan
The Syrian Civil Defence said its volunteers pulled eleven survivors.
اقرأ أيضا: قصف على معرة النعمان
April 3, 2018"""
    assert tidy(text, "Airstrikes on Ariha").split("\n") == [
        "Istanbul, Turkey / April 4, 2018",  # a dateline is article text
        "The Syrian Civil Defence said its volunteers pulled eleven survivors.",
    ]


def test_what_precedes_the_headline_is_not_article_text(
    extractor: TimedExtractor, make_page: Callable[..., RawPage]
) -> None:
    html = (
        "<html><head><title>Airstrikes on Ariha | Site</title></head><body>"
        "<div class='col'><p>Regime forces shelled Maarat al-Numan on Wednesday, killing six "
        "civilians and wounding more than twenty, local sources said.</p></div>"
        "<div class='col'><p class='kicker'>Idlib</p><h1>Airstrikes on Ariha</h1>"
        f"{PARAGRAPHS}<p><a href='/x'>Other news: shelling of Kafranbel</a></p></div>"
        "<div class='col'><ul><li><a href='/y'>Airstrikes on Ariha</a></li></ul></div>"
        "</body></html>"
    )
    article = extractor.extract(make_page(html), SourceHints())
    assert article.title == "Airstrikes on Ariha"
    assert article.text.startswith("The Syrian Civil Defence said")
    assert "Maarat al-Numan" not in article.text and "Idlib" not in article.text
    assert "Kafranbel" not in article.text  # a paragraph that is all link


def test_a_title_repeated_in_a_link_below_does_not_cut_the_body_away(
    extractor: TimedExtractor, make_page: Callable[..., RawPage]
) -> None:
    """The headline shown differs from <title>: the repeated title in a link is not it."""
    html = (
        "<html><head><title>Airstrikes on Ariha</title></head><body>"
        f"<h1>Airstrikes on Ariha, Idlib</h1>{PARAGRAPHS}"
        "<ul class='x'><li><a href='/y'>Airstrikes on Ariha</a></li></ul></body></html>"
    )
    article = extractor.extract(make_page(html), SourceHints())
    assert "pulled eleven survivors" in article.text

"""Reading fields from markup: block text lines, boilerplate removal, <meta>, JSON-LD."""

from __future__ import annotations

from lxml import html

from monitor.extract import fields


def tree(markup: str) -> html.HtmlElement:
    return html.document_fromstring(markup)


def test_block_text_breaks_lines_at_blocks_only() -> None:
    root = tree(
        "<div><h2>Heading</h2><p>One sentence\n   wrapped in the source.</p>"
        "<p>Line a<br>line b</p><ul><li>item</li></ul><span>inline</span> tail</div>"
    )
    assert fields.block_text(root.body) == (
        "Heading\nOne sentence wrapped in the source.\nLine a\nline b\nitem\ninline tail"
    )


def test_block_text_skips_scripts_and_keeps_what_follows_them() -> None:
    root = tree(
        "<div><p>Before<script>var x = 'secret';</script> after</p>"
        "<!-- a comment --><p>Next<style>p{}</style></p><button>Share</button></div>"
    )
    assert fields.block_text(root.body) == "Before after\nNext"


def test_repeated_lines_are_kept_once() -> None:
    assert fields.unique_lines(["Title", " Title ", "", "Body"]) == "Title\nBody"


def test_drop_removes_boilerplate_but_not_the_text_after_it() -> None:
    root = tree(
        '<div id="b"><p>Keep <a class="read-more__link">read this too</a> and this.</p></div>'
    )
    fields.drop(root, [".read-more__link"])
    assert fields.block_text(root.body) == "Keep and this."


def test_selectors_in_order_first_match_wins() -> None:
    root = tree('<h1 class="a"></h1><h1 class="b">B</h1><h2 class="c">C</h2>')
    assert fields.first_text(root, ["h1.a", "h2.c", "h1.b"]) == "C"
    assert [e.text for e in fields.select(root, ["h3", "h1"])] == [None, "B"]


def test_meta_selected_by_a_hint_gives_its_content() -> None:
    root = tree('<head><meta name="mediator_author" content=" RT "></head>')
    assert fields.first_text(root, ["meta[name='mediator_author']"]) == "RT"


def test_meta_values_follow_the_order_of_the_keys() -> None:
    root = tree(
        '<head><meta property="article:published_time" content="2025-01-02">'
        '<meta name="publish-date" content="2025-01-01"><meta itemprop="datePublished" content="x"></head>'
    )
    assert list(fields.meta_values(root, ["publish-date", "article:published_time"])) == [
        "2025-01-01",
        "2025-01-02",
    ]
    assert list(fields.meta_values(root, ["datepublished"])) == ["x"]


def test_json_ld_values_are_found_in_graphs_and_broken_blocks_ignored() -> None:
    root = tree(
        '<head><script type="application/ld+json">{not json</script>'
        '<script type="application/ld+json">{"@graph": [{"@type": "WebSite"},'
        '{"@type": "NewsArticle", "datePublished": "2018-04-08T10:15:00+03:00"}]}</script></head>'
    )
    assert list(fields.json_ld_values(root, "datePublished")) == ["2018-04-08T10:15:00+03:00"]

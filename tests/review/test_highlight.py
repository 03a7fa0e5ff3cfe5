from monitor.domain import match_document
from monitor.review.highlight import Segment, highlight, strip_bidi_controls


def test_spans_split_title_and_text() -> None:
    title, text = "Chlorine in Idlib", "A chlorine attack."
    doc = match_document(title, text)
    spans = [[0, 8], [doc.index("chlorine"), doc.index("chlorine") + 8]]
    head, body = highlight(title, text, spans)
    assert head == [Segment("Chlorine", True), Segment(" in Idlib", False)]
    assert body == [Segment("A ", False), Segment("chlorine", True), Segment(" attack.", False)]


def test_overlapping_out_of_range_and_malformed_spans_are_tamed() -> None:
    head, body = highlight("", "abcdef", [[1, 3], [2, 4], [5, 99], [4, 2], ["x", 1], [0]])
    assert head == []
    assert body == [Segment("a", False), Segment("bcd", True), Segment("e", False),
                    Segment("f", True)]


def test_span_across_the_blank_line_marks_both_sides() -> None:
    head, body = highlight("ab", "cd", [[1, 5]])
    assert head == [Segment("a", False), Segment("b", True)]
    assert body == [Segment("c", True), Segment("d", False)]


def test_bidi_overrides_are_removed_but_marks_kept() -> None:
    assert strip_bidi_controls("\u202eabc\u2066d\u200f") == "abcd\u200f"

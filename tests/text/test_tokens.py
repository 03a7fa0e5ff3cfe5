"""Word boundaries and the Arabic proclitics accepted before a term."""

from __future__ import annotations

from monitor.text.tokens import (
    DEFINITE_PROCLITICS,
    PROCLITICS,
    ends_word,
    possible_starts,
    starts_word,
    word_starts,
)


def test_proclitic_combinations() -> None:
    for prefix in ["", "و", "ف", "ب", "ك", "ل", "ال", "وال", "بال", "فبال", "لل", "ولل", "وك"]:
        assert prefix in PROCLITICS
    for prefix in ["لال", "وو", "بب", "الو", "س", "ت", "بف"]:
        assert prefix not in PROCLITICS
    assert DEFINITE_PROCLITICS == {p for p in PROCLITICS if p.endswith(("ال", "لل"))}


def test_word_edges_respect_joins() -> None:
    text, joins = "الكيماويوقال قصف", frozenset({8})
    assert starts_word(text, 8, joins) and ends_word(text, 8, joins)
    assert not starts_word(text, 7, joins) and not ends_word(text, 7, joins)
    assert (
        starts_word(text, 13, joins) and ends_word(text, 12, joins) and ends_word(text, 16, joins)
    )


def test_possible_starts_within_the_limit() -> None:
    text = "xx وبالكلور"
    assert possible_starts(text, text.index("كلور"), frozenset(), limit=4) == [3]
    assert possible_starts(text, text.index("لور"), frozenset(), limit=4) == []
    joined = "xx وبالكلور"  # as if written وبال.كلور
    assert possible_starts(joined, 7, frozenset({7}), limit=4) == [3, 7]
    assert possible_starts("abcdefالكلور", 8, frozenset({6}), limit=4) == [6]


def test_word_starts_count_joins_as_words() -> None:
    assert word_starts("astanatalk on syria", frozenset({6})) == [0, 6, 11, 14]

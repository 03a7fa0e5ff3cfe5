"""Word boundaries and the Arabic proclitics accepted before a term."""

from __future__ import annotations

from monitor.text.tokens import (
    DEFINITE_PROCLITICS,
    MAX_PROCLITIC,
    PROCLITICS,
    possible_starts,
    proclitic_before,
    starts_word,
    word_end,
    words_from,
)


def test_proclitic_combinations() -> None:
    for prefix in ["", "و", "ف", "ب", "ك", "ل", "ال", "وال", "بال", "فبال", "لل", "ولل", "وك"]:
        assert prefix in PROCLITICS
    for prefix in ["لال", "وو", "بب", "الو", "س", "ت", "بف"]:
        assert prefix not in PROCLITICS
    assert DEFINITE_PROCLITICS == {p for p in PROCLITICS if p.endswith(("ال", "لل"))}


def test_word_edges_respect_joins() -> None:
    text, joins = "الكيماويوقال قصف", frozenset({8})
    assert starts_word(text, 8, joins) and word_end(text, 2, joins) == 8
    assert not starts_word(text, 7, joins) and word_end(text, 8, joins) == 8
    assert starts_word(text, 13, joins) and word_end(text, 9, joins) == 12
    assert word_end(text, 13, joins) == 16


def test_possible_starts_within_the_limit() -> None:
    text = "xx وبالكلور"
    assert possible_starts(text, text.index("كلور"), frozenset(), limit=4) == [3]
    assert possible_starts(text, text.index("لور"), frozenset(), limit=4) == []
    joined = "xx وبالكلور"  # as if written وبال.كلور
    assert possible_starts(joined, 7, frozenset({7}), limit=4) == [3, 7]
    assert possible_starts("abcdefالكلور", 8, frozenset({6}), limit=4) == [6]


def test_proclitic_before_agrees_with_possible_starts_without_joins() -> None:
    text = "وبالكلور فالكيماوي بكلور للكلور xyzكلور abcdeكلور كلور ووكلور"
    for index in range(1, len(text)):
        if not text[index - 1].isalnum():
            continue
        expected = next(
            (text[p:index] for p in possible_starts(text, index, frozenset(), MAX_PROCLITIC)
             if text[p:index] in PROCLITICS),
            None,
        )  # fmt: skip
        assert proclitic_before(text, index) == expected, (index, text[:index])
    assert proclitic_before("وكلور", 1) == "و" and proclitic_before("xكلور", 1) is None


def test_word_end_stops_at_a_join() -> None:
    assert word_end("chemicalweapon use", 3, frozenset()) == 14
    assert word_end("chemicalweapon use", 3, frozenset({8, 16})) == 8
    assert word_end("chemical weapon", 8, frozenset()) == 8


def test_words_from_count_joins_as_words_and_stop_at_the_limit() -> None:
    text, joins = "astanatalk on syria", frozenset({6})
    assert words_from(text, joins, 0, len(text), 10) == 4
    assert words_from(text, joins, 3, len(text), 10) == 3  # not the word it starts inside
    assert words_from(text, frozenset(), 0, len(text), 1) == 2  # counted no further

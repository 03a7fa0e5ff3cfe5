"""Adversarial generator: every default-pack term in every dodge (and every pair of dodges),
with and without Arabic proclitics, must flag its rule (recall 1.00); the same dodges on
the words of unrelated news must flag nothing (precision on a corpus, not on one example).
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from monitor.rules import BUILTIN_RULES, Rule, RuleBook
from monitor.text.arabic import normalize

BOOK = RuleBook.load(BUILTIN_RULES)
CORPUS = [
    line
    for line in (Path(__file__).parent / "fixtures" / "unrelated_news.txt")
    .read_text(encoding="utf-8")
    .splitlines()
    if line and not line.startswith("#")
]


def arabic(word: str) -> bool:
    return any("\u0600" <= c <= "\u06ff" for c in word)


def _presentation_forms() -> dict[str, str]:
    """Each Arabic letter's first contextual form in U+FE80–U+FEFC (NFKC gives it back)."""
    forms: dict[str, str] = {}
    for cp in range(0xFE80, 0xFEFD):
        base = unicodedata.normalize("NFKC", chr(cp))
        if len(base) == 1:
            forms.setdefault(base, chr(cp))
    return forms


PRESENTATION = _presentation_forms()
FULLWIDTH = {chr(c): chr(c - 0x21 + 0xFF01) for c in range(0x21, 0x7F)}
PERSIAN = {"ي": "ی", "ك": "ک", "ه": "ہ", "ة": "ۃ"}
LOOKALIKE = {"a": "а", "c": "с", "e": "е", "i": "і", "o": "ο", "p": "р", "s": "ѕ", "x": "х",
             "y": "у", "h": "һ", "j": "ј", "v": "ν", "A": "А", "C": "С", "O": "О", "P": "Р"}  # fmt: skip


def _middle(insert: str) -> Callable[[str], str]:
    return lambda w: w[: len(w) // 2] + insert + w[len(w) // 2 :]


def _per_letter(mark_ar: str, mark_latin: str) -> Callable[[str], str]:
    return lambda w: "".join(
        c + (mark_ar if arabic(c) else mark_latin) if c.isalpha() else c for c in w
    )


def _mapped(table: dict[str, str]) -> Callable[[str], str]:
    return lambda w: "".join(table.get(c, c) for c in w)


DODGES: dict[str, Callable[[str], str]] = {
    "tatweel": lambda w: "ـ".join(w) if arabic(w) else w,
    "dot": _middle("."),
    "dots_everywhere": ".".join,
    "zero_width": "\u200c\u200d".join,
    "soft_hyphen": _middle("\u00ad"),
    "diacritics": _per_letter("\u064e", "\u0301"),
    "spaced": " ".join,
    "emoji": _middle("💥"),
    "symbols": _middle("★☆"),
    "emoji_sequence": _middle("☠️👨‍👩"),
    "presentation": lambda w: _mapped(PRESENTATION if arabic(w) else FULLWIDTH)(w),
    "persian_urdu": _mapped(PERSIAN),
    "lookalike": _mapped(LOOKALIKE),
    "case": str.swapcase,
}
COMBINATIONS = [(name,) for name in DODGES] + list(itertools.permutations(DODGES, 2))


def dodge(text: str, names: tuple[str, ...]) -> str:
    """Every word of `text` dodged in turn by each named trick."""
    words = text.split(" ")
    for name in names:
        words = [DODGES[name](w) for w in words]
    return " ".join(words)


def with_proclitics(term: str) -> list[str]:
    if not arabic(term):
        return [term]
    if term.startswith(("ال", "أل")):
        return [term, "و" + term, "ب" + term, "لل" + term[2:], "وبال" + term[2:]]
    return [term, "و" + term, "ب" + term, "فال" + term, "وبال" + term]


def context(rule: Rule, term: str) -> str:
    """Words that satisfy the rule's `all` groups, in the term's language."""
    pick = arabic if arabic(term) else (lambda w: not arabic(w))
    return " ".join(next(t for t in g if pick(t)).rstrip("*") for g in rule.all_)


def cases() -> Iterator[tuple[str, str, str]]:
    """(rule id, plain term, the text around it with `{}` where the dodged term goes)."""
    for rule in BOOK.rules:
        for term in rule.terms:
            yield rule.id, term, "{} " + context(rule, term)
        for near in rule.near:
            for side, partners in ((near.terms, near.with_), (near.with_, near.terms)):
                for term in side:
                    partner = next(p for p in partners if arabic(p) == arabic(term))
                    yield rule.id, term, "{} " + f"{partner.rstrip('*')} {context(rule, term)}"
        for group in rule.all_:  # one group: the context word itself is the dodged one
            for term in group:
                trigger = next(t for t in rule.terms if arabic(t) == arabic(term))
                yield rule.id, term, f"{trigger} " + "{}"


CASES = list(cases())


def test_the_generator_covers_every_term_of_the_pack() -> None:
    covered = {term for _, term, _ in CASES}
    every = {term for rule in BOOK.rules for path, term in rule.term_fields() if path[0] != "none"}
    assert every - covered == set()
    assert len(CASES) > 100 and len(COMBINATIONS) > 150


def dodged_terms(names: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """(rule id, a text with one of its terms dodged by the named tricks)."""
    for rule_id, term, frame in CASES:
        for written in with_proclitics(term.rstrip("*")):
            for filler in ("قال مصدر محلي إن", "A local source said") if arabic(term) else ("",):
                yield rule_id, f"{filler} {frame.format(dodge(written, names))} اليوم".strip()


def dodged_unrelated(names: tuple[str, ...]) -> Iterator[str]:
    """The corpus dodged: every word, every other word, and neighbours glued then dodged."""
    for sentence in CORPUS:
        words = sentence.split(" ")
        yield dodge(sentence, names)
        yield " ".join(dodge(w, names) if i % 2 else w for i, w in enumerate(words))
        yield " ".join(  # neighbours dodged together, written with no space between
            dodge(a + b, names)
            for a, b in itertools.zip_longest(words[::2], words[1::2], fillvalue="")
        )


@pytest.mark.parametrize("names", COMBINATIONS, ids="+".join)
def test_every_dodged_term_flags_its_rule(names: tuple[str, ...]) -> None:
    missed, total = [], 0
    for rule_id, text in dodged_terms(names):
        total += 1
        if rule_id not in {m.rule for m in BOOK.match(text)}:
            missed.append((rule_id, text))
    assert missed == [], f"recall {1 - len(missed) / total:.3f}; first misses: {missed[:5]}"


def test_the_corpus_is_unrelated_and_long_enough() -> None:
    assert len(CORPUS) >= 50
    assert sum(map(arabic, CORPUS)) >= 20 and sum(not arabic(s) for s in CORPUS) >= 20
    assert [(s, BOOK.match(s)) for s in CORPUS if BOOK.match(s)] == []


@pytest.mark.parametrize("names", COMBINATIONS, ids="+".join)
def test_the_same_dodges_on_unrelated_words_flag_nothing(names: tuple[str, ...]) -> None:
    false_hits = []
    for text in dodged_unrelated(names):
        if found := BOOK.match(text):
            false_hits.append((text, [m.rule for m in found]))
    assert false_hits == []


@pytest.mark.parametrize("names", COMBINATIONS[:: len(COMBINATIONS) // 40], ids="+".join)
def test_the_quick_path_finds_what_the_careful_path_finds(names: tuple[str, ...]) -> None:
    """The spaced automaton (whole words, the careful automaton only around joins) against
    the careful one over the whole text, on the dodged terms and the dodged corpus."""
    texts = [text for _, text in dodged_terms(names)] + list(dodged_unrelated(names))
    differ = [
        t
        for t in texts
        if BOOK._match(normalize(t), None, quick=True)
        != BOOK._match(normalize(t), None, quick=False)
    ]
    assert differ == []

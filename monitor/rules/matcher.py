"""Match a rule book against a text: one Aho-Corasick pass over the normalised text.

Every term of every rule is one key of a single automaton, compiled once per rule book.
A hit counts only at word boundaries: an Arabic term may carry proclitics (و ف ب ك ل ال),
a term ending in `*` may run on into a suffix. Hits are mapped back to the original text,
so spans, terms and snippets show what the writer wrote, obfuscation included.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import ahocorasick

from monitor.domain import RuleMatch, Span
from monitor.rules.loader import Folders, load_rules
from monitor.rules.schema import FieldPath, Rule, parse_term
from monitor.text.arabic import Normalized, normalize
from monitor.text.tokens import (
    ARTICLE,
    DEFINITE_PROCLITICS,
    MAX_PROCLITIC,
    PROCLITICS,
    ends_word,
    is_arabic_word,
    possible_starts,
    starts_word,
    word_end,
    word_starts,
)

SNIPPET_CONTEXT = 60  # characters of context on each side of a hit
MAX_SNIPPETS = 5
MAX_NEAR_HITS = 200  # per side of a `near` clause
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class _Target:
    """One place a term is used: rule number, role (terms/all/none/near) and slot in it."""

    rule: int
    role: str
    slot: tuple[int, ...]  # all: (group,); near: (clause, side); otherwise ()
    wildcard: bool
    definite: bool  # an Arabic term written with ال: the text must have ال (or لل) too


@dataclass(frozen=True)
class _Key:
    """An automaton value: what is needed to check a raw hit, precomputed for speed."""

    length: int
    arabic: bool
    wildcard: bool  # some target lets the word run on
    targets: tuple[_Target, ...]


class _Hit(NamedTuple):  # a tuple: thousands are made per article
    rule: int
    role: str
    slot: tuple[int, ...]
    start: int  # in the normalised text
    end: int


def _target(rule: int, path: FieldPath, wildcard: bool, definite: bool) -> _Target:
    role = str(path[0])
    if role == "all":
        slot: tuple[int, ...] = (int(path[1]),)
    elif role == "near":
        slot = (int(path[1]), 0 if path[2] == "terms" else 1)
    else:
        slot = ()
    return _Target(rule, role, slot, wildcard, definite)


def _keys(rules: Sequence[Rule]) -> dict[str, list[_Target]]:
    keys: dict[str, list[_Target]] = defaultdict(list)
    for index, rule in enumerate(rules):
        for path, term in rule.term_fields():
            parsed = parse_term(term)
            key = parsed.key
            # The article is matched as a proclitic, so للكيماوي (ل + ال) is found too.
            definite = is_arabic_word(key) and key.startswith(ARTICLE) and len(key) > 4
            if definite:
                key = key.removeprefix(ARTICLE)
            target = _target(index, path, parsed.wildcard, definite)
            keys[key].append(target)
            if " " in key:  # `chemical.weapons` loses its dot and becomes one word, whose
                # stem is not the stems of its parts (chemicalweapon, not chemicweapon)
                glued = parse_term("".join(term.split())).key
                keys[glued.removeprefix(ARTICLE) if definite else glued].append(target)
    return keys


# Letters by how often they occur. pyahocorasick finds a node's child by a linear scan in
# insertion order, so adding keys with frequent letters first shortens the common path.
_FREQUENT_FIRST = {
    c: i for i, c in enumerate("اليمونهرتبعدسفكقحجشطصخزثضغذظء etaoinshrdlcumwfgypbvkjxqz")
}


def _by_letter_frequency(key: str) -> list[int]:
    return [_FREQUENT_FIRST.get(c, len(_FREQUENT_FIRST)) for c in key]


def _compile(rules: Sequence[Rule]) -> Any:
    automaton = ahocorasick.Automaton()
    keys = _keys(rules)
    for key in sorted(keys, key=_by_letter_frequency):
        targets = keys[key]
        if key:
            wildcard = any(t.wildcard for t in targets)
            automaton.add_word(key, _Key(len(key), is_arabic_word(key), wildcard, tuple(targets)))
    if len(automaton):
        automaton.make_automaton()
    return automaton


def _hits(norm: Normalized, automaton: Any) -> Iterator[_Hit]:
    text, joins = norm.text, norm.joins
    for last, key in automaton.iter(text):
        start, end = last + 1 - key.length, last + 1
        complete = ends_word(text, end, joins)
        if not (complete or key.wildcard):
            continue
        prefix = ""
        if key.arabic:
            for word in possible_starts(text, start, joins, MAX_PROCLITIC):
                if (prefix := text[word:start]) in PROCLITICS:
                    break
            else:
                continue
            start = word
        elif not starts_word(text, start, joins):
            continue
        if not complete:
            end = word_end(text, end, joins)
        for target in key.targets:
            if (complete or target.wildcard) and (
                not target.definite or prefix in DEFINITE_PROCLITICS
            ):
                yield _Hit(target.rule, target.role, target.slot, start, end)


def _overlaps(a: _Hit, b: _Hit) -> bool:
    return a.start < b.end and b.start < a.end


class _WordCounter:
    """Word number of a position in the normalised text, computed only when `near` needs it."""

    def __init__(self, norm: Normalized) -> None:
        self._norm = norm
        self._starts: list[int] | None = None

    def __call__(self, index: int) -> int:
        if self._starts is None:
            self._starts = word_starts(self._norm.text, self._norm.joins)
        return bisect_right(self._starts, index)

    def between(self, a: _Hit, b: _Hit) -> int:
        """How many words lie between two hits that do not overlap."""
        first, second = (a, b) if a.start <= b.start else (b, a)
        return max(0, self(second.start) - self(first.end - 1) - 1)


def _near_hits(rule: Rule, hits: list[_Hit], words: _WordCounter) -> list[_Hit]:
    found: list[_Hit] = []
    for clause_index, clause in enumerate(rule.near):
        # Pairs are checked one by one, so only the first hits of each side are looked at:
        # a page repeating a term 50,000 times must not cost 50,000² comparisons.
        sides = [
            [h for h in hits if h.slot == (clause_index, side)][:MAX_NEAR_HITS] for side in (0, 1)
        ]
        for a in sides[0]:
            for b in sides[1]:
                if not _overlaps(a, b) and words.between(a, b) <= clause.within:
                    found += (a, b)
    return found


def _outside(hits: list[_Hit], excluded: list[_Hit]) -> list[_Hit]:
    """The hits that overlap no excluded hit (bisect over merged spans: linear-ish in both)."""
    starts: list[int] = []
    ends: list[int] = []
    for hit in sorted(excluded, key=lambda h: h.start):
        if ends and hit.start <= ends[-1]:
            ends[-1] = max(ends[-1], hit.end)
        else:
            starts.append(hit.start)
            ends.append(hit.end)
    kept = []
    for hit in hits:
        i = bisect_right(starts, hit.start) - 1
        inside = (i >= 0 and ends[i] > hit.start) or (
            i + 1 < len(starts) and starts[i + 1] < hit.end
        )
        if not inside:
            kept.append(hit)
    return kept


def _evaluate(rule: Rule, hits: list[_Hit], words: _WordCounter) -> list[_Hit] | None:
    """The hits that make `rule` fire, or None if it does not."""
    if not any(h.role in ("terms", "near") for h in hits):
        return None  # e.g. only an `all` group matched: common, so leave early
    excluded = [h for h in hits if h.role == "none"]
    counted = _outside([h for h in hits if h.role != "none"], excluded) if excluded else hits
    triggers = [h for h in counted if h.role == "terms"]
    triggers += _near_hits(rule, [h for h in counted if h.role == "near"], words)
    if not triggers:
        return None
    groups = [
        [h for h in counted if h.role == "all" and h.slot == (g,)] for g in range(len(rule.all_))
    ]
    if not all(groups):
        return None
    return triggers + [h for group in groups for h in group]


def _spans(norm: Normalized, hits: list[_Hit]) -> list[Span]:
    """Original-text spans of the hits, merged where they overlap."""
    original = norm.original
    spans: list[list[int]] = []
    for start, end in sorted({(h.start, h.end) for h in hits}):
        begin = norm.source_index(start)
        # Up to where the next kept character came from: takes in dropped endings (`'s`,
        # diacritics) and inserted punctuation, then gives back trailing spaces/punctuation.
        stop = norm.source_index(end)
        while stop > begin + 1 and unicodedata.category(original[stop - 1])[0] in "PSZC":
            stop -= 1
        if spans and begin < spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], stop)
        else:
            spans.append([begin, stop])
    return [Span(a, b) for a, b in spans]


def _snippets(text: str, spans: list[Span]) -> list[str]:
    snippets: list[str] = []
    covered_to = -1
    for span in spans:
        if span.start < covered_to or len(snippets) == MAX_SNIPPETS:
            continue
        start = max(0, span.start - SNIPPET_CONTEXT)
        end = min(len(text), span.end + SNIPPET_CONTEXT)
        if start > 0 and (space := text.find(" ", start, span.start)) != -1:
            start = space + 1
        if end < len(text) and (space := text.rfind(" ", span.end, end)) != -1:
            end = space
        body = _SPACES.sub(" ", text[start:end]).strip()
        snippets.append(("…" if start > 0 else "") + body + ("…" if end < len(text) else ""))
        covered_to = end
    return snippets


class RuleBook:
    """Compiled rules. Build once (compiling is the slow part), match many texts."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules: list[Rule] = list(rules)
        self._automaton = _compile(self.rules)

    @classmethod
    def load(cls, folders: Folders) -> RuleBook:
        """Load and compile the folders' `*.yaml`; raises RuleError naming file and line."""
        return cls(load_rules(folders))

    def only(self, rule_id: str) -> RuleBook:
        """A book with just one rule (for backtests); KeyError if there is no such rule."""
        rule = next((r for r in self.rules if r.id == rule_id), None)
        if rule is None:
            raise KeyError(rule_id)
        return RuleBook([rule])

    def match(self, text: str, language: str | None = None) -> list[RuleMatch]:
        """Rules that match `text`, in book order; spans index `text` itself."""
        if not text or not len(self._automaton):
            return []
        norm = normalize(text)
        by_rule: dict[int, list[_Hit]] = defaultdict(list)
        for hit in _hits(norm, self._automaton):
            by_rule[hit.rule].append(hit)
        words = _WordCounter(norm)
        matches = []
        for index in sorted(by_rule):
            rule = self.rules[index]
            if not rule.applies_to(language):
                continue
            if (hits := _evaluate(rule, by_rule[index], words)) is not None:
                matches.append(_rule_match(rule, norm, hits))
        return matches


def _rule_match(rule: Rule, norm: Normalized, hits: list[_Hit]) -> RuleMatch:
    spans = _spans(norm, hits)
    terms = list(dict.fromkeys(norm.original[s.start : s.end] for s in spans))
    return RuleMatch(
        rule=rule.id,
        name=rule.name,
        severity=rule.severity,
        terms=terms,
        snippets=_snippets(norm.original, spans),
        spans=spans,
        notify=list(rule.notify),
    )

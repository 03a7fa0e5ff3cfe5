"""Match a rule book against a text: one Aho-Corasick pass over the normalised text.

Every term of every rule is one key of a single automaton, compiled once per rule book.
A hit counts only at word boundaries: an Arabic term may carry proclitics (و ف ب ك ل ال),
a term ending in `*` may run on into a suffix. Hits are mapped back to the original text,
so spans, terms and snippets show what the writer wrote, obfuscation included.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import takewhile
from operator import itemgetter
from typing import Any

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
    is_arabic_word,
    possible_starts,
    proclitic_before,
    word_end,
    words_from,
)

SNIPPET_CONTEXT = 60  # characters of context on each side of a hit
MAX_SNIPPETS = 5
MAX_NEAR_HITS = 200  # per side of a `near` clause
_SPACES = re.compile(r"\s+")


# what a hit gives its rule: ("terms",), ("near", clause, side), ("all", group), ("none",)
_Mark = tuple[str | int, ...]


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: fast
class _Target:
    """One place a term is used: rule number, role (terms/all/none/near) and slot in it."""

    rule: int
    role: str
    slot: tuple[int, ...]  # all: (group,); near: (clause, side); otherwise ()
    wildcard: bool
    definite: bool  # an Arabic term written with ال: the text must have ال (or لل) too

    @property
    def mark(self) -> _Mark:
        return (self.role, *self.slot)


@dataclass(frozen=True, eq=False)  # hashed by identity: a text's keys are put in a set
class _Key:
    """An automaton value: what is needed to check a raw hit, precomputed for speed."""

    length: int
    arabic: bool
    wildcard: bool  # some target lets the word run on
    # what a hit could give each rule (a trigger, a side of a near clause, an all group):
    # the raw hits' marks decide which rules could fire before any hit is checked
    marks: tuple[tuple[int, _Mark], ...]
    rules: frozenset[int]  # every rule with a target here, exclusions included
    # the targets a hit counts for: as a whole word or running on (wildcards), with or
    # without the article before it (definite terms need it)
    whole: tuple[_Target, ...]
    whole_with_article: tuple[_Target, ...]
    running_on: tuple[_Target, ...]
    running_on_with_article: tuple[_Target, ...]

    @classmethod
    def of(cls, key: str, targets: list[_Target]) -> _Key:
        def chosen(wildcard: bool, article: bool) -> tuple[_Target, ...]:
            return tuple(
                t for t in targets if (t.wildcard or not wildcard) and (article or not t.definite)
            )

        return cls(
            len(key),
            is_arabic_word(key),
            any(t.wildcard for t in targets),
            tuple(dict.fromkeys((t.rule, t.mark) for t in targets if t.role != "none")),
            frozenset(t.rule for t in targets),
            chosen(False, False),
            chosen(False, True),
            chosen(True, False),
            chosen(True, True),
        )


# (start, end) in the normalised text, and the term's target: a plain tuple, since
# thousands are made per article and a NamedTuple costs ten times more to make.
_Hit = tuple[int, int, _Target]


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
        if key:
            automaton.add_word(key, _Key.of(key, keys[key]))
    if len(automaton):
        automaton.make_automaton()
    return automaton


def _could_fire(rule: Rule, marks: set[_Mark]) -> bool:
    """Whether these marks (from raw hits, a superset of the true ones) could fire `rule`."""
    triggered = ("terms",) in marks or any(
        ("near", clause, 0) in marks and ("near", clause, 1) in marks
        for clause in range(len(rule.near))
    )
    return triggered and all(("all", group) in marks for group in range(len(rule.all_)))


def _hits(norm: Normalized, raw: list[tuple[int, _Key]]) -> dict[int, list[_Hit]]:
    """The raw hits that stand at word boundaries, by rule. Python runs once per raw
    hit, so the common cases (a word ending inside a longer word; a word starting
    after a space) are decided first, by one character test each."""
    text, joins = norm.text, norm.joins
    size = len(text)
    # where a join may stand among the proclitics before a term (then all starts are tried)
    near_join = {j + d for j in joins for d in range(MAX_PROCLITIC + 1)}
    by_rule: dict[int, list[_Hit]] = defaultdict(list)
    for last, key in raw:
        end = last + 1
        complete = end == size or not text[end].isalnum() or end in joins
        if not (complete or key.wildcard):
            continue
        start = end - key.length
        prefix = ""
        if start and text[start - 1].isalnum():  # only a proclitic or a join may come before
            if not key.arabic:
                if start not in joins:
                    continue
            elif start in near_join:
                for word in possible_starts(text, start, joins, MAX_PROCLITIC):
                    if (prefix := text[word:start]) in PROCLITICS:
                        break
                else:
                    continue
                start = word
            elif (found := proclitic_before(text, start)) is None:
                continue
            else:
                prefix = found
                start -= len(found)
        article = prefix in DEFINITE_PROCLITICS
        if complete:
            targets = key.whole_with_article if article else key.whole
        else:
            end = word_end(text, end, joins)
            targets = key.running_on_with_article if article else key.running_on
        for target in targets:
            by_rule[target.rule].append((start, end, target))
    return by_rule


def _close(norm: Normalized, a: _Hit, b: _Hit, within: int) -> bool:
    """Whether at most `within` words lie between two hits that do not overlap."""
    (_, end, _), (start, _, _) = (a, b) if a[0] <= b[0] else (b, a)
    # the words from the first hit's end up to the second hit's own word, which is not between
    return words_from(norm.text, norm.joins, end, start + 1, within + 1) <= within + 1


def _near_hits(rule: Rule, hits: list[_Hit], norm: Normalized) -> set[_Hit]:
    """The hits of each `near` clause that have a partner on the other side close enough."""
    found: set[_Hit] = set()
    for clause_index, clause in enumerate(rule.near):
        # Only the first hits of each side are looked at: a page repeating a term 50,000
        # times must not cost that much.
        sides = [
            [h for h in hits if h[2].slot == (clause_index, side)][:MAX_NEAR_HITS]
            for side in (0, 1)
        ]
        found.update(_with_close_partner(norm, sides[0], sides[1], clause.within))
        found.update(_with_close_partner(norm, sides[1], sides[0], clause.within))
    return found


def _with_close_partner(
    norm: Normalized, hits: list[_Hit], partners: list[_Hit], within: int
) -> Iterator[_Hit]:
    """The hits with a partner that does not overlap them and is at most `within` words
    away. The words between only grow with the distance, so from each partner the hits
    are walked outwards until one is too far, or (fewer hits than partners) each hit is
    checked against the nearest partner on each side: never a count per pair."""
    if len(partners) < len(hits):
        for partner in partners:
            yield from _close_from(norm, partner, hits, within)
        return
    after = sorted(partners, key=itemgetter(0))
    before = sorted(partners, key=itemgetter(1))
    starts, ends = [p[0] for p in after], [p[1] for p in before]
    for hit in hits:
        i = bisect_left(starts, hit[1])  # the first partner starting where the hit ends
        j = bisect_right(ends, hit[0]) - 1  # the last partner ending where the hit starts
        if (i < len(after) and _close(norm, hit, after[i], within)) or (
            j >= 0 and _close(norm, before[j], hit, within)
        ):
            yield hit


def _close_from(norm: Normalized, partner: _Hit, hits: list[_Hit], within: int) -> Iterator[_Hit]:
    """The hits close to one partner: walked outwards on each side while close."""
    after = sorted((h for h in hits if h[0] >= partner[1]), key=itemgetter(0))
    before = sorted((h for h in hits if h[1] <= partner[0]), key=itemgetter(1), reverse=True)
    for side in (after, before):
        yield from takewhile(lambda hit: _close(norm, partner, hit, within), side)


def _outside(hits: list[_Hit], excluded: list[_Hit]) -> list[_Hit]:
    """The hits that overlap no excluded hit (bisect over merged spans: linear-ish in both)."""
    starts: list[int] = []
    ends: list[int] = []
    for start, end, _ in sorted(excluded, key=itemgetter(0)):
        if ends and start <= ends[-1]:
            ends[-1] = max(ends[-1], end)
        else:
            starts.append(start)
            ends.append(end)
    kept = []
    for hit in hits:
        start, end, _ = hit
        i = bisect_right(starts, start) - 1
        inside = (i >= 0 and ends[i] > start) or (i + 1 < len(starts) and starts[i + 1] < end)
        if not inside:
            kept.append(hit)
    return kept


def _evaluate(rule: Rule, hits: list[_Hit], norm: Normalized) -> list[_Hit] | None:
    """The hits that make `rule` fire, or None if it does not."""
    roles: dict[str, list[_Hit]] = {"terms": [], "near": [], "all": [], "none": []}
    for hit in hits:
        roles[hit[2].role].append(hit)
    if not (roles["terms"] or roles["near"]):
        return None  # e.g. only an `all` group matched: common, so leave early
    if roles["none"]:
        for role in ("terms", "near", "all"):
            roles[role] = _outside(roles[role], roles["none"])
    triggers = roles["terms"] + list(_near_hits(rule, roles["near"], norm))
    if not triggers:
        return None
    groups = [[h for h in roles["all"] if h[2].slot == (g,)] for g in range(len(rule.all_))]
    if not all(groups):
        return None
    return triggers + [h for group in groups for h in group]


def _spans(norm: Normalized, hits: list[_Hit]) -> list[Span]:
    """Original-text spans of the hits, merged where they overlap."""
    original = norm.original
    spans: list[list[int]] = []
    for start, end in sorted({(start, end) for start, end, _ in hits}):
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
        raw: list[tuple[int, _Key]] = list(self._automaton.iter(norm.text))
        keys = set(map(itemgetter(1), raw))
        candidates = self._could_fire(keys, language)
        if not candidates:
            return []  # most texts: no hit is checked, no rule evaluated
        if unwanted := {key for key in keys if key.rules.isdisjoint(candidates)}:
            raw = [hit for hit in raw if hit[1] not in unwanted]
        by_rule = _hits(norm, raw)
        matches = []
        for index in sorted(candidates):
            if (hits := _evaluate(self.rules[index], by_rule[index], norm)) is not None:
                matches.append(_rule_match(self.rules[index], norm, hits))
        return matches

    def _could_fire(self, keys: set[_Key], language: str | None) -> set[int]:
        """The rules that the raw hits of these keys could fire: the only ones whose hits
        are worth checking (a term of the text is often in some rule's `all` or `near`)."""
        marks: dict[int, set[_Mark]] = defaultdict(set)
        for key in keys:
            for rule, mark in key.marks:
                marks[rule].add(mark)
        return {
            index
            for index, found in marks.items()
            if _could_fire(self.rules[index], found) and self.rules[index].applies_to(language)
        }


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

"""Match a rule book against a text: Aho-Corasick over the normalised text, compiled once.

Every term of every rule is a key of two automata. A hit counts only at word boundaries:
an Arabic term may carry proclitics (و ف ب ك ل ال), a term ending in `*` may run on into a
suffix, and a "join" (punctuation removed between letters) may also end or begin a word.
- The spaced automaton holds each term as a whole word between spaces (` وبالكيماوي `),
  once per proclitic it may take, and as the start of a word for `*` terms; it runs over
  the text with a space for every character that is not a letter or a digit, so its hits
  are the true hits and need no check in Python (the terms of `near` and `all` lists are
  ordinary words, hit dozens of times per article). The price is memory: a copy of the
  Arabic terms per proclitic, about 8 MB per 1,000 terms.
- The careful automaton holds the bare terms and each raw hit is checked in Python; it
  runs only around joins, where a word may start or end without a space (and over the
  texts spacing cannot take), and gives the same hits as the spaced one elsewhere.
Only the rules the raw hits could fire are evaluated. Hits are mapped back to the
original text, so spans, terms and snippets show what the writer wrote, obfuscation
included.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import takewhile
from operator import itemgetter
from typing import Any, TypeVar

import ahocorasick

from monitor.domain import RuleMatch, Span
from monitor.rules.loader import Folders, load_rules
from monitor.rules.schema import FieldPath, Rule, parse_term
from monitor.text.arabic import Normalized, normalize
from monitor.text.characters import words_between_spaces
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


# What a hit gives its rule, as one bit: a trigger (bit 0), a side of a near clause (bit
# 1 + 2 * clause + side) or an all group (the bits after the near clauses'); an exclusion
# gives none. A text's bits are or-ed per rule: ints, not sets, since this runs per text.
_TERMS_BIT = 1


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: fast
class _Target:
    """One place a term is used: rule number, role (terms/all/none/near) and slot in it."""

    rule: int
    role: str
    slot: tuple[int, ...]  # all: (group,); near: (clause, side); otherwise ()
    wildcard: bool
    definite: bool  # an Arabic term written with ال: the text must have ال (or لل) too
    bit: int  # what a hit gives the rule (see _TERMS_BIT)


@dataclass(frozen=True, eq=False)  # hashed by identity: a text's keys are put in a set
class _Key:
    """An automaton value: what is needed to check a raw hit, precomputed for speed."""

    length: int
    arabic: bool
    wildcard: bool  # some target lets the word run on
    # what a hit could give each rule (a trigger, a side of a near clause, an all group):
    # the raw hits' bits decide which rules could fire before any hit is checked
    bits: tuple[tuple[int, int], ...]
    rules: frozenset[int]  # every rule with a target here, exclusions included
    # the targets a hit counts for: as a whole word or running on (wildcards), with or
    # without the article before it (definite terms need it)
    whole: tuple[_Target, ...]
    whole_with_article: tuple[_Target, ...]
    running_on: tuple[_Target, ...]
    running_on_with_article: tuple[_Target, ...]

    def targets(self, running_on: bool, article: bool) -> tuple[_Target, ...]:
        if running_on:
            return self.running_on_with_article if article else self.running_on
        return self.whole_with_article if article else self.whole

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
            _bits_by_rule((t.rule, t.bit) for t in targets),
            frozenset(t.rule for t in targets),
            chosen(False, False),
            chosen(False, True),
            chosen(True, False),
            chosen(True, True),
        )


# (start, end) in the normalised text, and the term's target: a plain tuple, since
# thousands are made per article and a NamedTuple costs ten times more to make.
_Hit = tuple[int, int, _Target]


def _bits_by_rule(bits: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: dict[int, int] = defaultdict(int)
    for rule, bit in bits:
        merged[rule] |= bit
    return tuple(merged.items())


def _target(index: int, rule: Rule, path: FieldPath, wildcard: bool, definite: bool) -> _Target:
    role = str(path[0])
    bit = 0
    if role == "all":
        slot: tuple[int, ...] = (int(path[1]),)
        bit = 1 << (1 + 2 * len(rule.near) + slot[0])
    elif role == "near":
        slot = (int(path[1]), 0 if path[2] == "terms" else 1)
        bit = 1 << (1 + 2 * slot[0] + slot[1])
    else:
        slot = ()
        bit = _TERMS_BIT if role == "terms" else 0
    return _Target(index, role, slot, wildcard, definite, bit)


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
            target = _target(index, rule, path, parsed.wildcard, definite)
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


class _Ranks(dict[int, str]):
    """A `str.translate` table from each letter to its rank (every other letter last), so
    keys sort by frequency in C: hundreds of thousands in a spaced automaton."""

    def __missing__(self, letter: int) -> str:
        return chr(len(self))


_RANKS = _Ranks({ord(c): chr(i) for c, i in _FREQUENT_FIRST.items()})


def _by_letter_frequency(key: str) -> str:
    return key.translate(_RANKS)


def _automaton(values: dict[str, Any]) -> Any:
    automaton = ahocorasick.Automaton()
    for key in sorted(values, key=_by_letter_frequency):
        automaton.add_word(key, values[key])
    if len(automaton):
        automaton.make_automaton()
    return automaton


# (length of the term, whether it runs on, the term to compare when spacing changed it
# (`a b` is also `a، b` spaced), the targets it counts for)
_Reading = tuple[int, bool, str | None, tuple[_Target, ...]]


@dataclass(frozen=True, eq=False)
class _Word:
    """A value of the spaced automaton, whose keys are a term as a whole word between
    spaces (` وبالكيماوي `) or as the start of one (` وبالكيماوي`), with each proclitic;
    one value serves every proclitic (the word's start is the space before it)."""

    bits: tuple[tuple[int, int], ...]
    rules: frozenset[int]
    readings: tuple[_Reading, ...]


_ARABIC_PREFIXES = sorted(PROCLITICS)


def _spaced_keys(plain: dict[str, _Key]) -> dict[str, _Word] | None:
    """Every key with its word delimiters and each proclitic it may take: a hit of one of
    these is a hit at word boundaries, with no check in Python (see `_word_hits`). None
    if a key has an astral character (such a book always takes the careful path)."""
    words: dict[str, _Word] = {}
    for key, value in plain.items():
        if (spaced := words_between_spaces(key)) is None:
            return None
        written = None if key.isalnum() else key  # a space in spaced text may be another character
        readings = {
            (article, running_on): _Word(
                value.bits, value.rules, ((len(key), running_on, written, targets),)
            )
            for article in (False, True)
            for running_on in (False, True)
            if (targets := value.targets(running_on, article))
        }
        for prefix in _ARABIC_PREFIXES if value.arabic else [""]:
            article = prefix in DEFINITE_PROCLITICS
            for running_on in (False, True):
                if word := readings.get((article, running_on)):
                    delimited = f" {prefix}{spaced[1:-1] if running_on else spaced[1:]}"
                    known = words.get(delimited)
                    words[delimited] = word if known is None else _merged(known, word)
    return words


def _merged(one: _Word, other: _Word) -> _Word:
    """Two keys rarely make the same spaced key (و + قصف and وقصف): it has both readings."""
    bits = _bits_by_rule((*one.bits, *other.bits))
    return _Word(bits, one.rules | other.rules, (*one.readings, *other.readings))


# what a rule needs to fire: both sides of some near clause (or a term), and every all group
_Needs = tuple[tuple[int, ...], int]


def _needs(rule: Rule) -> _Needs:
    sides = tuple(0b11 << (1 + 2 * clause) for clause in range(len(rule.near)))
    groups = sum(1 << (1 + 2 * len(rule.near) + group) for group in range(len(rule.all_)))
    return sides, groups


def _could_fire(needs: _Needs, bits: int) -> bool:
    """Whether these bits (from raw hits, a superset of the true ones) could fire a rule."""
    sides, groups = needs
    if not bits & _TERMS_BIT and not any(bits & both == both for both in sides):
        return False
    return bits & groups == groups


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
        if not complete:
            end = word_end(text, end, joins)
        for target in key.targets(not complete, prefix in DEFINITE_PROCLITICS):
            by_rule[target.rule].append((start, end, target))
    return by_rule


def _word_hits(
    norm: Normalized, spaced: str, raw: list[tuple[int, _Word]]
) -> dict[int, list[_Hit]]:
    """The spaced automaton's hits, by rule: each is a term at word boundaries already.
    `spaced` has one more character in front, so a term ending before spaced[i] ends
    before text[i - 1], and the word starts at the space before the term's proclitic.
    A key that runs on counts only when the word does run on (a whole word is the other
    key's hit); one that spacing changed is compared with the text."""
    text, joins = norm.text, norm.joins
    size = len(text)
    by_rule: dict[int, list[_Hit]] = defaultdict(list)
    for last, word in raw:
        for length, running_on, written, targets in word.readings:
            if not running_on:
                end = last - 1
            elif last == size or not text[last].isalnum():
                continue
            else:
                end = last
            term = end - length
            if written is not None and text[term:end] != written:
                continue
            start = spaced.rfind(" ", 0, term + 1)
            if running_on:
                end = word_end(text, end, joins)
            for target in targets:
                by_rule[target.rule].append((start, end, target))
    return by_rule


def _around_joins(norm: Normalized, longest: int) -> list[list[int]]:
    """Where a hit may need a join (a term ending at one, or starting there with its
    proclitic), overlapping stretches merged: only there does the careful path run."""
    windows: list[list[int]] = []
    for join in sorted(norm.joins):
        start = max(0, join - longest)
        end = min(len(norm.text), join + MAX_PROCLITIC + longest)
        if windows and start <= windows[-1][1]:
            windows[-1][1] = end
        else:
            windows.append([start, end])
    return windows


_Value = TypeVar("_Value", _Key, _Word)


def _without(
    unwanted: set[_Key | _Word], raw: list[tuple[int, _Value]]
) -> list[tuple[int, _Value]]:
    return [hit for hit in raw if hit[1] not in unwanted] if unwanted else raw


def _close(norm: Normalized, a: _Hit, b: _Hit, within: int) -> bool:
    """Whether at most `within` words lie between two hits that do not overlap."""
    (_, end, _), (start, _, _) = (a, b) if a[0] <= b[0] else (b, a)
    # the words from the first hit's end up to the second hit's own word, which is not between
    return words_from(norm.text, norm.joins, end, start + 1, within + 1) <= within + 1


_SPAN = itemgetter(0, 1)


def _near_hits(rule: Rule, hits: list[_Hit], norm: Normalized) -> set[_Hit]:
    """The hits of each `near` clause that have a partner on the other side close enough."""
    found: set[_Hit] = set()
    for clause_index, clause in enumerate(rule.near):
        # Only the first hits of each side are looked at: a page repeating a term 50,000
        # times must not cost that much.
        sides = [
            sorted((h for h in hits if h[2].slot == (clause_index, side)), key=_SPAN)[
                :MAX_NEAR_HITS
            ]
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
    triggers = roles["terms"] + (
        list(_near_hits(rule, roles["near"], norm)) if roles["near"] else []
    )
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
        body = " ".join(text[start:end].split())  # what `\s+` → " " and strip() give
        snippets.append(("…" if start > 0 else "") + body + ("…" if end < len(text) else ""))
        covered_to = end
    return snippets


class RuleBook:
    """Compiled rules. Build once (compiling is the slow part), match many texts."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules: list[Rule] = list(rules)
        plain = {key: _Key.of(key, targets) for key, targets in _keys(self.rules).items() if key}
        self._automaton = _automaton(plain)
        spaced = _spaced_keys(plain)
        self._spaced = None if spaced is None else _automaton(spaced)
        self._longest = max(map(len, plain), default=0)
        self._needs = [_needs(rule) for rule in self.rules]

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
        return self._match(normalize(text), language, quick=True)

    def _match(self, norm: Normalized, language: str | None, quick: bool) -> list[RuleMatch]:
        """`quick`: the spaced automaton, and the careful one only around joins (False:
        the careful one over the whole text; both give the same matches)."""
        candidates, by_rule = self._hits(norm, language, quick)
        matches = []
        for index in sorted(candidates):
            if (hits := _evaluate(self.rules[index], by_rule[index], norm)) is not None:
                matches.append(_rule_match(self.rules[index], norm, hits))
        return matches

    def _hits(
        self, norm: Normalized, language: str | None, quick: bool
    ) -> tuple[set[int], dict[int, list[_Hit]]]:
        """The rules that could fire, and the hits (at word boundaries) by rule."""
        automaton = self._spaced if quick else None
        spaced = "" if automaton is None else words_between_spaces(norm.text)
        words: list[tuple[int, _Word]] = []
        if automaton is None or spaced is None:
            careful: list[tuple[int, _Key]] = list(self._automaton.iter(norm.text))
        else:
            words = list(automaton.iter(spaced))
            careful = [
                hit
                for start, end in _around_joins(norm, self._longest)
                for hit in self._automaton.iter(norm.text, start, end)
            ]
        values = {*map(itemgetter(1), words), *map(itemgetter(1), careful)}
        if not (candidates := self._could_fire(values, language)):
            return candidates, {}  # most texts: no hit is checked, no rule evaluated
        unwanted = {value for value in values if value.rules.isdisjoint(candidates)}
        by_rule = (
            _word_hits(norm, spaced, _without(unwanted, words)) if spaced else defaultdict(list)
        )
        for index, hits in _hits(norm, _without(unwanted, careful)).items():
            known = set(by_rule[index])  # found by both paths when no join was needed
            by_rule[index] += [hit for hit in hits if hit not in known]
        return candidates, by_rule

    def _could_fire(self, keys: set[_Key | _Word], language: str | None) -> set[int]:
        """The rules that the raw hits of these keys could fire: the only ones whose hits
        are worth checking (a term of the text is often in some rule's `all` or `near`)."""
        found: dict[int, int] = defaultdict(int)
        for key in keys:
            for rule, bits in key.bits:
                found[rule] |= bits
        return {
            index
            for index, bits in found.items()
            if _could_fire(self._needs[index], bits) and self.rules[index].applies_to(language)
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

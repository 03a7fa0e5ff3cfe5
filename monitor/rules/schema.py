"""One keyword rule as written in `rules/*.yaml` (the syntax is described in rules/README.md).

Terms are literal text, never patterns: a rule file cannot make matching slow or read
anything (see reliability B6). A trailing `*` lets a term continue with a suffix.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from monitor.text.arabic import normalize_arabic

MAX_TERM_LENGTH = 200
MAX_TERMS = 20_000
WILDCARD = "*"

Term = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TERM_LENGTH)
]
Terms = Annotated[list[Term], Field(max_length=MAX_TERMS)]
Severity = Literal["low", "medium", "high", "critical"]
FieldPath = tuple[str | int, ...]  # where a value sits in a rule, e.g. ("near", 0, "with", 2)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Near(_Strict):
    """Fires when a term of `terms` and one of `with` have at most `within` words between them."""

    terms: Annotated[Terms, Field(min_length=1)]
    with_: Annotated[Terms, Field(alias="with", min_length=1)]
    within: int = Field(8, ge=0, le=50)


class Examples(_Strict):
    should_match: list[str] = Field(default_factory=list)
    should_not_match: list[str] = Field(default_factory=list)


class Rule(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=100)
    name: str = Field(min_length=1, max_length=200)
    severity: Severity = "medium"
    terms: Terms = Field(default_factory=list)  # any one of these fires the rule
    all_: list[Annotated[Terms, Field(min_length=1)]] = Field(default_factory=list, alias="all")
    none: Terms = Field(default_factory=list)  # a hit inside one of these does not count
    near: list[Near] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)  # empty: every language
    notify: list[str] = Field(default_factory=lambda: ["all"])  # apprise tags
    examples: Examples = Field(default_factory=Examples)

    @model_validator(mode="after")
    def _has_a_trigger(self) -> Rule:
        if not self.terms and not self.near:
            raise ValueError("a rule needs `terms` or `near`")
        return self

    def applies_to(self, language: str | None) -> bool:
        return not self.languages or language in (None, "und") or language in self.languages

    def term_fields(self) -> Iterator[tuple[FieldPath, str]]:
        """Every term, with where it sits in the rule."""
        for i, term in enumerate(self.terms):
            yield ("terms", i), term
        for g, group in enumerate(self.all_):
            for i, term in enumerate(group):
                yield ("all", g, i), term
        for i, term in enumerate(self.none):
            yield ("none", i), term
        for n, near in enumerate(self.near):
            for side, terms in (("terms", near.terms), ("with", near.with_)):
                for i, term in enumerate(terms):
                    yield ("near", n, side, i), term


@dataclass(frozen=True)
class ParsedTerm:
    key: str  # normalised text the automaton searches for
    wildcard: bool  # the word may go on after the term (a trailing `*`)


def parse_term(term: str) -> ParsedTerm:
    """Normalise a term exactly as texts are normalised, so both spell words the same way."""
    wildcard = term.endswith(WILDCARD)
    key = normalize_arabic(term.removesuffix(WILDCARD) if wildcard else term)
    return ParsedTerm(_EDGE_NON_WORD.sub("", key), wildcard)


_EDGE_NON_WORD = re.compile(r"^[\W_]+|[\W_]+$")

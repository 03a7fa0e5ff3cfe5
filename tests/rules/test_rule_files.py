"""Every rule file loads, and every example written in it behaves as it says."""

from __future__ import annotations

import pytest

from monitor.rules.lint import example_problems, lint
from monitor.rules.loader import BUILTIN_RULES, LoadedRule, read_rules

RULES_DIR = BUILTIN_RULES
LOADED, PROBLEMS = read_rules(RULES_DIR)


def test_default_pack_lints_clean() -> None:
    assert PROBLEMS == []
    assert lint(RULES_DIR) == []


@pytest.mark.parametrize("item", LOADED, ids=lambda item: item.rule.id)
def test_rule_examples(item: LoadedRule) -> None:
    assert item.rule.examples.should_match and item.rule.examples.should_not_match
    assert example_problems(item) == [], "fix the rule or the example"

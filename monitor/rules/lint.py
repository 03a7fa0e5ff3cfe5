"""`monitor rules lint`: everything that stops a rule pack loading, plus failing examples."""

from __future__ import annotations

from monitor.rules.loader import Folders, LoadedRule, Problem, read_rules
from monitor.rules.matcher import RuleBook


def lint(folders: Folders) -> list[Problem]:
    loaded, problems = read_rules(folders)
    return problems + [p for item in loaded for p in example_problems(item)]


def example_problems(item: LoadedRule) -> list[Problem]:
    """Each `should_match` text must fire the rule and each `should_not_match` must not."""
    book = RuleBook([item.rule])
    examples = item.rule.examples
    problems = []
    for kind, texts, expected in (
        ("should_match", examples.should_match, True),
        ("should_not_match", examples.should_not_match, False),
    ):
        for index, text in enumerate(texts):
            if bool(book.match(text)) != expected:
                verb = "does not match" if expected else "matches"
                problems.append(
                    Problem(
                        item.file,
                        item.line(("examples", kind, index)),
                        f"rule {item.rule.id!r}: example {verb}: {text!r}",
                    )
                )
    return problems

"""Keyword rules: YAML files in `rules/`, compiled into one matcher (see rules/README.md)."""

from monitor.rules.loader import Problem, RuleError
from monitor.rules.matcher import RuleBook
from monitor.rules.schema import Rule
from monitor.rules.watch import RuleWatcher

__all__ = ["Problem", "Rule", "RuleBook", "RuleError", "RuleWatcher"]

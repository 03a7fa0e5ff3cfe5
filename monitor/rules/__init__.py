"""Keyword rules: the built-in pack plus the user's YAML files, compiled into one matcher
(see rules/README.md)."""

from monitor.rules.loader import BUILTIN_RULES, Problem, RuleError, rule_folders
from monitor.rules.matcher import RuleBook
from monitor.rules.schema import Rule
from monitor.rules.watch import RuleWatcher

__all__ = ["BUILTIN_RULES", "Problem", "Rule", "RuleBook", "RuleError", "RuleWatcher", "rule_folders"]

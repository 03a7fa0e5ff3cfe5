"""Read rule folders into validated rules; every problem names its file and line.

A file holds a YAML list of rules. Rules come in layers: the pack shipped inside the
package (`monitor/rules/pack/`), then the user's `rules_dir`, whose rules are added to it;
a rule there with a built-in rule's id replaces that rule (same place in the book).
Loading is all or nothing: a rule pack with any problem is refused, so a typo never
silently switches a rule off (the watcher keeps the last good pack running meanwhile).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from monitor.config import Settings
from monitor.rules.schema import FieldPath, Rule, parse_term

RULE_FILE_PATTERNS = ("*.yaml", "*.yml")
# Package data (see pyproject.toml), so the pack is found from any working directory.
BUILTIN_RULES = Path(__file__).with_name("pack")
Folders = str | os.PathLike[str] | Sequence[Path]  # one folder, or layers (later ones win)


@dataclass(frozen=True)
class Problem:
    file: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        return f"{where}: {self.message}"


class RuleError(Exception):
    """A rule pack that cannot be used; `problems` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


@dataclass(frozen=True)
class LoadedRule:
    rule: Rule
    file: Path
    lines: Mapping[FieldPath, int] = field(repr=False)  # line of each value inside the rule

    def line(self, path: FieldPath = ()) -> int | None:
        return _line(self.lines, path)


def _line(lines: Mapping[FieldPath, int], path: FieldPath) -> int | None:
    """Line of the value at `path`, or of the nearest enclosing value that has one."""
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path)


def rule_folders(settings: Settings) -> tuple[Path, ...]:
    """The layers a configured service reads: the built-in pack, then the user's folder."""
    builtin = [BUILTIN_RULES] if settings.builtin_rules else []
    return (*builtin, *([settings.rules_dir] if settings.rules_dir else []))


def as_folders(folders: Folders) -> tuple[Path, ...]:
    if isinstance(folders, str | os.PathLike):
        return (Path(folders),)
    return tuple(Path(f) for f in folders)


def rule_files(folders: Folders) -> list[Path]:
    return [
        path
        for folder in as_folders(folders)
        for path in sorted({p for pattern in RULE_FILE_PATTERNS for p in folder.glob(pattern)})
    ]


def read_rules(folders: Folders) -> tuple[list[LoadedRule], list[Problem]]:
    """Every rule that validates (a later layer's rule replacing an earlier one with the
    same id), and every problem found on the way."""
    layers = as_folders(folders)
    by_id: dict[str, LoadedRule] = {}
    problems: list[Problem] = []
    for folder in layers:
        if not folder.is_dir():
            problems.append(Problem(folder, None, "rules directory not found"))
            continue
        layer: list[LoadedRule] = []
        for path in rule_files(folder):
            rules, file_problems = _read_file(path)
            layer += rules
            problems += file_problems
        problems += _duplicate_ids(layer)
        by_id.update((item.rule.id, item) for item in layer)
    if not problems and not rule_files(layers):
        where = layers[-1] if layers else Path(".")
        problems.append(Problem(where, None, "no rule files (*.yaml) in this directory"))
    return list(by_id.values()), problems


def load_rules(folders: Folders) -> list[Rule]:
    loaded, problems = read_rules(folders)
    if problems:
        raise RuleError(problems)
    return [item.rule for item in loaded]


def _read_file(path: Path) -> tuple[list[LoadedRule], list[Problem]]:
    try:
        data, lines, problems = _parse_yaml(path.read_text(encoding="utf-8"), path)
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Problem(path, None, f"cannot read ({exc})")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or "syntax error"
        return [], [Problem(path, mark.line + 1 if mark else None, f"not valid YAML: {reason}")]
    if data is None:
        return [], problems
    if not isinstance(data, list):
        return [], [Problem(path, 1, "a rule file must be a YAML list of rules (`- id: ...`)")]
    lines_by_rule: dict[object, dict[FieldPath, int]] = defaultdict(dict)
    for at, line in lines.items():
        if at:
            lines_by_rule[at[0]][at[1:]] = line
    loaded = []
    for index, item in enumerate(data):
        rule_or_problems = _validate(item, path, lines_by_rule[index])
        if isinstance(rule_or_problems, LoadedRule):
            loaded.append(rule_or_problems)
        else:
            problems += rule_or_problems
    return loaded, problems


def _validate(item: Any, path: Path, lines: dict[FieldPath, int]) -> LoadedRule | list[Problem]:
    where = lines.get(())
    if not isinstance(item, dict):
        return [Problem(path, where, "each rule must be a mapping with id, name, terms…")]
    label = f"rule {item['id']!r}: " if isinstance(item.get("id"), str) else ""
    try:
        rule = Rule.model_validate(item)
    except ValidationError as exc:
        return [
            Problem(path, _line(lines, tuple(err["loc"])), label + _describe(err))
            for err in exc.errors()
        ]
    loaded = LoadedRule(rule, path, lines)
    return [
        Problem(path, loaded.line(term_path), f"{label}term {term!r} normalises to nothing")
        for term_path, term in rule.term_fields()
        if not parse_term(term).key
    ] or loaded


def _describe(err: Any) -> str:
    location = ".".join(str(part) for part in err["loc"])
    if err["type"] == "extra_forbidden":
        return f"unknown key {location!r}"
    return f"{location}: {err['msg']}" if location else str(err["msg"])


def _duplicate_ids(loaded: list[LoadedRule]) -> Iterator[Problem]:
    first: dict[str, LoadedRule] = {}
    for item in loaded:
        if (earlier := first.setdefault(item.rule.id, item)) is not item:
            yield Problem(
                item.file,
                item.line(("id",)),
                f"duplicate rule id {item.rule.id!r} (first defined at "
                f"{earlier.file}:{earlier.line(('id',))})",
            )


def _parse_yaml(text: str, path: Path) -> tuple[Any, dict[FieldPath, int], list[Problem]]:
    """The document, the line of every value in it, and keys given twice in one mapping
    (PyYAML keeps the last silently, which would quietly drop half a rule)."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}, []
        data = loader.construct_document(node)
    finally:
        loader.dispose()
    lines: dict[FieldPath, int] = {}
    problems: list[Problem] = []

    def walk(node: yaml.Node, at: FieldPath) -> None:
        lines.setdefault(at, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            seen: set[object] = set()
            for key_node, value_node in node.value:
                key = key_node.value
                if key in seen:
                    problems.append(
                        Problem(path, key_node.start_mark.line + 1, f"key {key!r} given twice")
                    )
                seen.add(key)
                lines.setdefault((*at, key), key_node.start_mark.line + 1)
                walk(value_node, (*at, key))
        elif isinstance(node, yaml.SequenceNode):
            for index, child in enumerate(node.value):
                walk(child, (*at, index))

    walk(node, ())
    return data, lines, problems

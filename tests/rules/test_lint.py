"""Rule files with mistakes: each problem is refused with its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.rules import RuleBook, RuleError
from monitor.rules.lint import lint

GOOD = """\
- id: sarin
  name: Sarin
  terms: [sarin, سارين]
  examples:
    should_match: [Sarin was used]
    should_not_match: [Nothing here]
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def messages(directory: Path) -> list[str]:
    return [str(p) for p in lint(directory)]


def test_good_file_has_no_problems(tmp_path: Path) -> None:
    write(tmp_path, "good.yaml", GOOD)
    assert lint(tmp_path) == []
    assert [r.id for r in RuleBook.load(tmp_path).rules] == ["sarin"]


def test_bad_yaml(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", GOOD + "- id: x\n  terms: [unclosed\n")
    (message,) = messages(tmp_path)
    assert message.startswith(f"{path}:9: not valid YAML")


def test_unknown_key_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "r.yaml", GOOD + "  colour: red\n")
    assert messages(tmp_path) == [f"{path}:7: rule 'sarin': unknown key 'colour'"]


def test_unknown_key_inside_near(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "r.yaml",
        "- id: x\n  name: X\n  near:\n    - terms: [a]\n      with: [b]\n      whithin: 3\n",
    )
    assert messages(tmp_path) == [f"{path}:6: rule 'x': unknown key 'near.0.whithin'"]


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", GOOD)
    second = write(tmp_path, "b.yaml", "# another\n" + GOOD)
    assert messages(tmp_path) == [
        f"{second}:2: duplicate rule id 'sarin' (first defined at {first}:1)"
    ]


def test_term_that_normalises_to_nothing(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "r.yaml",
        "- id: x\n  name: X\n  terms:\n    - sarin\n    - 'ـــ'\n  none: ['..']\n",
    )
    assert messages(tmp_path) == [
        f"{path}:5: rule 'x': term 'ـــ' normalises to nothing",
        f"{path}:6: rule 'x': term '..' normalises to nothing",
    ]


def test_wrong_values(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "r.yaml",
        "- id: Bad Id\n  name: X\n  severity: urgent\n  terms: sarin\n- id: y\n  name: Y\n",
    )
    problems = messages(tmp_path)
    assert (
        problems[0]
        == f"{path}:1: rule 'Bad Id': id: String should match pattern '^[a-z][a-z0-9_]*$'"
    )
    assert problems[1].startswith(f"{path}:3: rule 'Bad Id': severity: Input should be 'low'")
    assert problems[2].startswith(f"{path}:4: rule 'Bad Id': terms: Input should be a valid list")
    assert problems[3] == f"{path}:5: rule 'y': Value error, a rule needs `terms` or `near`"


def test_key_given_twice(tmp_path: Path) -> None:
    path = write(tmp_path, "r.yaml", GOOD + "  terms: [other]\n")
    assert messages(tmp_path) == [
        f"{path}:7: key 'terms' given twice",
        f"{path}:5: rule 'sarin': example does not match: 'Sarin was used'",  # the first was lost
    ]
    with pytest.raises(RuleError):
        RuleBook.load(tmp_path)


def test_top_level_must_be_a_list(tmp_path: Path) -> None:
    path = write(tmp_path, "r.yaml", "id: x\nname: X\n")
    assert messages(tmp_path) == [
        f"{path}:1: a rule file must be a YAML list of rules (`- id: ...`)"
    ]


def test_failing_examples_are_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "r.yaml",
        GOOD.replace("[Sarin was used]", "[Sarin was used, Chlorine was used]").replace(
            "[Nothing here]", "[Nothing here, sarin again]"
        ),
    )
    assert messages(tmp_path) == [
        f"{path}:5: rule 'sarin': example does not match: 'Chlorine was used'",
        f"{path}:6: rule 'sarin': example matches: 'sarin again'",
    ]
    RuleBook.load(tmp_path)  # examples are for lint and tests; they do not block loading


def test_missing_or_empty_directory(tmp_path: Path) -> None:
    assert messages(tmp_path) == [f"{tmp_path}: no rule files (*.yaml) in this directory"]
    assert messages(tmp_path / "nope") == [f"{tmp_path / 'nope'}: rules directory not found"]


def test_load_refuses_a_pack_with_any_problem(tmp_path: Path) -> None:
    write(tmp_path, "good.yaml", GOOD)
    path = write(tmp_path, "bad.yaml", "- id: x\n  name: X\n  terms: [a]\n  colour: red\n")
    with pytest.raises(RuleError) as caught:
        RuleBook.load(tmp_path)
    assert [str(p) for p in caught.value.problems] == [f"{path}:4: rule 'x': unknown key 'colour'"]
    assert str(path) in str(caught.value)

"""The rule examples in rules/README.md load, and their own examples hold (docs that run)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from monitor.rules.lint import lint

README = Path(__file__).parents[2] / "rules" / "README.md"
BLOCKS = re.findall(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


def test_readme_has_yaml_examples() -> None:
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("block", BLOCKS)
def test_readme_example_is_a_valid_rule_with_passing_examples(block: str, tmp_path: Path) -> None:
    (tmp_path / "example.yaml").write_text(block, encoding="utf-8")
    assert [str(p) for p in lint(tmp_path)] == []

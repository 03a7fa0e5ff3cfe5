"""The README's fault catalogue table names a real test for each of the 40 items of
shared/reliability.md (A1-A10, B1-B6, C1-C6, D1-D8, E1-E5, F1-F5)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ITEMS = [f"{group}{n}" for group, count in zip("ABCDEF", (10, 6, 6, 8, 5, 5), strict=True)
         for n in range(1, count + 1)]
ROW = re.compile(r"^\| ([A-F]\d+) \|(.*)\|$", re.MULTILINE)
REFERENCE = re.compile(r"`((?:tests/)?[\w/]*\.py)?(?:::(\w+))?`")


def test_every_catalogue_item_has_a_row_naming_tests_that_exist() -> None:
    rows = dict(ROW.findall((ROOT / "README.md").read_text(encoding="utf-8")))
    assert list(rows) == ITEMS
    files = {p.name: p for p in (ROOT / "tests").rglob("test_*.py")}
    for item, row in rows.items():
        test_column = row.rsplit("|", 1)[1]
        current: Path | None = None
        named = 0
        for file, function in REFERENCE.findall(test_column):
            if file:
                current = ROOT / file if file.startswith("tests/") else files.get(file)
                assert current is not None and current.exists(), f"{item}: no file {file}"
                named += 1
            if function:
                assert current is not None, f"{item}: ::{function} without a file"
                assert re.search(rf"^(async )?def {function}\(", current.read_text(), re.MULTILINE), (
                    f"{item}: {current.name} has no {function}"
                )
        assert named, f"{item}: no test named"

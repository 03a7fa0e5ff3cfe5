"""The rule book follows its files, and a broken edit never switches alerting off."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from monitor.rules import RuleError, RuleWatcher

RULE = "- id: {id}\n  name: {id}\n  terms: [{term}]\n"


def edit(path: Path, text: str) -> None:
    """Write and move the mtime on, so a change inside one clock tick is still seen."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 1_000_000_000, before + 1_000_000_000))


def test_reloads_on_change_and_keeps_the_last_good_book(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    edit(path, RULE.format(id="sarin", term="sarin"))
    watcher = RuleWatcher(tmp_path)
    first = watcher.current()
    assert watcher.current() is first  # unchanged files: no recompiling
    assert first.match("sarin") and not first.match("chlorine")

    edit(path, RULE.format(id="chlorine", term="chlorine"))
    second = watcher.current()
    assert second is not first and second.match("chlorine")

    edit(path, RULE.format(id="chlorine", term="chlorine") + "  colour: red\n")
    assert watcher.current() is second
    assert watcher.error is not None and "unknown key 'colour'" in str(watcher.error)

    edit(path, RULE.format(id="sarin", term="sarin"))
    assert watcher.current().match("sarin") and watcher.error is None


def test_new_and_removed_files_are_seen(tmp_path: Path) -> None:
    edit(tmp_path / "a.yaml", RULE.format(id="a", term="sarin"))
    watcher = RuleWatcher(tmp_path)
    assert [r.id for r in watcher.current().rules] == ["a"]
    edit(tmp_path / "b.yaml", RULE.format(id="b", term="chlorine"))
    assert [r.id for r in watcher.current().rules] == ["a", "b"]
    (tmp_path / "a.yaml").unlink()
    assert [r.id for r in watcher.current().rules] == ["b"]


def test_raises_when_no_book_ever_loaded(tmp_path: Path) -> None:
    edit(tmp_path / "r.yaml", "- id: x\n")
    with pytest.raises(RuleError):
        RuleWatcher(tmp_path).current()

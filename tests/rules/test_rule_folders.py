"""Where rules come from: the pack inside the package, a user folder on top, from any cwd."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.config import Settings
from monitor.rules import BUILTIN_RULES, RuleBook, rule_folders
from monitor.rules.loader import read_rules

ROOT = Path(__file__).parents[2]
PAGE = ROOT / "tests" / "fixtures" / "pages" / "state_dept_chemical.html"
URL = "https://www.state.gov/releases/office-of-the-spokesperson/2026/07/chemical/"
OWN_RULE = "- id: {id}\n  name: {name}\n  terms: [{term}]\n"


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}


def monitor(cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120, env=clean_env(),
        check=False,
    )  # fmt: skip


def test_from_an_empty_folder_without_config_the_builtin_pack_is_used(tmp_path: Path) -> None:
    found = monitor(tmp_path, "rules", "test", stdin="Chlorine barrels fell on Saraqib.")
    assert found.returncode == 0, found.stderr
    assert [m["rule"] for m in json.loads(found.stdout)] == ["chlorine"]

    ingested = monitor(tmp_path, "ingest", str(PAGE), "--url", URL)
    assert ingested.returncode == 0, ingested.stderr
    assert "Traceback" not in ingested.stderr
    assert {"chemical", "chlorine"} <= set(json.loads(ingested.stdout)["rules"])
    assert (tmp_path / "data" / "monitor.db").exists()  # data_dir defaults to ./data

    linted = monitor(tmp_path, "rules", "lint")
    assert linted.returncode == 0 and linted.stdout.startswith("4 rules from built-in pack")


def test_a_missing_rules_folder_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "etc" / "monitor.yaml"
    config.parent.mkdir()
    config.write_text("rules_dir: my-rules\n", encoding="utf-8")
    expected = f"monitor: rules_dir: {config.parent / 'my-rules'}: not found"
    run = monitor(tmp_path, "--config", str(config), "ingest", str(PAGE), "--url", URL)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.count("\n") == 1 and run.stderr.startswith(expected)
    for command in (["rules", "test", str(PAGE)], ["status"], ["run"]):
        assert main(["--config", str(config), *command]) == 2, command
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith(expected)


def test_relative_paths_start_from_the_config_files_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    etc = tmp_path / "etc"
    (etc / "my-rules").mkdir(parents=True)
    (etc / "my-rules" / "local.yaml").write_text(
        OWN_RULE.format(id="saraqib", name="Saraqib", term="Saraqib"), encoding="utf-8"
    )
    (etc / "apprise.yaml").write_text("urls:\n  - json://127.0.0.1:9/\n", encoding="utf-8")
    (etc / "monitor.yaml").write_text(
        "rules_dir: my-rules\ndata_dir: var\ndatabase_url: sqlite:///var/x.db\n"
        "notify:\n  apprise_config: apprise.yaml\n",
        encoding="utf-8",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("MONITOR_DATABASE_URL", raising=False)
    monkeypatch.delenv("MONITOR_DATA_DIR", raising=False)
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("Chlorine fell on Saraqib."))
    assert main(["--config", "../etc/monitor.yaml", "rules", "test"]) == 0
    assert [m["rule"] for m in json.loads(capsys.readouterr().out)] == ["chlorine", "saraqib"]

    from monitor.config import load_settings

    settings = load_settings(etc / "monitor.yaml")
    assert settings.data_dir == etc / "var"
    assert settings.db_url == f"sqlite:///{etc / 'var' / 'x.db'}"
    assert settings.notify.apprise_config == etc / "apprise.yaml"
    monkeypatch.setenv("MONITOR_DATA_DIR", "from-env")  # the environment's paths: from the cwd
    assert load_settings(etc / "monitor.yaml").data_dir == elsewhere / "from-env"


def test_a_relative_apprise_config_is_read_from_the_config_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "monitor.yaml"
    config.write_text(
        f"database_url: sqlite:///{tmp_path / 'm.db'}\nnotify:\n  apprise_config: nope.yaml\n",
        encoding="utf-8",
    )
    assert main(["--config", str(config), "alerts", "send"]) == 2
    assert f"monitor: {tmp_path / 'nope.yaml'}: cannot read apprise config" in capsys.readouterr().err


def test_a_user_folder_extends_the_pack_and_replaces_rules_by_id(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(
        OWN_RULE.format(id="white_helmets", name="Only the English name", term="White Helmets")
        + OWN_RULE.format(id="saraqib", name="Saraqib", term="سراقب"),
        encoding="utf-8",
    )
    folders = rule_folders(Settings(rules_dir=tmp_path))
    book = RuleBook.load(folders)
    assert [r.id for r in book.rules] == ["white_helmets", "astana", "chemical", "chlorine", "saraqib"]
    assert book.rules[0].name == "Only the English name"  # replaced in place
    assert [m.rule for m in book.match("الخوذ البيضاء في سراقب")] == ["saraqib"]
    only_mine = RuleBook.load(rule_folders(Settings(rules_dir=tmp_path, builtin_rules=False)))
    assert [r.id for r in only_mine.rules] == ["white_helmets", "saraqib"]


def test_an_empty_user_folder_adds_nothing_but_duplicates_inside_it_are_errors(
    tmp_path: Path,
) -> None:
    builtin_ids = [r.id for r in RuleBook.load(BUILTIN_RULES).rules]
    assert [r.id for r in RuleBook.load((BUILTIN_RULES, tmp_path)).rules] == builtin_ids
    rule = OWN_RULE.format(id="x", name="X", term="x")
    (tmp_path / "a.yaml").write_text(rule, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(rule, encoding="utf-8")
    _, problems = read_rules((BUILTIN_RULES, tmp_path))
    assert [p.message for p in problems] == [
        f"duplicate rule id 'x' (first defined at {tmp_path / 'a.yaml'}:1)"
    ]


def test_builtin_rules_off_needs_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "monitor.yaml"
    config.write_text("builtin_rules: false\n", encoding="utf-8")
    assert main(["--config", str(config), "rules", "lint"]) == 2
    assert "rules_dir must name a rules folder" in capsys.readouterr().err


def test_the_wheel_ships_the_pack(tmp_path: Path) -> None:
    """Built from a copy, as a user's `pip install` would: the YAML is package data."""
    source = tmp_path / "src"
    source.mkdir()
    shutil.copy(ROOT / "pyproject.toml", source)
    for package in ("monitor", "spiders"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(source)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("monitor-*.whl")
    shipped = {n for n in zipfile.ZipFile(wheel).namelist() if n.startswith("monitor/rules/pack/")}
    assert shipped == {f"monitor/rules/pack/{p.name}" for p in BUILTIN_RULES.glob("*.yaml")}
    assert len(shipped) >= 2

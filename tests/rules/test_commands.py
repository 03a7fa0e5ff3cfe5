"""`monitor rules test | lint | backtest` through the real command line."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from monitor.cli import main
from monitor.store import models
from monitor.store.db import Database

RULES_DIR = Path(__file__).parents[2] / "rules"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "monitor.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "database_url": f"sqlite:///{tmp_path / 'monitor.db'}",
                "data_dir": str(tmp_path),
                "rules_dir": str(RULES_DIR),
            }
        )
    )
    return path


def run(config: Path, *args: str) -> int:
    return main(["--config", str(config), "rules", *args])


def test_rules_test_on_a_file(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "article.txt"
    text.write_text("وثّق ناشطون استخدام أسـ.لحة كيمـ.يائية وغاز الكلور في الغوطة", encoding="utf-8")
    assert run(config, "test", str(text)) == 0
    out = json.loads(capsys.readouterr().out)
    assert [m["rule"] for m in out] == ["chemical", "chlorine"]
    assert out[0] == {
        "rule": "chemical",
        "severity": "critical",
        "terms": ["أسـ.لحة", "كيمـ.يائية", "وغاز"],  # غاز is within 2 words of كيميائية too
        "snippets": ["وثّق ناشطون استخدام أسـ.لحة كيمـ.يائية وغاز الكلور في الغوطة"],
    }
    assert out[1]["terms"] == ["الكلور"]


def test_rules_test_on_stdin(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("Nothing to see here."))
    assert run(config, "test", "-") == 0
    assert json.loads(capsys.readouterr().out) == []
    monkeypatch.setattr("sys.stdin", io.StringIO("The White Helmets said"))
    assert run(config, "test", "--language", "ar") == 0
    assert [m["rule"] for m in json.loads(capsys.readouterr().out)] == ["white_helmets"]


def test_rules_test_on_a_missing_file(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(config, "test", "/nonexistent/article.txt") == 2
    assert "cannot read" in capsys.readouterr().err


def test_lint_ok_and_failing(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(config, "lint") == 0
    assert "ok" in capsys.readouterr().out
    broken = tmp_path / "rules"
    broken.mkdir()
    (broken / "r.yaml").write_text("- id: x\n  name: X\n  terms: [a]\n  colour: red\n")
    settings = yaml.safe_load(config.read_text())
    config.write_text(yaml.safe_dump({**settings, "rules_dir": str(broken)}))
    assert run(config, "lint") == 1
    assert (
        capsys.readouterr().out.strip() == f"{broken / 'r.yaml'}:4: rule 'x': unknown key 'colour'"
    )
    assert run(config, "test", str(config)) == 2
    assert "monitor rules lint" in capsys.readouterr().err


def store(db: Database, url: str, title: str, text: str, published: datetime) -> None:
    with db.session() as session:
        session.add(
            models.Article(
                source_key="test",
                url=url,
                language="ar",
                title=title,
                text=text,
                published_at=published,
                content_hash=url,
            )
        )


def test_backtest_reports_what_one_rule_would_flag(
    config: Path, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    store(db, "https://x/old", "غاز الكلور", "قديم", datetime(2025, 12, 1, tzinfo=UTC))
    store(
        db,
        "https://x/new",
        "هجوم جديد",
        "براميل بغاز الكلـ.ور على سراقب",
        datetime(2026, 3, 1, tzinfo=UTC),
    )
    store(
        db, "https://x/other", "الخوذ البيضاء", "لا شيء عن الغاز", datetime(2026, 3, 2, tzinfo=UTC)
    )
    assert run(config, "backtest", "chlorine", "--since", "2026-01-01") == 0
    (flagged,) = json.loads(capsys.readouterr().out)
    assert flagged["url"] == "https://x/new"
    assert flagged["rule"] == "chlorine" and flagged["terms"] == ["الكلـ.ور"]
    assert flagged["published"].startswith("2026-03-01")
    with db.session() as session:
        assert session.query(models.Alert).count() == 0


def test_backtest_unknown_rule(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(config, "backtest", "nope", "--since", "2026-01-01") == 2
    assert "no rule with id 'nope'" in capsys.readouterr().err


def test_backtest_needs_a_real_date(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run(config, "backtest", "chlorine", "--since", "2026-13-01")
    assert "not a date (YYYY-MM-DD): '2026-13-01'" in capsys.readouterr().err

"""`monitor ingest`: a saved page goes through extraction -> store -> rules -> outbox once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.cli import main
from monitor.store import models
from monitor.store.db import Database

PAGE = Path(__file__).parents[1] / "fixtures" / "pages" / "state_dept_chemical.html"
URL = ("https://www.state.gov/releases/office-of-the-spokesperson/2026/07/"
       "accountability-for-the-assad-regimes-use-of-chemical-weapons/")


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "monitor.yaml"
    path.write_text(
        f"data_dir: {tmp_path}\n"
        "notify:\n  channels:\n    desk:\n      url: json://127.0.0.1:9/\n",
        encoding="utf-8")
    return path


def counts(tmp_path: Path) -> dict[str, int]:
    db = Database(f"sqlite:///{tmp_path / 'monitor.db'}")
    with db.session() as s:
        result = {m.__tablename__: s.scalar(select(func.count()).select_from(m)) or 0
                  for m in (models.RawPage, models.Article, models.RuleMatchRow, models.Alert)}
    db.dispose()
    return result


def ingest(config: Path, file: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["--config", str(config), "ingest", str(file), "--url", URL])
    out, err = capsys.readouterr()
    return code, out, err


def test_same_page_twice_is_one_article_and_one_alert(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = ingest(config, PAGE, capsys)
    first = json.loads(out)
    assert code == 0 and first["status"] == "new"
    assert {"chemical", "chlorine", "white_helmets"} <= set(first["rules"])
    assert first["alerts"] == 1

    code, out, _ = ingest(config, PAGE, capsys)
    assert code == 0 and json.loads(out)["status"] == "unchanged"
    after = counts(tmp_path)
    assert after["articles"] == 1 and after["alerts"] == 1


def test_flagged_item_is_stored_with_its_evidence(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ingest(config, PAGE, capsys)
    db = Database(f"sqlite:///{tmp_path / 'monitor.db'}")
    with db.session() as s:
        article = s.scalars(select(models.Article)).one()
        raw = s.get_one(models.RawPage, article.raw_page_id)
        assert article.source_key == "state_dept" and article.language == "en"
        assert article.title.startswith("Accountability for the Assad")
        assert article.published_at is not None and article.published_at.date().isoformat() == "2026-07-17"
        assert "Back to top" not in article.text and "Inspector General" not in article.text
        assert raw.state == "done" and len(raw.body_z) < PAGE.stat().st_size
        match = next(m for m in article.matches if m.rule_id == "chemical")
        doc = f"{article.title}\n\n{article.text}"
        assert match.spans and all(doc[a:b] in match.terms for a, b in match.spans)
        assert "chemical weapons" in match.terms
    db.dispose()


@pytest.mark.parametrize("body", [
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n" + bytes(range(256)) * 20,
    b"",
    b"<html><head><meta charset=\"utf-8\"></head><body><p>"
    + bytes(range(128, 256)) * 40 + b"</p></body></html>",
], ids=["pdf", "empty", "broken-charset"])
def test_bad_page_gives_one_line_error_and_changes_nothing(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], body: bytes
) -> None:
    ingest(config, PAGE, capsys)
    before = counts(tmp_path)
    bad = tmp_path / "bad.html"
    bad.write_bytes(body)
    code, out, err = ingest(config, bad, capsys)
    assert code == 2 and out == ""
    lines = [line for line in err.splitlines() if line.startswith("monitor: ")]
    assert len(lines) == 1 and "bad.html" in lines[0], err
    assert counts(tmp_path) == before

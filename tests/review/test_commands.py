"""`monitor queue list|show|mark|export` and `monitor users hash` through the real CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.review.auth import verify_password
from monitor.store.db import Database


@pytest.fixture
def cli(db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MONITOR_CONFIG", raising=False)
    monkeypatch.setenv("MONITOR_DATABASE_URL", db.url)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


LIST_KEYS = {"id", "url", "source", "language", "title", "published", "fetched", "state",
             "rules", "severity", "story", "story_size"}


def test_list_json(cli, items: dict[str, int]) -> None:
    code, out, _ = cli("queue", "list", "--json")
    listed = json.loads(out)
    assert code == 0
    assert [i["id"] for i in listed] == [items["xss"], items["chlorine_ar"], items["chlorine_en"],
                                         items["astana_en"]]
    assert all(set(i) == LIST_KEYS for i in listed)
    ar = listed[1]
    assert ar["rules"] == ["chlorine", "white_helmets", "chemical"] and ar["story"] == listed[2]["story"]


def test_list_filters_and_plain_output_is_terminal_safe(cli, items: dict[str, int]) -> None:
    code, out, _ = cli("queue", "list", "--language", "ar", "--json")
    assert [i["id"] for i in json.loads(out)] == [items["chlorine_ar"]]
    code, out, _ = cli("queue", "list", "--rule", "chlorine", "--limit", "1")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2 and lines[1].split()[0] == str(items["xss"])
    assert "\u202e" not in out and "\x1b" not in out


def test_mark_and_show(cli, items: dict[str, int]) -> None:
    item = items["chlorine_en"]
    code, _, err = cli("queue", "mark", str(item), "--state", "escalated", "--note", "desk",
                       "--who", "omar")
    assert code == 0 and "escalated" in err
    code, out, _ = cli("queue", "show", str(item), "--json")
    shown = json.loads(out)
    assert shown["state"] == "escalated"
    assert shown["decisions"][0] | {"at": None} == {"state": "escalated", "note": "desk",
                                                      "who": "omar", "at": None}
    assert {m["rule"] for m in shown["matches"]} == {"chlorine", "white_helmets"}
    assert shown["story_items"][0]["id"] == items["chlorine_ar"]
    assert shown["text"].startswith("The United States")
    _, out, _ = cli("queue", "list", "--state", "new", "--json")
    assert item not in [i["id"] for i in json.loads(out)]
    code, out, _ = cli("queue", "show", str(item))
    assert code == 0 and "rule chlorine (critical)" in out and "omar → escalated: desk" in out


def test_mark_errors(cli, items: dict[str, int]) -> None:
    code, _, err = cli("queue", "mark", "424242", "--state", "relevant")
    assert code == 2 and "no item 424242" in err
    with pytest.raises(SystemExit):
        cli("queue", "mark", str(items["xss"]), "--state", "deleted")
    assert cli("queue", "show", "424242")[0] == 2


def test_export_csv_guards_formulas(cli, items: dict[str, int], tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    assert cli("queue", "export", "--format", "csv", "--source", "rt_arabic", "-o", str(target))[0] == 0
    (row,) = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert row["id"] == str(items["xss"]) and row["rules"] == "chlorine"
    code, out, _ = cli("queue", "export", "--format", "json", "--rule", "chlorine")
    assert code == 0
    assert [i["id"] for i in json.loads(out)] == [items["xss"], items["chlorine_ar"],
                                                   items["chlorine_en"]]


def test_csv_cells_that_look_like_formulas_are_quoted() -> None:
    from monitor.review.commands import spreadsheet_safe

    assert spreadsheet_safe("=HYPERLINK(\"http://evil\")") == "'=HYPERLINK(\"http://evil\")"
    assert spreadsheet_safe("-2+3") == "'-2+3"
    assert spreadsheet_safe("plain") == "plain" and spreadsheet_safe(7) == 7


def test_users_hash_reads_stdin(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("long enough pass\n"))
    code, out, _ = cli("users", "hash")
    assert code == 0 and verify_password("long enough pass", out.strip())
    assert not verify_password("other", out.strip())
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli("users", "hash")[0] == 2


def test_serve_refuses_without_users(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MONITOR_ADMIN_PASSWORD", raising=False)
    code, _, err = cli("serve")
    assert code == 2 and "no review users" in err

"""Configuration: defaults, env overrides, one clear message naming a bad key."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.cli import main
from monitor.config import ConfigError, load_settings


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "monitor.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_empty_file_gives_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MONITOR_DATABASE_URL", raising=False)
    settings = load_settings(write(tmp_path, ""))
    assert settings.db_url.startswith("sqlite:///") and settings.db_url.endswith("monitor.db")
    assert settings.source("state_dept").interval_minutes == 15


def test_env_overrides_database_and_channels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_DATABASE_URL", "sqlite:////tmp/x.db")
    monkeypatch.setenv("MONITOR_NOTIFY_URLS", "json://127.0.0.1:9/ mailto://a:b@127.0.0.1")
    settings = load_settings(write(tmp_path, "log_level: DEBUG\n"))
    assert settings.db_url == "sqlite:////tmp/x.db"
    assert [c.url for c in settings.notify.channels.values()] == [
        "json://127.0.0.1:9/", "mailto://a:b@127.0.0.1"]


def test_base_urls_per_host(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, (
        "sources:\n  state_dept:\n    base_urls:\n      www.state.gov: http://127.0.0.1:8001\n")))
    assert settings.source("state_dept").base_urls == {"www.state.gov": "http://127.0.0.1:8001"}


@pytest.mark.parametrize(("body", "message"), [
    ("sources:\n  state_dept:\n    interval_minutes: often\n", "sources.state_dept.interval_minutes"),
    ("crawl:\n  max_byte: 5\n", "crawl.max_byte: unknown key"),
    ("notify: [1, 2\n", "not valid YAML"),
    ("- a\n- b\n", "top level must be a mapping"),
    ("polling:\n  floor_minutes: 10\n  ceiling_minutes: 5\n", "floor_minutes must not exceed"),
    ("polling:\n  host_requests_per_minute: 0\n", "polling.host_requests_per_minute"),
])
def test_bad_config_names_the_key(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.").replace("[", r"\[")):
        load_settings(write(tmp_path, body))


def test_cli_prints_one_line_not_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "review:\n  port: 99999\n")
    assert main(["--config", str(path), "db", "upgrade"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("monitor: ") and "review.port" in err and "\n" not in err


def test_database_password_is_redacted_but_not_the_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MONITOR_DATABASE_URL", "postgresql+psycopg://monitor:pw-TESTSECRET@127.0.0.1:1/x")
    assert main(["--config", str(write(tmp_path, "")), "-v", "db", "upgrade"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith("monitor: database error: connection failed")
    assert "TESTSECRET" not in err and "monitor:" in err

"""Sources declared in YAML, no Python: a WordPress-like site and a news site without a feed
(tests/fixtures/sites_yaml, declared in tests/fixtures/sources.d) are crawled, extracted and
flagged end to end through the CLI; declarations that cannot work are refused in one line."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.cli import main
from monitor.config import ConfigError, Settings, load_settings
from monitor.crawl.canonical import canonical_url
from monitor.crawl.check import check_source, render
from monitor.testing.sites import Sites
from spiders import SOURCES, register_declared

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SOURCES_D = FIXTURES / "sources.d"
RULES = Path(__file__).resolve().parents[2] / "rules"
FLAGGED = {  # URL (readable) -> rules an analyst expects on it
    "rescue_network": {
        "https://wp.example.org/2026/11/24/white-helmets-evacuate-families-from-jisr-al-shughur/": {
            "white_helmets"
        },
        "https://wp.example.org/2026/11/21/statement-on-the-chlorine-attack-in-idlib/": {
            "chemical",
            "chlorine",
        },
        "https://wp.example.org/2026/10/02/testimony-on-chemical-weapons-use-before-the-un/": {
            "chemical",
            "chlorine",
        },
    },
    "syria_news": {
        "https://news.example.net/article/12871/منظمة-حظر-الأسلحة-الكيميائية-تؤكد-استخدام-السارين": {
            "chemical"
        },
        "https://news.example.net/article/12866/الدفاع-المدني-يخمد-حريقا-في-مخيم-للنازحين": {
            "white_helmets"
        },
        "https://news.example.net/article/12850/وفود-الدول-الضامنة-تصل-إلى-أستانا": {"astana"},
        "https://news.example.net/article/12700/شهود-يروون-تفاصيل-الهجوم-بالكلور-على-دوما": {
            "chlorine"
        },
    },
}


@pytest.fixture(autouse=True)
def forget_declared() -> Iterator[None]:
    """The CLI registers YAML sources process-wide: leave the registry as it was."""
    yield
    register_declared(Settings(sources_dir=Path("/nonexistent")))


@pytest.fixture(scope="module")
def yaml_sites() -> Iterator[Sites]:
    with Sites(FIXTURES / "sites_yaml") as running:
        yield running


def write_config(tmp: Path, sites: Sites, sources_dir: Path, **extra: Any) -> Path:
    bases = sites.base_urls()
    config = {
        "data_dir": str(tmp),
        "rules_dir": str(RULES),
        "sources_dir": str(sources_dir),
        "crawl": {"download_delay": 0, "max_crawl_delay": 0, "retry_times": 0},
        "notify": {"recent_hours": 24 * 365 * 20},
        "sources": {
            "rescue_network": {"base_urls": {"wp.example.org": bases["wp.example.org"]}},
            "syria_news": {"base_urls": {"news.example.net": bases["news.example.net"]}},
            **extra,
        },
    }
    path = tmp / "monitor.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> tuple[int, str]:
    """Exit code and standard output (the crawl's log lines go to standard error)."""
    code = main(["--config", str(config), *args])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("key", sorted(FLAGGED))
def test_a_yaml_source_is_crawled_extracted_and_flagged_end_to_end(
    key: str, tmp_path: Path, yaml_sites: Sites, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, yaml_sites, SOURCES_D)

    code, out = run(capsys, config, "crawl", key)

    assert code == 0, out
    report = json.loads(out)
    assert (report["crawl"]["new"], report["crawl"]["problems"]) == (5, [])
    assert report["processed"]["new"] == 5  # every page extracted into an article
    flagged = {item["url"]: set(item["rules"]) for item in report["flagged"]}
    assert flagged == {canonical_url(u, SOURCES[key]): r for u, r in FLAGGED[key].items()}


def test_sources_check_shows_what_each_path_found(tmp_path: Path, yaml_sites: Sites) -> None:
    settings = load_settings(write_config(tmp_path, yaml_sites, SOURCES_D))
    register_declared(settings)

    report = check_source(SOURCES["rescue_network"], settings)

    text = render(report)
    assert report.ok and "OK: " in text
    assert "feed " in text and "section " in text
    assert "Statement on the Chlorine Attack in Idlib" in text  # a sample title
    assert "2026-11-21" in text  # and its date
    assert not (tmp_path / "monitor.db").exists(), "a check stores nothing"
    data = json.loads(json.dumps(report.as_json()))
    assert {d["kind"] for d in data["documents"]} >= {"home", "feed", "section"}
    assert data["samples"] and all(s["title"] and s["published"] for s in data["samples"])


def test_a_check_of_a_pattern_that_fits_nothing_says_so(
    tmp_path: Path, yaml_sites: Sites, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = tmp_path / "sources.d"
    wrong.mkdir()
    (wrong / "news.yaml").write_text(
        "key: syria_news\nhome: https://news.example.net/\narticle_patterns: ['^/story/']\n"
    )
    config = write_config(tmp_path, yaml_sites, wrong)

    code, out = run(capsys, config, "sources", "check", "syria_news")

    assert code == 1
    assert "NOT WORKING: 0 article URLs" in out and "none is an article" in out


def test_a_source_declared_in_the_config_itself(
    tmp_path: Path, yaml_sites: Sites, capsys: pytest.CaptureFixture[str]
) -> None:
    inline = {"home": "https://other.example.org/", "name": "Other", "language": "en"}
    config = write_config(tmp_path, yaml_sites, SOURCES_D, other=inline)

    code, out = run(capsys, config, "sources", "list")

    assert code == 0
    assert "other            Other (sources.other)" in out
    assert "rescue_network   Rescue Network" in out and "spiders/state_dept.py" in out


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"a.yaml": "key: x\nhome: https://x.example/\narticle_patterns: ['(']\n"},
            "a.yaml: x: pattern",
        ),
        ({"a.yaml": "key: x\nname: no home\n"}, "give at least `home`"),
        ({"a.yaml": "key: x\nhome: ftp://x.example/\n"}, "is not an http(s) URL"),
        (
            {"a.yaml": "key: x\nhome: https://x.example/\nhints: {title: h1}\n"},
            "unknown hint(s) title",
        ),
        (
            {"a.yaml": "key: x\nhome: https://x.example/\nhints: {timezone: Damascus}\n"},
            "timezone 'Damascus' is not an IANA time zone",
        ),
        (
            {"a.yaml": "key: x\nhome: https://x.example/\nlistings: [https://x.example/p/]\n"},
            "{page}",
        ),
        (
            {"a.yaml": "key: x\nhome: https://x.example/\nfeeds: https://x.example/feed\n"},
            "a.yaml: x.feeds",
        ),
        (
            {
                "a.yaml": "key: x\nhome: https://x.example/\n",
                "b.yaml": "key: x\nhome: https://y.example/\n",
            },
            "already declared in",
        ),
        (
            {"a.yaml": "key: state_dept\nfeeds: [https://www.state.gov/x/]\n"},
            "is a built-in source",
        ),
        ({"a.yaml": "home: https://x.example/\n"}, "needs a `key`"),
        ({"a.yaml": "key: x\nhome: [https://x.example/\n"}, "not valid YAML"),
    ],
)
def test_declarations_that_cannot_work_are_refused_in_one_line(
    files: dict[str, str], message: str, tmp_path: Path
) -> None:
    folder = tmp_path / "sources.d"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    (tmp_path / "monitor.yaml").write_text(f"sources_dir: {folder}\n")

    with pytest.raises(ConfigError, match=re.escape(message)):
        register_declared(load_settings(tmp_path / "monitor.yaml"))


def test_a_sources_dir_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    (tmp_path / "monitor.yaml").write_text(f"sources_dir: {tmp_path / 'soruces.d'}\n")
    with pytest.raises(ConfigError, match="soruces.d: not a directory"):
        load_settings(tmp_path / "monitor.yaml")

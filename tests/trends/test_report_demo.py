"""`monitor report` on the demo data (`make demo`: every source crawled from its loopback
copy), written as HTML and opened in Debian's chromium."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.cli import main
from monitor.testing.endpoint import Endpoint
from monitor.testing.sites import Sites
from spiders import SOURCES

ROOT = Path(__file__).parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,  # crawls the four loopback sites, as the demo does
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (/usr/bin/chromium)"),
]


def demo_script() -> Any:
    spec = importlib.util.spec_from_file_location("demo", ROOT / "scripts" / "demo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> str:
    code = main(["--config", str(config), *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_report_on_demo_data_opens_in_chromium(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo = demo_script()
    config = tmp_path / "monitor.yaml"
    with Sites(demo.SITES_DIR) as sites, Endpoint() as endpoint:
        settings = demo.demo_config(sites, endpoint.apprise_url("json"))
        config.write_text(yaml.safe_dump({**settings, "data_dir": str(tmp_path)}))
        for key in SOURCES:
            run(capsys, config, "crawl", key)
    items = json.loads(run(capsys, config, "queue", "list", "--json"))
    dated = sorted(i["published"][:10] for i in items if i["published"])
    target = tmp_path / "report.html"
    run(capsys, config, "report", "--since", dated[0], "--format", "html", "-o", str(target))

    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text))
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.goto(target.as_uri())
        rules = {r for item in items for r in item["rules"]}
        concepts = page.locator("section.concept")
        assert concepts.count() == len(rules)  # every rule that flagged a dated item
        for i in range(concepts.count()):
            box = concepts.nth(i).locator("svg.chart").bounding_box()
            assert box is not None and box["width"] > 600 and box["height"] > 100
        assert page.locator("section.concept svg.chart rect.bar").count() >= len(rules)
        titles = page.locator("ol.stories .members bdi").all_inner_texts()
        assert {i["title"] for i in items} & set(titles)
        assert {"AR", "EN"} <= set(page.locator("ol.stories .lang").all_inner_texts())
        assert page.locator("h2", has_text="Edits and removals").count() == 1
        assert problems == []  # nothing blocked by the file's own CSP, no script errors
        browser.close()

"""The walking skeleton through the real CLI: crawl the State Department's loopback copy,
flag items, deliver alerts with apprise to a local endpoint, list the queue."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from monitor.cli import main
from monitor.testing.endpoint import Endpoint
from monitor.testing.sites import SiteServer

SITES = Path(__file__).parents[1] / "fixtures" / "sites"


def run(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> str:
    code = main(["--config", str(config), *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_state_dept_feed_to_alert(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = SiteServer(SITES / "www.state.gov").start()
    try:
        with Endpoint() as endpoint:
            config = tmp_path / "monitor.yaml"
            config.write_text(yaml.safe_dump({
                "data_dir": str(tmp_path),
                "crawl": {"download_delay": 0, "max_crawl_delay": 0, "autothrottle": False},
                "sources": {"state_dept": {"base_urls": {"www.state.gov": site.base_url}}},
                "notify": {"channels": {"desk": {"url": endpoint.apprise_url("json")}},
                           "recent_hours": 24 * 365 * 20},
            }))
            report = json.loads(run(capsys, config, "crawl", "state_dept"))
            assert report["crawl"]["blocked"] == 0 and report["crawl"]["new"] >= 1
            flagged = {item["url"]: item["rules"] for item in report["flagged"]}
            chlorine = next(u for u in flagged if "chlorine-attack-in-douma" in u)
            assert chlorine.startswith("https://www.state.gov/releases/")  # public URL kept
            assert {"chemical", "chlorine"} <= set(flagged[chlorine])

            run(capsys, config, "alerts", "send")
            bodies = [m.json["message"] for m in endpoint.received]
            assert len(bodies) == len(flagged)
            assert any(chlorine in body and "Chlorine" in body for body in bodies)

            queue = json.loads(run(capsys, config, "queue", "list", "--json"))
            assert {item["url"] for item in queue} == set(flagged)
            assert all(item["state"] == "new" and item["source"] == "state_dept" for item in queue)

            again = json.loads(run(capsys, config, "crawl", "state_dept"))
            assert again["crawl"]["new"] == 0 and again["flagged"] == []
    finally:
        site.stop()

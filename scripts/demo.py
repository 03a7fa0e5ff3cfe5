"""`make demo`: the whole job on a laptop, with no network but loopback.

Starts loopback copies of the four sites (the fixtures shipped in tests/fixtures/sites),
a local HTTP endpoint that receives alerts as apprise `json://` posts, writes a config
pointing monitor at both (SQLite under data/demo), crawls every source through the real
CLI, delivers the alerts, and shows the flagged items and the alert texts that arrived.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import yaml

from monitor.testing.endpoint import Endpoint
from monitor.testing.sites import Sites
from spiders import SOURCES, source_for_url

ROOT = Path(__file__).resolve().parents[1]
SITES_DIR = ROOT / "tests" / "fixtures" / "sites"
DATA = ROOT / "data" / "demo"


def demo_config(sites: Sites, endpoint_url: str) -> dict[str, object]:
    sources: dict[str, dict[str, object]] = {}
    for host, base in sites.base_urls().items():
        source = source_for_url(f"https://{host}/")
        if source is not None:
            entry = sources.setdefault(source.key, {"base_urls": {}})
            entry["base_urls"][host] = base  # type: ignore[index]
    return {
        "data_dir": str(DATA),
        "crawl": {"download_delay": 0, "max_crawl_delay": 0, "autothrottle": False},
        "sources": sources,
        "notify": {"channels": {"desk": {"url": endpoint_url}},
                   "recent_hours": 24 * 365 * 20},  # the fixtures are old news: alert them all
        "review": {"base_url": "http://127.0.0.1:8080"},
    }


def monitor(config: Path, *args: str) -> str:
    cmd = [sys.executable, "-m", "monitor", "--config", str(config), *args]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"demo: `monitor {' '.join(args)}` failed")
    return result.stdout


def write_report(config: Path) -> Path:
    """`monitor report` as HTML over the month before the newest flagged item."""
    items = json.loads(monitor(config, "queue", "list", "--json", "--limit", "1"))
    newest = date.fromisoformat(items[0]["published"][:10]) if items else date.today()
    target = config.parent / "report.html"
    since = (newest - timedelta(days=30)).isoformat()
    monitor(config, "report", "--since", since, "--format", "html", "-o", str(target))
    return target


def main() -> int:
    shutil.rmtree(DATA, ignore_errors=True)
    DATA.mkdir(parents=True)
    config = DATA / "monitor.yaml"
    with Sites(SITES_DIR) as sites, Endpoint() as endpoint:
        config.write_text(yaml.safe_dump(demo_config(sites, endpoint.apprise_url("json"))))
        print(f"loopback sites: {json.dumps(sites.base_urls(), indent=1)}\n")
        for key in SOURCES:
            report = json.loads(monitor(config, "crawl", key))
            crawl = report["crawl"]
            print(f"crawled {key:12} found={crawl.get('found')} new={crawl.get('new')} "
                  f"blocked={crawl.get('blocked')} failed={crawl.get('failed')} "
                  f"flagged={len(report['flagged'])}")
        print("\n== alerts send\n" + monitor(config, "alerts", "send"))
        print("== flagged items (monitor queue list)\n" + monitor(config, "queue", "list"))
        print(f"== {len(endpoint.received)} alert message(s) received at {endpoint.url}\n")
        for message in endpoint.received:
            print(f"--- {message.json.get('title')}\n{message.json.get('message')}\n")
        if not endpoint.received:
            raise SystemExit("demo: no alert arrived")
        report = write_report(config)
        print(f"== briefing (monitor report): {report}\n")
    print(f"data kept in {DATA} (config: {config}); try:\n"
          f"  .venv/bin/monitor --config {config} queue list --json\n"
          f"  MONITOR_ADMIN_PASSWORD=choose-one .venv/bin/monitor --config {config} serve")
    return 0


if __name__ == "__main__":
    sys.exit(main())

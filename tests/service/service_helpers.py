"""Helpers of the daemon tests: a live copy of the sites, a config, a `monitor run` process."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import yaml

from monitor.testing.endpoint import Endpoint
from monitor.testing.sites import Sites
from spiders import SOURCES

REPO = Path(__file__).parents[2]
SITES_DIR = REPO / "tests" / "fixtures" / "sites"
RULES_DIR = Path(__file__).parent / "rules"
STATE_HOST = "www.state.gov"
STATE_FEED = "rss-feed/press-releases/feed/index.xml"
# neutral words for a second paragraph: page text long enough to extract, and different
# for every release so that distinct releases are not folded into one story
VOCABULARY = [
    "department",
    "partners",
    "review",
    "findings",
    "weeks",
    "council",
    "envoy",
    "delegation",
    "meeting",
    "ministers",
    "regional",
    "border",
    "crossing",
    "humanitarian",
    "access",
    "convoy",
    "agreement",
    "monitoring",
    "mission",
    "report",
    "statement",
    "spokesperson",
    "briefing",
    "officials",
    "embassy",
    "assistance",
    "funding",
    "program",
    "reconstruction",
    "refugees",
    "returns",
    "displacement",
    "camp",
    "negotiations",
    "ceasefire",
    "committee",
    "constitution",
    "elections",
    "transition",
    "sanctions",
    "treasury",
    "designation",
    "investigation",
    "evidence",
    "accountability",
    "victims",
    "families",
    "survivors",
    "hospital",
    "school",
    "water",
    "electricity",
    "winter",
    "supplies",
    "donors",
    "pledge",
]
STATE_TEMPLATE = (
    "releases/office-of-the-spokesperson/2026/11/"
    "united-states-welcomes-opcw-findings-on-chlorine-attack-in-douma/index.html"
)


def copy_sites(tmp: Path) -> Path:
    """A private copy of the fixture sites that a test may edit while the daemon polls it."""
    root = tmp / "sites"
    shutil.copytree(SITES_DIR, root)
    return root


def sources_for(sites: Sites) -> dict[str, list[str]]:
    """Source key -> its hosts that have a loopback copy."""
    return {
        key: [h for h in src.hosts if h in sites.servers]
        for key, src in SOURCES.items()
        if any(h in sites.servers for h in src.hosts)
    }


def write_config(
    tmp: Path,
    db_url: str,
    sites: Sites,
    endpoint: Endpoint,
    interval_minutes: float = 0.05,
    only: list[str] | None = None,
    web_port: int = 8080,
    crawl: dict[str, Any] | None = None,
    polling: dict[str, Any] | None = None,
    **source_overrides: dict[str, Any],
) -> Path:
    """A monitor.yaml for a fast loop: polls every few seconds, alerts to the endpoint."""
    base = sites.base_urls()
    sources = {}
    for key in SOURCES:
        hosts = sources_for(sites).get(key, [])
        enabled = bool(hosts) and (only is None or key in only)
        sources[key] = {
            "enabled": enabled,
            "interval_minutes": interval_minutes,
            "jitter_seconds": 0.2,
            "timeout_minutes": 1,
            "base_urls": {h: base[h] for h in hosts},
            **source_overrides.get(key, {}),
        }
    config = {
        "data_dir": str(tmp / "data"),
        "database_url": db_url,
        "rules_dir": str(RULES_DIR),
        "builtin_rules": False,  # only the rules these tests count alerts for
        "log_json": True,
        "crawl": {
            "download_delay": 0,
            "autothrottle": False,
            "max_crawl_delay": 0,
            "download_timeout": 5,
            "retry_times": 0,
            **(crawl or {}),
        },
        "sources": sources,
        "notify": {
            "interval_seconds": 0.5,
            "recent_hours": 24 * 365 * 10,
            "backoff_seconds": 1,
            "backoff_max_seconds": 2,
            "channels": {
                "analysts": {
                    "url": endpoint.apprise_url("json", "/analysts"),
                    "max_per_hour": 1000,
                },
                "ops": {"url": endpoint.apprise_url("json", "/ops"), "tags": ["operator"]},
            },
        },
    }
    config["review"] = {"port": web_port, "base_url": f"http://127.0.0.1:{web_port}"}
    if polling is not None:
        config["polling"] = polling
    path = tmp / "monitor.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


class DaemonProcess:
    """`monitor run` in a subprocess, its JSON log lines collected in a file."""

    def __init__(self, config: Path, log_file: Path, *args: str, web: bool = False) -> None:
        self.log_file = log_file
        self._log = open(log_file, "a", encoding="utf-8")  # noqa: SIM115 - lives with the process
        args = args if web else ("--no-web", *args)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(config), "run", *args],
            stdout=self._log,
            stderr=self._log,
            cwd=REPO,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def lines(self) -> list[dict[str, Any]]:
        out = []
        for line in self.log_file.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                out.append({"msg": line, "level": "RAW"})
        return out

    def wait_log(self, pattern: str, timeout: float = 30.0, count: int = 1) -> dict[str, Any]:
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            hits = [line for line in self.lines() if regex.search(line.get("msg", ""))]
            if len(hits) >= count:
                return hits[count - 1]
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"daemon exited ({self.proc.returncode}) before {pattern!r}:\n"
                    + self.log_file.read_text()[-3000:]
                )
            time.sleep(0.1)
        raise AssertionError(
            f"no log line {pattern!r} within {timeout}s:\n" + self.log_file.read_text()[-3000:]
        )

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout)
        self._log.close()
        return code


def delivered(endpoint: Endpoint, path: str = "/analysts") -> list[str]:
    """Messages the endpoint accepted on one channel's path."""
    return [
        r.json.get("title", "") + "\n" + r.json.get("message", "")
        for r in endpoint.received
        if r.path == path
    ]


def outbox_settled(db: Any) -> bool:
    """No alert waiting to be sent (held ones wait for a digest on purpose)."""
    from sqlalchemy import func, select

    from monitor.store import models

    with db.session() as session:
        return not session.scalar(
            select(func.count())
            .select_from(models.Alert)
            .where(models.Alert.state.in_(("pending", "sending", "retrying")))
        )


def wait_until(check: Callable[[], bool], timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.1)


def publish_state_release(
    site_root: Path, slug: str, title: str, text: str, when: datetime | None = None
) -> str:
    """Add a release page and its feed item to the State Department copy; returns its URL."""
    when = when or datetime.now(UTC)
    filler = " ".join(random.Random(slug).sample(VOCABULARY, 30)).capitalize() + "."
    host = site_root / STATE_HOST
    path = f"releases/office-of-the-spokesperson/{when:%Y/%m}/{slug}/"
    url = f"https://{STATE_HOST}/{path}"
    page = (host / STATE_TEMPLATE).read_text(encoding="utf-8")
    page = re.sub(
        r"https://www\.state\.gov/releases/office-of-the-spokesperson/2026/11/"
        r"united-states-welcomes-opcw-findings-on-chlorine-attack-in-douma/",
        url,
        page,
    )
    page = page.replace("United States Welcomes OPCW Findings on Chlorine Attack in Douma", title)
    page = page.replace("November 18, 2026", f"{when:%B} {when.day}, {when:%Y}")
    page = page.replace("2026-11-18T15:10:02+00:00", when.isoformat())
    page = re.sub(
        r'<div class="entry-content">.*?<div class="post_tags">',
        f'<div class="entry-content">\n<div class="wp-block-paragraph"><p>{text}</p></div>\n'
        f'<div class="wp-block-paragraph"><p>{filler}</p></div>\n'
        '  <div class="post_tags">',
        page,
        flags=re.DOTALL,
    )
    (host / path).mkdir(parents=True, exist_ok=True)
    (host / path / "index.html").write_text(page, encoding="utf-8")
    feed = host / STATE_FEED
    item = (
        f"<item>\n\t\t<title>{title}</title>\n\t\t<link>{url}</link>\n"
        f"\t\t<pubDate>{format_datetime(when)}</pubDate>\n"
        f'\t\t<guid isPermaLink="false">{url}</guid>\n'
        f"\t\t<description><![CDATA[{text}]]></description>\n\t</item>\n\t"
    )
    xml = feed.read_text(encoding="utf-8")
    feed.write_text(xml.replace("<item>", item + "<item>", 1), encoding="utf-8")
    return url


def advertise_hub(site_root: Path, hub_url: str) -> None:
    """The State Department feed names a WebSub hub (beside its rel=self link)."""
    feed = site_root / STATE_HOST / STATE_FEED
    xml = feed.read_text(encoding="utf-8")
    self_link = re.search(r"<atom:link [^>]*rel=\"self\"[^>]*/>", xml)
    assert self_link, "the feed copy has no rel=self link"
    hub = f'\n\t<atom:link href="{hub_url}" rel="hub" />'
    feed.write_text(xml.replace(self_link[0], self_link[0] + hub, 1), encoding="utf-8")


def serve_decoy_to_everyone(site_root: Path, host: str = STATE_HOST) -> None:
    """The site starts answering every client, browsers included, with its decoy page."""
    config = site_root / host / "_site.yaml"
    data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    data["decoy"] = {**data["decoy"], "unless_user_agent": "no client sends this"}
    config.write_text(yaml.safe_dump(data), encoding="utf-8")


def hang_feed(site_root: Path, host: str, path: str, seconds: float = 3600) -> None:
    """One route of a site stops answering (a stuck server)."""
    config = site_root / host / "_site.yaml"
    data = (yaml.safe_load(config.read_text(encoding="utf-8")) or {}) if config.exists() else {}
    data.setdefault("routes", {})[path] = {"delay": seconds}
    config.write_text(yaml.safe_dump(data), encoding="utf-8")

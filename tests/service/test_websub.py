"""WebSub against a real loopback hub: `monitor run` subscribes to the hub the State
Department feed names, the hub verifies intent on the daemon's callback, and a signed push
leads to one quick poll and one alert; a forged push leads to nothing."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from service_helpers import (
    STATE_FEED,
    STATE_HOST,
    DaemonProcess,
    advertise_hub,
    delivered,
    publish_state_release,
    wait_until,
    write_config,
)
from test_daemon import free_port

from monitor.store.db import Database
from monitor.testing.endpoint import Endpoint
from monitor.testing.sites import Sites
from monitor.testing.websub import Hub

ADAPTIVE = {"adaptive": True, "floor_minutes": 1, "ceiling_minutes": 60}


def polls(daemon: DaemonProcess) -> list[str]:
    return [
        m
        for line in daemon.lines()
        if (m := line.get("msg", "")).startswith("crawl state_dept started")
    ]


def test_a_push_leads_to_one_poll_and_one_alert_and_a_forged_one_to_nothing(
    tmp_path: Path,
    db: Database,
    site_root: Path,
    sites: Sites,
    endpoint: Endpoint,
    daemons: Callable[..., DaemonProcess],
) -> None:
    with Hub() as hub:
        advertise_hub(site_root, hub.url)
        port = free_port()
        config = write_config(
            tmp_path, db.url, sites, endpoint, only=["state_dept"], web_port=port, polling=ADAPTIVE
        )
        daemon = daemons(config, web=True)
        first = daemon.wait_log("cycle state_dept done", timeout=90)
        found = re.search(r"(\d+)s after this one's start", first["msg"])
        assert found, first["msg"]
        interval = float(found[1])
        assert interval >= 60  # the floor, or more: the full walk's requests are paid for
        sub = hub.wait_subscribed()
        assert urlsplit(sub.callback).netloc == f"127.0.0.1:{port}"
        assert sub.lease_seconds == 24 * 3600
        assert len(polls(daemon)) == 1

        feed = (site_root / STATE_HOST / STATE_FEED).read_bytes()
        assert hub.publish(sub.topic, feed, secret="not the secret") == [202]
        time.sleep(3)
        assert len(polls(daemon)) == 1, "a forged push made the daemon poll"

        title = "Statement on Chlorine Use Pushed Through the Hub"
        publish_state_release(site_root, "pushed-chlorine-statement", title, "Chlorine again.")
        pushed = time.monotonic()
        assert hub.publish(sub.topic, (site_root / STATE_HOST / STATE_FEED).read_bytes()) == [202]
        wait_until(
            lambda: any(title in m for m in delivered(endpoint)), 30, "no alert after the push"
        )
        latency = time.monotonic() - pushed
        daemon.wait_log("cycle state_dept done", timeout=30, count=2)
        time.sleep(2)  # a second poll or alert, if there were one, would show by now
        assert polls(daemon) == [polls(daemon)[0], "crawl state_dept started (quick) (limit 60s)"]
        assert sum(title in m for m in delivered(endpoint)) == 1
        assert latency < 20
        daemon.stop()
    log = daemon.log_file.read_text(encoding="utf-8")
    token = parse_qs(urlsplit(sub.callback).query)["s"][0]
    assert sub.secret not in log and token not in log

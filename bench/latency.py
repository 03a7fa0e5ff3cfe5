"""Publication-to-alert latency of the running daemon: fixed polling, adaptive polling
within a per-host budget, and WebSub pushes, side by side.

Each run starts `monitor run` against a private copy of the loopback sites with the State
Department source, publishes `--items` new matching releases at random moments, and times
each from the moment its page and feed item are written to the moment the alert reaches
the local apprise json:// endpoint. The requests each host received are counted by the
loopback server.
- fixed: polled every `--interval` seconds, every discovery path each time (as before):
  a poll at a random phase waits half an interval on average, a whole one at worst; target
  max ratio <= 1.25 of the interval.
- adaptive: `polling.adaptive` with floor = ceiling = 1 minute (a busy source: at the
  floor) and a budget of 1 request a minute per host; the site's crawl-delay (5 s) is
  obeyed. The first poll is a full walk (counted apart, and amortised over its 3-hour
  period); then quick polls read the feed. Target: median <= 60 s at <= 1 request/min/host.
- websub: the same, the feed names a loopback hub, and each publication is pushed: the
  push is polled at once whatever the budget, so the requests follow the publications.
The notifier keeps its default interval (30 s): a poll that found an item has it run at
once, as in production.
Each item is published a random 0..`--gap` s after the previous alert (`--push-gap` with
WebSub, the interval when fixed): the default 120 s is a busy source, one item every two
minutes or so, which spends about half the budget on article pages; 480 s is sparser.
Run:
    .venv/bin/python bench/latency.py [--modes fixed,adaptive,websub] [--items 6]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "service"))  # the daemon tests' harness

from service_helpers import (
    STATE_FEED,
    STATE_HOST,
    DaemonProcess,
    advertise_hub,
    copy_sites,
    delivered,
    publish_state_release,
    write_config,
)
from test_daemon import free_port

from monitor.config import NotifySettings, PollingSettings
from monitor.testing.endpoint import Endpoint
from monitor.testing.sites import Sites
from monitor.testing.websub import Hub

TOPICS = ["chlorine", "sarin", "chemical weapons", "white helmets", "Syria Civil Defense"]
ADAPTIVE = {"adaptive": True, "floor_minutes": 1, "ceiling_minutes": 1}
BUDGET_PER_MINUTE = PollingSettings().host_requests_per_minute
NOTIFIER_INTERVAL = NotifySettings().interval_seconds


@dataclass
class Result:
    mode: str
    latencies: list[float]
    minutes: float  # of the measured stretch
    requests: dict[str, int]  # per host, in the measured stretch
    full_walk: int = 0  # requests of the first (full) poll, not in `requests`

    def per_minute(self) -> dict[str, float]:
        return {host: n / self.minutes for host, n in self.requests.items() if n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="fixed,adaptive,websub")
    parser.add_argument("--interval", type=float, default=20.0, help="fixed poll interval, s")
    parser.add_argument("--items", type=int, default=6)
    parser.add_argument("--gap", type=float, default=120.0, help="most seconds between items")
    parser.add_argument("--push-gap", type=float, default=20.0, help="the same, with WebSub")
    parser.add_argument("--keep-log", help="a folder to copy each run's daemon log to")
    args = parser.parse_args()
    results = [_run(mode, args) for mode in args.modes.split(",")]
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for result in results:
        _print(result, args)


def _run(mode: str, args: argparse.Namespace) -> Result:
    with tempfile.TemporaryDirectory() as tmp_dir, Endpoint() as endpoint, Hub() as hub:
        tmp = Path(tmp_dir)
        root = copy_sites(tmp)
        if mode == "websub":
            advertise_hub(root, hub.url)
        with Sites(root) as sites:
            port = free_port()
            config = write_config(
                tmp,
                f"sqlite:///{tmp / 'bench.db'}",
                sites,
                endpoint,
                interval_minutes=args.interval / 60,
                only=["state_dept"],
                web_port=port,
                polling=None if mode == "fixed" else ADAPTIVE,
                state_dept={"jitter_seconds": 0, "timeout_minutes": 5},
            )
            data = yaml.safe_load(config.read_text())
            data["notify"]["interval_seconds"] = NOTIFIER_INTERVAL  # as in production
            if mode != "fixed":  # obey the site's crawl-delay, as in production
                data["crawl"]["max_crawl_delay"] = 30
            config.write_text(yaml.safe_dump(data))
            daemon = DaemonProcess(config, tmp / "daemon.log", web=mode == "websub")
            try:
                daemon.wait_log("cycle state_dept done", timeout=400)
                server = sites.servers[STATE_HOST]
                full_walk = server.stats.requests
                for s in sites.servers.values():
                    s.stats.reset()
                push = _pusher(hub, root) if mode == "websub" else None
                gap = {"fixed": args.interval, "websub": args.push_gap}.get(mode, args.gap)
                started = time.monotonic()
                latencies = [_one(root, endpoint, i, gap, push) for i in range(args.items)]
                minutes = (time.monotonic() - started) / 60
            except BaseException:
                print(daemon.log_file.read_text()[-30000:], file=sys.stderr)
                raise
            finally:
                daemon.stop()
                if args.keep_log:
                    (Path(args.keep_log) / f"{mode}.log").write_bytes(daemon.log_file.read_bytes())
            requests = {host: s.stats.requests for host, s in sites.servers.items()}
            if args.keep_log:
                paths = {h: dict(s.stats.paths) for h, s in sites.servers.items() if s.stats.paths}
                (Path(args.keep_log) / f"{mode}.paths").write_text(repr(paths))
    return Result(mode, latencies, minutes, requests, full_walk if mode != "fixed" else 0)


def _pusher(hub: Hub, root: Path) -> Callable[[], None]:
    topic = hub.wait_subscribed().topic

    def push() -> None:
        hub.publish(topic, (root / STATE_HOST / STATE_FEED).read_bytes())

    return push


def _one(
    root: Path, endpoint: Endpoint, i: int, gap: float, push: Callable[[], None] | None
) -> float:
    time.sleep(random.uniform(0, gap))
    topic = TOPICS[i % len(TOPICS)]
    title = f"Statement {i} on {topic} (latency probe {random.randrange(10**6)})"
    text = f"Statement number {i} about {topic}, issued for the latency benchmark."
    published = time.monotonic()
    publish_state_release(root, f"latency-probe-{i}", title, text)
    if push:
        push()
    deadline = published + max(gap, 60) * 4 + 30
    while not any(title in m for m in delivered(endpoint)):
        if time.monotonic() > deadline:
            raise SystemExit(f"item {i}: no alert after {deadline - published:.0f}s")
        time.sleep(0.05)
    return time.monotonic() - published


def _print(result: Result, args: argparse.Namespace) -> None:
    lat = result.latencies
    rates = result.per_minute()
    print(f"== {result.mode}: {len(lat)} items over {result.minutes:.1f} min")
    print("  latencies " + " ".join(f"{x:.1f}" for x in lat) + " s")
    print(
        f"  median {statistics.median(lat):.1f}s  mean {statistics.mean(lat):.1f}s  max {max(lat):.1f}s"
    )
    print(
        "  requests/min/host "
        + ", ".join(f"{h} {r:.2f}" for h, r in rates.items())
        + f"; {sum(result.requests.values()) / len(lat):.1f} requests per item"
    )
    if result.mode == "fixed":
        ratio = max(lat) / args.interval
        print(f"  poll every {args.interval:.0f}s: max ratio {ratio:.2f} (target <= 1.25)")
        return
    period = PollingSettings().full_every_minutes
    amortised = result.full_walk / period
    total = max(rates.values(), default=0) + amortised
    print(
        f"  full walk {result.full_walk} requests every {period:.0f} min: +{amortised:.2f}/min;"
        f" total {total:.3f}/min/host (target <= {BUDGET_PER_MINUTE:.0f});"
        f" median target <= 60 s"
    )


if __name__ == "__main__":
    main()

"""Publication-to-alert latency of the running daemon, as a ratio of the poll interval.

Starts `monitor run` against a private copy of the loopback sites with the State
Department source polled every `--interval` seconds, publishes `--items` new matching
releases at random moments, and times each from the moment its page and feed item are
written to the moment the alert reaches the local apprise json:// endpoint. A poll at a
random phase waits half an interval on average and a whole one at worst, plus the crawl,
the pipeline and the notifier's tick: target max ratio <= 1.25. Run:
    .venv/bin/python bench/latency.py [--interval 20] [--items 6]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "service"))  # the daemon tests' harness

from service_helpers import (
    DaemonProcess,
    copy_sites,
    delivered,
    publish_state_release,
    write_config,
)

from monitor.testing.endpoint import Endpoint
from monitor.testing.sites import Sites

TOPICS = ["chlorine", "sarin", "chemical weapons", "white helmets", "Syria Civil Defense"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interval", type=float, default=20.0, help="poll interval, seconds")
    parser.add_argument("--items", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_dir, Endpoint() as endpoint:
        tmp = Path(tmp_dir)
        root = copy_sites(tmp)
        with Sites(root) as sites:
            config = write_config(
                tmp,
                f"sqlite:///{tmp / 'bench.db'}",
                sites,
                endpoint,
                interval_minutes=args.interval / 60,
                only=["state_dept"],
                state_dept={"jitter_seconds": 0},
            )
            daemon = DaemonProcess(config, tmp / "daemon.log")
            try:
                daemon.wait_log("cycle state_dept done", timeout=120)
                latencies = [_one(root, endpoint, i, args.interval) for i in range(args.items)]
            finally:
                daemon.stop()
    ratios = [lat / args.interval for lat in latencies]
    print(f"poll interval {args.interval:.0f}s, {len(latencies)} items published at random phases")
    for i, (lat, ratio) in enumerate(zip(latencies, ratios, strict=True)):
        print(f"  item {i}: {lat:6.2f}s  ratio {ratio:.2f}")
    print(f"mean latency {statistics.mean(latencies):.2f}s  ratio {statistics.mean(ratios):.2f}")
    print(f"max  latency {max(latencies):.2f}s  ratio {max(ratios):.2f}  (target <= 1.25)")


def _one(root: Path, endpoint: Endpoint, i: int, interval: float) -> float:
    time.sleep(random.uniform(0, interval))
    topic = TOPICS[i % len(TOPICS)]
    title = f"Statement {i} on {topic} (latency probe {random.randrange(10**6)})"
    text = f"Statement number {i} about {topic}, issued for the latency benchmark."
    published = time.monotonic()
    publish_state_release(root, f"latency-probe-{i}", title, text)
    deadline = published + interval * 3 + 30
    while not any(title in m for m in delivered(endpoint)):
        if time.monotonic() > deadline:
            raise SystemExit(f"item {i}: no alert after {deadline - published:.0f}s")
        time.sleep(0.05)
    return time.monotonic() - published


if __name__ == "__main__":
    main()

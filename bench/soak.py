"""Soak: many crawl cycles of the real daemon, its memory (RSS) at the start and the end.

Starts `monitor run` against the loopback sites with every source that has a loopback copy
polled back to back (interval 0.5 s), lets the first crawls fetch everything, then counts
`cycle ... done` log lines until `--cycles` more have run. After the first poll each cycle
is what a quiet day costs: conditional GETs answered 304, nothing fetched or extracted.
Prints the daemon's RSS (the long-lived process; each crawl is a short-lived child) every
`--every` cycles, and the growth from start to end (target: a few MB at most). Run:
    .venv/bin/python bench/soak.py [--cycles 1000] [--every 100]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "service"))  # the daemon tests' harness

from service_helpers import DaemonProcess, copy_sites, write_config

from monitor.testing.endpoint import Endpoint
from monitor.testing.sites import Sites

WARM_UP_CYCLES = 10


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cycles_done(log: Path) -> int:
    return log.read_text(encoding="utf-8").count('"cycle ')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--every", type=int, default=100, help="print RSS every N cycles")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_dir, Endpoint() as endpoint:
        tmp = Path(tmp_dir)
        with Sites(copy_sites(tmp)) as sites:
            config = write_config(
                tmp, f"sqlite:///{tmp / 'soak.db'}", sites, endpoint, interval_minutes=0.5 / 60
            )
            daemon = DaemonProcess(config, tmp / "daemon.log")
            try:
                _soak(daemon, sites, args.cycles, args.every)
            finally:
                daemon.stop()


def _soak(daemon: DaemonProcess, sites: Sites, cycles: int, every: int) -> None:
    pid = daemon.proc.pid
    while cycles_done(daemon.log_file) < WARM_UP_CYCLES:
        if daemon.proc.poll() is not None:
            raise SystemExit(daemon.log_file.read_text()[-2000:])
        time.sleep(0.5)
    base = cycles_done(daemon.log_file)
    for server in sites.servers.values():
        server.stats.reset()
    start_rss, started = rss_kib(pid), time.monotonic()
    print(f"after {base} warm-up cycles: daemon RSS {start_rss / 1024:.1f} MiB")
    mark = every
    while (done := cycles_done(daemon.log_file) - base) < cycles:
        if done >= mark:
            print(
                f"  {done:5d} cycles  RSS {rss_kib(pid) / 1024:.1f} MiB  "
                f"({(time.monotonic() - started) / done:.2f}s per cycle)",
                flush=True,
            )
            mark += every
        if daemon.proc.poll() is not None:
            raise SystemExit("daemon died:\n" + daemon.log_file.read_text()[-2000:])
        time.sleep(1.0)
    end_rss, elapsed = rss_kib(pid), time.monotonic() - started
    requests = sum(s.stats.requests for s in sites.servers.values())
    not_modified = sum(s.stats.not_modified for s in sites.servers.values())
    print(
        f"{done} cycles in {elapsed:.0f}s ({elapsed / done:.2f}s per cycle, sources in "
        f"parallel); {requests} requests, {not_modified} answered 304"
    )
    print(
        f"daemon RSS: start {start_rss / 1024:.1f} MiB, end {end_rss / 1024:.1f} MiB, "
        f"growth {(end_rss - start_rss) / 1024:+.1f} MiB (target: a few MB at most)"
    )


if __name__ == "__main__":
    main()

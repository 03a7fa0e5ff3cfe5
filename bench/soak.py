"""Soak: many crawl cycles of the real daemon, and the memory of its whole process tree.

Starts `monitor run` against the loopback sites with every source that has a loopback copy
polled back to back (interval 0.5 s), lets the first crawls fetch and process everything,
then counts `cycle ... done` log lines until `--cycles` more have run. After the first
poll each cycle is what a quiet day costs: conditional GETs answered 304, nothing fetched
or extracted. A sampler thread walks the daemon's process tree (/proc children of every
thread) every `--sample` seconds and sums RSS (the issue's measure) and PSS (shared pages
split between the processes sharing them) over the daemon and all its descendants.

Prints: the main process alone, the tree when idle (no child running) and its lowest
sample (a design with resident helper processes is never childless), the peak of the
tree during the warm-up (first crawls: page processing and extraction) and over the soak,
beside the peers' peak process-tree RSS (a feed script 59 MB, a page-diff watcher 76 MB,
changedetection.io 121 MB) and the target (<= 121 MB), and the floor the chosen packages set:
the RSS of a fresh interpreter that only imports what a crawl child needs (Scrapy,
SQLAlchemy's ORM, trafilatura), what the main process needs (APScheduler, SQLAlchemy's ORM,
FastAPI and uvicorn, apprise), and everything the daemon uses (those, plus the rule book's and
the stories' numpy, pyahocorasick, datasketch, dateparser, jinja2) in one process. Run:
    .venv/bin/python bench/soak.py [--cycles 1000] [--every 100] [--sample 0.05]
(Ctrl-C stops early and still prints the figures for the cycles run so far.)
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "service"))  # the daemon tests' harness

from service_helpers import DaemonProcess, copy_sites, write_config

from monitor.testing.endpoint import Endpoint
from monitor.testing.sites import Sites

WARM_UP_CYCLES = 10
PEERS_MB = {"feed script": 59, "page-diff watcher": 76, "changedetection.io": 121}
TARGET_MB = 121
# what each process of the daemon cannot do without, by the packages the project chose
CRAWL_CHILD = ("scrapy.crawler", "sqlalchemy.orm", "trafilatura")
MAIN_PROCESS = ("apscheduler.schedulers.background", "sqlalchemy.orm", "fastapi", "uvicorn", "apprise")
PROCESSING = ("numpy", "ahocorasick", "datasketch", "dateparser", "jinja2")  # rules, stories


def descendants(pid: int) -> list[int]:
    """Children of every thread of `pid`, recursively (a thread pool starts the jobs)."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except FileNotFoundError:
            continue
        for task in tasks:
            try:
                kids = Path(f"/proc/{parent}/task/{task}/children").read_text().split()
            except FileNotFoundError:
                continue
            found += map(int, kids)
            todo += map(int, kids)
    return found


def memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in KiB; (0, 0) once it has exited."""
    values = {}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("Rss", "Pss"):
                values[key] = int(rest.split()[0])
    except (FileNotFoundError, ProcessLookupError):
        return 0, 0
    return values.get("Rss", 0), values.get("Pss", 0)


@dataclass
class Peak:
    rss: int = 0
    pss: int = 0
    processes: int = 0

    def update(self, rss: int, pss: int, processes: int) -> None:
        if rss > self.rss:
            self.rss, self.pss, self.processes = rss, pss, processes

    def text(self) -> str:
        return f"RSS {self.rss / 1024:.1f} MiB (PSS {self.pss / 1024:.1f}), {self.processes} proc"


@dataclass
class Sampler:
    """Tree memory every `interval` s; peaks per phase, idle = no child alive."""

    pid: int
    interval: float
    phase: str = "warm-up"
    peaks: dict[str, Peak] = field(default_factory=dict)
    idle: dict[str, Peak] = field(default_factory=dict)
    lows: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # (rss, pss, procs)
    samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> Sampler:
        threading.Thread(target=self._run, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            pids = [self.pid, *descendants(self.pid)]
            sizes = [memory_kib(p) for p in pids]
            rss, pss = sum(s[0] for s in sizes), sum(s[1] for s in sizes)
            self.samples += 1
            self.peaks.setdefault(self.phase, Peak()).update(rss, pss, len(pids))
            self.lows[self.phase] = min(
                self.lows.get(self.phase, (rss, pss, len(pids))), (rss, pss, len(pids))
            )
            if len(pids) == 1:
                self.idle.setdefault(self.phase, Peak()).update(rss, pss, 1)


def import_rss_mib(modules: tuple[str, ...]) -> float:
    """RSS of a fresh interpreter once it has imported `modules` and done nothing else."""
    probe = f"import {', '.join(modules) or 'sys'}; print(open('/proc/self/status').read())"
    status = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    assert match, status
    return int(match.group(1)) / 1024


def print_import_floor() -> None:
    """The least the chosen packages cost at import, beside the target."""
    bare = import_rss_mib(())
    crawl, main = import_rss_mib(CRAWL_CHILD), import_rss_mib(MAIN_PROCESS)
    everything = import_rss_mib(tuple(dict.fromkeys(CRAWL_CHILD + MAIN_PROCESS + PROCESSING)))
    print(
        f"import floor (fresh interpreter, RSS): bare {bare:.1f} MiB; crawl child's packages "
        f"{crawl:.1f}; main process's {main:.1f} (a tree of both: {main + crawl:.1f}); "
        f"everything the daemon imports, in one process: {everything:.1f}"
    )


def cycles_done(log: Path) -> int:
    return log.read_text(encoding="utf-8").count('"cycle ')


def mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--every", type=int, default=100, help="print memory every N cycles")
    parser.add_argument("--sample", type=float, default=0.05, help="seconds between samples")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_dir, Endpoint() as endpoint:
        tmp = Path(tmp_dir)
        with Sites(copy_sites(tmp)) as sites:
            config = write_config(
                tmp, f"sqlite:///{tmp / 'soak.db'}", sites, endpoint, interval_minutes=0.5 / 60
            )
            daemon = DaemonProcess(config, tmp / "daemon.log")
            sampler = Sampler(daemon.proc.pid, args.sample).start()
            try:
                _soak(daemon, sites, sampler, args.cycles, args.every)
            finally:
                sampler.stop()
                daemon.stop()


def _soak(daemon: DaemonProcess, sites: Sites, sampler: Sampler, cycles: int, every: int) -> None:
    pid = daemon.proc.pid
    while cycles_done(daemon.log_file) < WARM_UP_CYCLES:
        if daemon.proc.poll() is not None:
            raise SystemExit(daemon.log_file.read_text()[-2000:])
        time.sleep(0.5)
    sampler.phase = "soak"
    base = cycles_done(daemon.log_file)
    for server in sites.servers.values():
        server.stats.reset()
    start_main, started = memory_kib(pid), time.monotonic()
    print(f"after {base} warm-up cycles: main process RSS {mib(start_main[0])}", flush=True)
    try:
        done = _run_cycles(daemon, sampler, base, cycles, every, started)
    except KeyboardInterrupt:  # Ctrl-C: report the cycles run so far
        done = cycles_done(daemon.log_file) - base
        print(f"interrupted after {done} cycles")
    end_main, elapsed = memory_kib(pid), time.monotonic() - started
    _report(sites, sampler, max(done, 1), elapsed, start_main, end_main)


def _run_cycles(
    daemon: DaemonProcess, sampler: Sampler, base: int, cycles: int, every: int, started: float
) -> int:
    pid, mark = daemon.proc.pid, every
    while (done := cycles_done(daemon.log_file) - base) < cycles:
        if done >= mark:
            peak = sampler.peaks.get("soak", Peak())
            print(
                f"  {done:5d} cycles  main RSS {mib(memory_kib(pid)[0])}  tree peak {peak.text()}"
                f"  ({(time.monotonic() - started) / done:.2f}s per cycle)",
                flush=True,
            )
            mark += every
        if daemon.proc.poll() is not None:
            raise SystemExit("daemon died:\n" + daemon.log_file.read_text()[-2000:])
        time.sleep(1.0)
    return done


def _report(
    sites: Sites,
    sampler: Sampler,
    done: int,
    elapsed: float,
    start_main: tuple[int, int],
    end_main: tuple[int, int],
) -> None:
    requests = sum(s.stats.requests for s in sites.servers.values())
    not_modified = sum(s.stats.not_modified for s in sites.servers.values())
    print(
        f"{done} cycles in {elapsed:.0f}s ({elapsed / done:.2f}s per cycle); {requests} "
        f"requests, {not_modified} answered 304; {sampler.samples} samples of the tree; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"main process: RSS {mib(start_main[0])} -> {mib(end_main[0])} "
        f"(growth {(end_main[0] - start_main[0]) / 1024:+.1f} MiB), PSS {mib(end_main[1])}"
    )
    for phase in ("warm-up", "soak"):
        idle = sampler.idle.get(phase)
        print(f"{phase:8s} idle tree (no child): {idle.text() if idle else 'never idle'}")
        rss, pss, procs = sampler.lows.get(phase, (0, 0, 0))
        print(f"{phase:8s} lowest tree:          RSS {mib(rss)} (PSS {mib(pss)}), {procs} proc")
        print(f"{phase:8s} peak tree:            {sampler.peaks.get(phase, Peak()).text()}")
    peers = ", ".join(f"{name} {mb} MB" for name, mb in PEERS_MB.items())
    soak_peak = sampler.peaks.get("soak", Peak()).rss / 1024
    verdict = "met" if soak_peak <= TARGET_MB else "NOT met"
    print(f"peers' peak tree RSS: {peers}; target <= {TARGET_MB} MB over the soak: {verdict}")
    print_import_floor()


if __name__ == "__main__":
    main()

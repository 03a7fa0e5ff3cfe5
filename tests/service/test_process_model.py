"""The daemon's main process schedules, drains and serves: crawl and extraction code is
loaded only in the children that need it, and no child outlives its job."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from service_helpers import DaemonProcess, wait_until, write_config

from monitor.store.db import Database
from monitor.testing.endpoint import Endpoint
from monitor.testing.sites import Sites

REPO = Path(__file__).parents[2]
CHILD_ONLY = (
    "scrapy",
    "twisted",
    "trafilatura",
    "htmldate",
    "courlan",
    "justext",
    "dateparser",
    "datasketch",
    "scipy",
    "lxml",
    "feedparser",
    "parsel",
)
# compiled parts of those packages: what /proc/PID/maps shows of a live process
CHILD_ONLY_LIBRARIES = re.compile(
    r"/(lxml|scipy|regex|zope/interface|cryptography|twisted|py3langid)/"
)


def test_the_daemons_own_modules_import_no_crawl_or_extraction_code() -> None:
    code = (
        "import sys\n"
        "import monitor.cli, monitor.service.commands, monitor.service.scheduler\n"
        "import monitor.rules, monitor.service.rulefiles, monitor.store.migrate\n"
        "import monitor.review.app, monitor.trends.check, monitor.trends.report, spiders\n"
        f"print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({CHILD_ONLY!r}))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert out.stdout.split() == []


def test_after_crawling_and_processing_the_main_process_holds_none_of_it(
    tmp_path: Path,
    db: Database,
    sites: Sites,
    endpoint: Endpoint,
    daemons: Callable[..., DaemonProcess],
) -> None:
    config = write_config(tmp_path, db.url, sites, endpoint, only=["state_dept"])
    daemon = daemons(config)
    # the first crawl stores the site's articles and a child extracts and matches them
    daemon.wait_log(r"cycle state_dept done: \w+, [1-9]\d* page\(s\) processed", timeout=120)
    pid = daemon.proc.pid
    loaded = set(CHILD_ONLY_LIBRARIES.findall(Path(f"/proc/{pid}/maps").read_text()))
    assert loaded == set()
    # between polls the daemon runs alone: every child exited after its job
    wait_until(lambda: not _children(pid), timeout=30, message="a child outlived its job")
    assert daemon.stop() == 0


def _children(pid: int) -> list[str]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += (task / "children").read_text().split()
    return found

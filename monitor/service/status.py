"""What the service is doing, read from the database (so any process can tell).

`monitor status`, `/healthz` and `/metrics` all read this one snapshot; nothing here
depends on talking to the daemon, so it works with the daemon stopped, and with several
workers it shows the whole pool.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from monitor.config import Settings
from monitor.service import locks
from monitor.store import models
from monitor.store.db import Database
from monitor.store.models import utcnow
from spiders.base import Source

RECENT_FAILURES = 10
MIB = 1024 * 1024
DISK_FULL_BYTES = 1 * MIB  # SQLite cannot grow its files much further: writes fail
DISK_LOW_BYTES = 100 * MIB
RUN_FIELDS = (
    "outcome",
    "mode",
    "found",
    "new",
    "unchanged",
    "failed",
    "blocked",
    "requests",
    "error",
    "worker",
    "discovery",
    "problems",
)

RuleCheck = Callable[[], dict[str, Any]]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _last_run(row: models.CrawlRun | None) -> dict[str, Any] | None:
    if row is None:
        return None
    data: dict[str, Any] = {f: getattr(row, f) for f in RUN_FIELDS}
    data["started_at"], data["finished_at"] = _iso(row.started_at), _iso(row.finished_at)
    return data


def _sources(session: Any, settings: Settings, sources: dict[str, Source]) -> list[dict[str, Any]]:
    rows = {r.key: r for r in session.scalars(select(models.Source))}
    latest_ids = select(func.max(models.CrawlRun.id)).group_by(models.CrawlRun.source_key)
    runs = {
        r.source_key: r
        for r in session.scalars(select(models.CrawlRun).where(models.CrawlRun.id.in_(latest_ids)))
    }
    out = []
    for key in sorted(set(sources) | set(rows)):
        cfg, row = settings.source(key), rows.get(key)
        out.append(
            {
                "key": key,
                "name": sources[key].name if key in sources else (row.name if row else key),
                "enabled": cfg.enabled and key in sources,
                "interval_minutes": cfg.interval_minutes,
                "health": {
                    "state": row.health_state if row else "unknown",
                    "reason": row.health_reason if row else None,
                    "since": _iso(row.health_since) if row else None,
                },
                "consecutive_failures": row.consecutive_failures if row else 0,
                "next_run_at": _iso(row.next_run_at) if row else None,
                "last_new_at": _iso(row.last_new_at) if row else None,
                "last_run": _last_run(runs.get(key)),
            }
        )
    return out


def _outbox(session: Any, now: datetime) -> dict[str, Any]:
    alert = models.Alert
    by_state = dict(session.execute(select(alert.state, func.count()).group_by(alert.state)).all())
    waiting = alert.state.in_(("pending", "retrying", "sending"))
    oldest = session.scalar(select(func.min(alert.created_at)).where(waiting))
    failures = session.scalars(
        select(alert)
        .where(alert.state.in_(("failed", "retrying")))
        .order_by(alert.id.desc())
        .limit(RECENT_FAILURES)
    ).all()
    return {
        "by_state": by_state,
        "backlog": sum(by_state.get(s, 0) for s in ("pending", "retrying", "sending", "held")),
        "failed": by_state.get("failed", 0),
        "oldest_waiting_seconds": (now - oldest).total_seconds() if oldest else None,
        "recent_failures": [
            {
                "id": a.id,
                "kind": a.kind,
                "channel": a.channel,
                "state": a.state,
                "attempts": a.attempts,
                "error": a.last_error,
            }
            for a in failures
        ],
    }


def collect(
    db: Database,
    settings: Settings,
    sources: dict[str, Source],
    rule_check: RuleCheck | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """One JSON-able snapshot: processes, sources, outbox, rules."""
    now = now or utcnow()
    with db.session() as session:
        snapshot: dict[str, Any] = {
            "generated_at": now.isoformat(),
            "processes": [
                {"lease": h.name, "owner": h.owner, "expires_at": _iso(h.expires_at)}
                for h in locks.holders(db, "", now)
                if not h.name.startswith("crawl:")
            ],
            "crawling": sorted(
                h.name.removeprefix("crawl:") for h in locks.holders(db, "crawl:", now)
            ),
            "sources": _sources(session, settings, sources),
            "outbox": _outbox(session, now),
        }
    snapshot["rules"] = rule_check() if rule_check else None
    snapshot["store"] = store_space(db)
    return snapshot


def store_space(db: Database) -> dict[str, Any] | None:
    """Size of a SQLite store and the free space beside it, read from the filesystem (a
    full disk cannot record its own state in the database)."""
    path = db.sqlite_path
    if path is None:
        return None
    try:
        disk = os.statvfs(path.parent)
    except OSError:
        return None
    files = [path.with_name(path.name + suffix) for suffix in ("", "-wal", "-shm")]
    free = disk.f_bavail * disk.f_frsize
    state = "full" if free < DISK_FULL_BYTES else "low" if free < DISK_LOW_BYTES else "ok"
    return {
        "path": str(path),
        "bytes": sum(f.stat().st_size for f in files if f.exists()),
        "free_bytes": free,
        "disk": state,
    }


def _unreported_problems(run: dict[str, Any], reason: str | None) -> list[str]:
    """Discovery problems of the last run that the health line does not show yet (a manual
    crawl's, before the next health check)."""
    return [f"  ! {p}" for p in run.get("problems") or [] if p not in (reason or "")]


def render_text(snapshot: dict[str, Any]) -> str:
    """The human view of `collect` (the JSON view is the snapshot itself)."""
    lines = []
    procs = snapshot["processes"]
    lines.append("daemon: " + (", ".join(p["owner"] for p in procs) if procs else "not running"))
    lines.append("")
    lines.append(
        f"{'source':<16} {'health':<11} {'last run':<20} {'outcome':<9} "
        f"{'found':>5} {'new':>4} {'fail':>4} {'blk':>4}  next run"
    )
    for s in snapshot["sources"]:
        run = s["last_run"] or {}
        started = (run.get("started_at") or "-")[:19].replace("T", " ")
        nxt = (s["next_run_at"] or "-")[:19].replace("T", " ")
        if not s["enabled"]:
            nxt = "disabled"
        lines.append(
            f"{s['key']:<16} {s['health']['state']:<11} {started:<20} "
            f"{run.get('outcome', '-'):<9} {run.get('found', 0):>5} {run.get('new', 0):>4} "
            f"{run.get('failed', 0):>4} {run.get('blocked', 0):>4}  {nxt}"
        )
        if s["health"]["reason"]:
            lines.append(f"  ! {s['health']['reason']}")
        lines.extend(_unreported_problems(run, s["health"]["reason"]))
        if s["consecutive_failures"]:
            lines.append(
                f"  ! {s['consecutive_failures']} failed run(s) in a row; "
                f"last error: {run.get('error') or '-'}"
            )
    box = snapshot["outbox"]
    lines.append("")
    states = ", ".join(f"{k} {v}" for k, v in sorted(box["by_state"].items())) or "empty"
    lines.append(f"outbox: backlog {box['backlog']}, failed {box['failed']} ({states})")
    if box["oldest_waiting_seconds"] is not None:
        lines.append(f"  oldest waiting alert: {box['oldest_waiting_seconds']:.0f}s")
    for f in box["recent_failures"]:
        lines.append(
            f"  #{f['id']} {f['kind']} -> {f['channel']} {f['state']} "
            f"after {f['attempts']} attempt(s): {f['error']}"
        )
    store = snapshot.get("store")
    if store is not None:
        lines.append("")
        lines.append(
            f"store: {store['path']} ({store['bytes'] / MIB:.1f} MiB), "
            f"{store['free_bytes'] / MIB:.1f} MiB free on its disk"
        )
        if store["disk"] == "full":
            lines.append("  ! disk full: writes are failing; monitor resumes once space is freed")
        elif store["disk"] == "low":
            lines.append("  ! disk space low")
    rules = snapshot.get("rules")
    if rules is not None:
        lines.append("")
        errors = rules.get("errors") or []
        lines.append(
            f"rules: {rules.get('count', '?')} loaded from {rules.get('dir')}, "
            f"{len(errors)} error(s)"
        )
        lines.extend(f"  ! {e}" for e in errors)
    return "\n".join(lines)

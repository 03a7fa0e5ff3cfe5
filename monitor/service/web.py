"""`/healthz` and Prometheus `/metrics` on the review web server.

Both are public paths of the review app (a load balancer or Prometheus does not log in);
they show counts and source keys only, never scraped text or secrets, and the server
listens on loopback unless configured otherwise. Source and outbox figures are read
from the database at scrape time, so any worker's endpoint shows the whole pool; the
counters of this process (crawls run, alerts delivered) come from `ServiceMetrics`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from monitor.config import Settings
from monitor.service import status
from monitor.store.db import Database
from spiders.base import Source

log = logging.getLogger(__name__)

PUBLIC_PATHS = ("/healthz", "/metrics")
Probe = Callable[[], dict[str, Any]]


def _ts(value: str | None) -> float | None:
    return datetime.fromisoformat(value).timestamp() if value else None


class StoreCollector(Collector):
    """Gauges computed from `status.collect` on every scrape."""

    def __init__(self, db: Database, settings: Settings, sources: dict[str, Source]) -> None:
        self.db, self.settings, self.sources = db, settings, sources

    def collect(self) -> Iterator[GaugeMetricFamily]:
        snap = status.collect(self.db, self.settings, self.sources)
        healthy = GaugeMetricFamily(
            "monitor_source_healthy",
            "1 if the source has no health condition",
            labels=["source", "state"],
        )
        failures = GaugeMetricFamily(
            "monitor_source_consecutive_failures", "failed crawl runs in a row", labels=["source"]
        )
        last_run = GaugeMetricFamily(
            "monitor_source_last_run_timestamp_seconds",
            "start of the last crawl run",
            labels=["source"],
        )
        last_new = GaugeMetricFamily(
            "monitor_source_last_new_timestamp_seconds",
            "when the source last yielded a new article",
            labels=["source"],
        )
        counts = GaugeMetricFamily(
            "monitor_source_last_run_pages", "counts of the last run", labels=["source", "kind"]
        )
        for s in snap["sources"]:
            key = s["key"]
            healthy.add_metric([key, s["health"]["state"]], float(s["health"]["state"] == "ok"))
            failures.add_metric([key], s["consecutive_failures"])
            run = s["last_run"] or {}
            if (started := _ts(run.get("started_at"))) is not None:
                last_run.add_metric([key], started)
            if (new_at := _ts(s["last_new_at"])) is not None:
                last_new.add_metric([key], new_at)
            for kind in ("found", "new", "unchanged", "failed", "blocked"):
                counts.add_metric([key, kind], run.get(kind) or 0)
        outbox = GaugeMetricFamily("monitor_outbox_alerts", "alerts by state", labels=["state"])
        for state, n in snap["outbox"]["by_state"].items():
            outbox.add_metric([state], n)
        oldest = GaugeMetricFamily(
            "monitor_outbox_oldest_waiting_seconds", "age of the oldest undelivered alert"
        )
        oldest.add_metric([], snap["outbox"]["oldest_waiting_seconds"] or 0)
        procs = GaugeMetricFamily("monitor_processes", "daemons/workers holding a live lease")
        procs.add_metric([], len(snap["processes"]))
        yield from (healthy, failures, last_run, last_new, counts, outbox, oldest, procs)


class ServiceMetrics:
    """This process's counters plus the store gauges, in a registry of its own."""

    def __init__(self, db: Database, settings: Settings, sources: dict[str, Source]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.registry.register(StoreCollector(db, settings, sources))
        self.crawls = Counter(
            "monitor_crawl_runs",
            "crawl cycles run by this process",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.crawl_seconds = Histogram(
            "monitor_crawl_duration_seconds",
            "crawl child run time",
            ["source"],
            registry=self.registry,
            buckets=(1, 5, 15, 60, 300, 900, 1800, 3600),
        )
        self.deliveries = Counter(
            "monitor_alert_deliveries",
            "delivery attempts by this process",
            ["outcome"],
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def service_routes(
    db: Database, metrics: ServiceMetrics, probe: Probe | None = None
) -> list[BaseRoute]:
    """The two routes; `probe` adds the daemon's own view (scheduler alive, heartbeat)."""

    def healthz(_request: Request) -> Response:
        body: dict[str, Any] = {"status": "ok"}
        try:
            with db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            body["database"] = "ok"
        except Exception as exc:  # noqa: BLE001 - reported as a status; the text may hold the URL
            log.warning("healthz: database unreachable (%s)", type(exc).__name__)
            body.update(status="error", database="unreachable")
        if probe is not None:
            daemon = probe()
            body["daemon"] = daemon
            if not daemon.get("ok"):
                body["status"] = "error"
        return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)

    def prometheus(_request: Request) -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", prometheus, methods=["GET"]),
    ]


def make_web_app(
    settings: Settings,
    db: Database,
    metrics: ServiceMetrics,
    probe: Probe | None = None,
    signed: Sequence[Route] = (),
) -> Starlette:
    """The review app with the service routes added as public paths; `signed` routes (the
    WebSub callback) check their requests' signatures themselves."""
    routes = [*service_routes(db, metrics, probe), *signed]
    try:
        from monitor.review.app import create_app
    except ModuleNotFoundError:  # review UI not installed: serve the probes alone
        return Starlette(routes=routes)
    return create_app(
        settings,
        db,
        extra_routes=routes,
        public_paths=PUBLIC_PATHS,
        signed_paths=[route.path for route in signed],
    )


class WebServer:
    """uvicorn in a thread of the daemon; stopped with the daemon."""

    def __init__(self, app: Starlette, host: str, port: int) -> None:
        import uvicorn

        config = uvicorn.Config(
            app, host=host, port=port, log_config=None, access_log=False, lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="web", daemon=True)

    def start(self) -> WebServer:
        self.thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)

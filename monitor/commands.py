"""Core commands: db upgrade, extract, ingest, crawl."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path

from monitor.cli import App, UserError, command, print_json
from monitor.domain import ExtractionError, RawPage


def add_commands(sub: argparse._SubParsersAction) -> None:
    db = command(sub, "db", lambda app: _db_help(db), "database schema")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION")
    command(db_sub, "upgrade", cmd_db_upgrade, "create or upgrade the schema (alembic)")

    p = command(sub, "extract", cmd_extract, "extract one saved page and print JSON")
    p.add_argument("file", help="HTML file")
    p.add_argument("--url", required=True, help="the page's URL (picks the source's hints)")

    p = command(
        sub, "ingest", cmd_ingest, "run one saved page through extraction, store, rules, outbox"
    )
    p.add_argument("file", help="HTML file")
    p.add_argument("--url", required=True)
    p.add_argument("--source", help="source key (default: from the URL's host)")

    p = command(sub, "crawl", cmd_crawl, "crawl one source now, then process what it fetched")
    p.add_argument("source")
    p.add_argument(
        "--since", type=date.fromisoformat, help="back-fill back to this date (YYYY-MM-DD)"
    )
    p.add_argument(
        "--archive",
        action="store_true",
        help="back-fill from the web archive's index (crawl.archive_url), not from the site",
    )


def _db_help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def cmd_db_upgrade(app: App) -> int:
    app.migrated_db()
    print("database is at the current schema", file=sys.stderr)
    return 0


def _read_page(app: App, source_name: str | None = None) -> RawPage:
    from monitor.service.wiring import resolve_source

    path = Path(app.args.file)
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror})") from None
    url, source = resolve_source(app.args.url, app.settings, source_name)
    if source_name and source is None:
        raise UserError(f"unknown source {source_name!r} (known: {', '.join(sorted(app.sources))})")
    return RawPage(
        url=url,
        source=source.key if source else "other",
        body=body,
        fetched_at=datetime.now(UTC),
        fetched_url=app.args.url,
    )


def cmd_extract(app: App) -> int:
    from monitor.extract import extract_page
    from monitor.service.wiring import hints_for

    page = _read_page(app)
    try:
        article = extract_page(page, hints_for(page.source))
    except ExtractionError as exc:
        raise UserError(f"{app.args.file}: {exc}") from None
    article.source = page.source if page.source != "other" else None
    print_json(article.as_json())
    return 0


def cmd_ingest(app: App) -> int:
    from monitor.service.wiring import make_pipeline

    page = _read_page(app, app.args.source)
    pipeline = make_pipeline(app.settings, app.migrated_db())
    try:
        outcome = pipeline.ingest(page)
    except ExtractionError as exc:
        raise UserError(f"{app.args.file}: {exc} (nothing stored)") from None
    print_json(asdict(outcome))
    return 0


def cmd_crawl(app: App) -> int:
    from monitor.crawl.runner import run_crawl
    from monitor.service import health
    from monitor.service.wiring import make_pipeline

    source = app.source(app.args.source)
    db = app.migrated_db()
    summary = run_crawl(source, app.settings, db, since=app.args.since, archive=app.args.archive)
    outcomes = make_pipeline(app.settings, db).process_pending()
    health.check_and_alert(db, app.settings, source.key, datetime.now(UTC))
    report = {
        "crawl": summary.as_json() if hasattr(summary, "as_json") else asdict(summary),
        "processed": {
            s: sum(o.status == s for o in outcomes)
            for s in ("new", "updated", "unchanged", "duplicate", "failed")
        },
        "flagged": [{"url": o.url, "rules": o.rules} for o in outcomes if o.rules],
    }
    print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    return 0

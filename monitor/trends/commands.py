"""`monitor report` (a briefing of a period) and `monitor trends check` (one spike check)."""

from __future__ import annotations

import argparse
import json
import sys
import webbrowser
from datetime import UTC, date, datetime, timedelta

from monitor.cli import App, UserError, command, print_json

FORMATS = ("md", "html", "json")


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = command(
        sub,
        "report",
        cmd_report,
        "a briefing of a period: stories per concept and source, top stories, spikes, edits",
    )
    p.add_argument(
        "--since", type=date.fromisoformat, required=True, help="first day, YYYY-MM-DD (UTC)"
    )
    p.add_argument(
        "--until", type=date.fromisoformat, help="last day, YYYY-MM-DD (default: up to now)"
    )
    p.add_argument("--format", choices=FORMATS, default="md")
    p.add_argument("-o", "--output", help="file to write (default: stdout)")
    p.add_argument("--open", action="store_true", help="open the written file in a browser")

    trends = command(sub, "trends", lambda app: _help(trends), "spike detection")
    actions = trends.add_subparsers(dest="trends_command", metavar="ACTION")
    p = command(
        actions, "check", cmd_check, "run one spike check now (the daemon runs it on a timer)"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def cmd_report(app: App) -> int:
    from monitor.trends.report import build_report, end_of_day, render_html, render_markdown
    from monitor.trends.spikes import SpikeParams

    args = app.args
    now = datetime.now(UTC)
    since = datetime.combine(args.since, datetime.min.time(), tzinfo=UTC)
    until = min(now, end_of_day(args.until)) if args.until else now
    if since > until:
        raise UserError("--since is after --until (or in the future)")
    if args.open and not args.output:
        raise UserError("--open needs --output FILE")
    with app.migrated_db().session(readonly=True) as session:
        report = build_report(
            session, since, until, SpikeParams.from_settings(app.settings.trends), now=now
        )
    if args.format == "json":
        text = json.dumps(report.as_json(), ensure_ascii=False, indent=2) + "\n"
    else:
        text = (render_html if args.format == "html" else render_markdown)(report)
    if not args.output:
        sys.stdout.write(text)
        return 0
    try:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as exc:
        raise UserError(f"{args.output}: cannot write ({exc.strerror})") from None
    print(f"wrote {args.output}", file=sys.stderr)
    if args.open:
        from pathlib import Path

        webbrowser.open(Path(args.output).resolve().as_uri())
    return 0


def cmd_check(app: App) -> int:
    from monitor.rules import RuleBook
    from monitor.rules.loader import rule_folders
    from monitor.service import locks
    from monitor.trends.check import LEASE, RuleInfo, check_spikes

    db = app.migrated_db()
    owner = locks.new_owner_id("cli")
    if not locks.acquire(db, LEASE, owner, timedelta(minutes=5)):
        raise UserError("another spike check is running (the daemon's, most likely)")
    try:
        rules = [RuleInfo.of(rule) for rule in RuleBook.load(rule_folders(app.settings)).rules]
        report = check_spikes(db, app.settings, rules)
    finally:
        locks.release(db, LEASE, owner)
    if app.args.json:
        print_json(report.as_json())
        return 0
    print(
        f"checked {report.series} series: {len(report.opened)} spike(s) opened, "
        f"{report.closed} ended, {report.alerts} alert(s) queued"
    )
    for headline in report.opened:
        print(f"  spike: {headline}")
    if report.cold:
        print(f"  not enough history yet: {', '.join(report.cold)}")
    return 0

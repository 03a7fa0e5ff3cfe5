"""`monitor alerts send | list | retry`: look into and act on the outbox by hand."""

from __future__ import annotations

import argparse

from sqlalchemy import select

from monitor.alerts.notifier import drain
from monitor.alerts.outbox import FAILED, STATES, retry
from monitor.cli import App, UserError, command, print_json
from monitor.store import models


def add_commands(sub: argparse._SubParsersAction) -> None:
    alerts = sub.add_parser("alerts", help="the alert outbox: send, list, retry")
    actions = alerts.add_subparsers(dest="alerts_command", metavar="ACTION", required=True)
    command(actions, "send", _send, "deliver every due alert now and print a summary")
    listing = command(actions, "list", _list, "list alerts, newest first")
    listing.add_argument("--state", choices=STATES, help="only alerts in this state")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true", help="JSON (stable shape)")
    again = command(actions, "retry", _retry, "queue failed alerts again (full attempt budget)")
    again.add_argument("ids", nargs="*", type=int, metavar="ID")
    again.add_argument("--failed", action="store_true", help="every failed alert")


def _send(app: App) -> int:
    summary = drain(app.migrated_db(), app.settings)
    print(summary)
    return 1 if summary.failed else 0


def _row(alert: models.Alert) -> dict[str, object]:
    return {
        "id": alert.id,
        "state": alert.state,
        "kind": alert.kind,
        "channel": alert.channel,
        "article_id": alert.article_id,
        "story_id": alert.story_id,
        "rules": alert.rules,
        "severity": alert.severity,
        "attempts": alert.attempts,
        "next_attempt_at": alert.next_attempt_at.isoformat() if alert.next_attempt_at else None,
        "sent_at": alert.sent_at.isoformat() if alert.sent_at else None,
        "parent_id": alert.parent_id,
        "last_error": alert.last_error,  # redacted when written
    }


def _list(app: App) -> int:
    query = select(models.Alert).order_by(models.Alert.id.desc()).limit(app.args.limit)
    if app.args.state:
        query = query.where(models.Alert.state == app.args.state)
    with app.migrated_db().session() as session:
        rows = [_row(a) for a in session.scalars(query)]
    if app.args.json:
        print_json(rows)
        return 0
    for row in rows:
        rules = ",".join(row["rules"]) or "-"  # type: ignore[arg-type]
        error = f"  ({row['last_error']})" if row["last_error"] else ""
        print(
            f"#{row['id']:<6} {row['state']:<9} {row['kind']:<7} {row['channel']:<16} "
            f"article {row['article_id'] or '-'}  {rules}  tries {row['attempts']}{error}"
        )
    if not rows:
        print("no alerts")
    return 0


def _retry(app: App) -> int:
    if bool(app.args.ids) == app.args.failed:
        raise UserError("give alert ids or --failed (not both)")
    with app.migrated_db().session() as session:
        if app.args.failed:
            count = retry(session, failed=True)
        else:
            known = set(
                session.scalars(select(models.Alert.id).where(models.Alert.id.in_(app.args.ids)))
            )
            if missing := sorted(set(app.args.ids) - known):
                raise UserError(f"no alert with id {', '.join(map(str, missing))}")
            count = retry(session, app.args.ids)
    print(
        f"queued {count} alert(s) again"
        + (
            ""
            if count or app.args.failed
            else f" (only {FAILED} or retrying alerts can be retried)"
        )
    )
    return 0

"""Service commands: `monitor run [--worker]` and `monitor status [--json]`."""

from __future__ import annotations

import argparse

from monitor.cli import App, UserError, command, print_json


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = command(
        sub, "run", cmd_run, "run the daemon: scheduled crawls, pipeline, notifier, web server"
    )
    p.add_argument(
        "--worker",
        action="store_true",
        help="join a pool of workers sharing one PostgreSQL database",
    )
    p.add_argument("--no-web", action="store_true", help="do not start the web server")

    p = command(
        sub,
        "status",
        cmd_status,
        "sources (last run, health, next run), outbox backlog, rule-file errors",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")


def cmd_run(app: App) -> int:
    from monitor.rules import RuleWatcher, rule_folders
    from monitor.service.locks import AlreadyRunning
    from monitor.service.rulefiles import poller
    from monitor.service.scheduler import Daemon
    from monitor.store.migrate import SchemaError, require_current

    if app.args.worker:
        if app.db.is_sqlite:
            raise UserError(
                "--worker needs a PostgreSQL database_url; on SQLite run one plain daemon"
            )
        db = app.db  # workers never migrate concurrently: run `monitor db upgrade` once
        try:
            require_current(db)
        except SchemaError as exc:
            raise UserError(str(exc)) from None
    else:
        db = app.migrated_db()
    rules = RuleWatcher(rule_folders(app.settings))
    daemon = Daemon(
        app.settings,
        db,
        app.sources,
        rules=rules.current,
        rules_poll=poller(rules),
        worker=app.args.worker,
        web=not app.args.no_web,
    )
    try:
        daemon.run()
    except AlreadyRunning as exc:
        raise UserError(str(exc)) from None
    return 0


def cmd_status(app: App) -> int:
    from monitor.rules import rule_folders
    from monitor.service import rulefiles
    from monitor.service.status import collect, render_text
    from monitor.store.migrate import SchemaError, require_current

    try:
        require_current(app.db)
    except SchemaError as exc:
        raise UserError(str(exc)) from None
    snapshot = collect(
        app.db,
        app.settings,
        app.sources,
        rule_check=lambda: rulefiles.check(rule_folders(app.settings)),
    )
    if app.args.json:
        print_json(snapshot)
    else:
        print(render_text(snapshot))
    return 0

"""`monitor` command line: a thin composition root.

Each area adds its own sub-commands through `add_commands(subparsers)` and receives an
`App` (settings, database, sources) when its command runs. Errors the user can fix are
printed as one line (`monitor: ...`) with exit code 2; JSON outputs are documented in the
README and kept stable because other tools script against them.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from monitor.config import ConfigError, Settings, load_settings
from monitor.log import redact, register_secret, register_url_secrets, setup_logging
from monitor.store.db import Database
from monitor.store.migrate import SchemaError

log = logging.getLogger(__name__)

# Modules that contribute sub-commands, in help order. Each defines add_commands(sub).
COMMAND_MODULES = (
    "monitor.commands",
    "monitor.rules.commands",
    "monitor.alerts.commands",
    "monitor.review.commands",
    "monitor.service.commands",
    "monitor.versions.commands",
    "monitor.trends.commands",
    "monitor.crawl.commands",
)


class UserError(Exception):
    """Something the user can fix; printed as one line, no traceback."""


class App:
    """What a command needs, built lazily so `monitor --help` touches nothing."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args

    @cached_property
    def settings(self) -> Settings:
        from spiders import register_declared

        settings = load_settings(self.args.config)
        for channel in settings.notify.channels.values():
            register_url_secrets(channel.url)
        register_secret(make_url(settings.db_url).password)  # the user name is no secret
        register_declared(settings)  # sources declared in YAML join the built-in ones
        return settings

    @cached_property
    def db(self) -> Database:
        return Database(self.settings.db_url)

    def migrated_db(self) -> Database:
        """The database, upgraded to the current schema (commands that write call this)."""
        from monitor.store.migrate import upgrade

        upgrade(self.db)
        return self.db

    @cached_property
    def sources(self) -> dict[str, Any]:
        from spiders import SOURCES

        return SOURCES  # with the YAML-declared ones, once `settings` is loaded (main does)

    def source(self, key: str) -> Any:
        """The source named on the command line, or a one-line error listing the known ones."""
        if key not in self.sources:
            raise UserError(f"unknown source {key!r} (known: {', '.join(sorted(self.sources))})")
        return self.sources[key]


def print_json(value: object) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


Handler = Callable[[App], int | None]


def command(
    sub: argparse._SubParsersAction, name: str, handler: Handler, help: str
) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help, description=help)
    parser.set_defaults(handler=handler)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="monitor", description="Crawl sources, flag items by keyword rules, alert, review."
    )
    parser.add_argument("--config", help="config file (default: $MONITOR_CONFIG or ./monitor.yaml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    app = App(args)
    try:
        level = "DEBUG" if args.verbose else app.settings.log_level
        setup_logging(level, app.settings.log_json)
        return int(args.handler(app) or 0)
    except (ConfigError, UserError, SchemaError) as exc:
        print(f"monitor: {exc}", file=sys.stderr)
        return 2
    except DBAPIError as exc:
        first_line = str(exc.orig or exc).strip().splitlines()[0]
        print(f"monitor: database error: {redact(first_line)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from monitor.rules.loader import RuleError  # imported late: `--help` stays light

        if not isinstance(exc, RuleError):
            raise
        print(f"monitor: rules do not load (run `monitor rules lint`):\n{exc}", file=sys.stderr)
        return 2

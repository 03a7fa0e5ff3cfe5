"""`monitor serve`, `monitor queue list|show|mark|export` and `monitor users hash`.

JSON and CSV shapes are those of `monitor.review.queries` (see its docstring); CSV has
the same columns as the JSON items, with `rules` joined by ";".
"""

from __future__ import annotations

import argparse
import csv
import getpass
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import IO, Any

from monitor.cli import App, UserError, command, print_json
from monitor.review import queries

CSV_COLUMNS = (
    "id",
    "url",
    "source",
    "language",
    "title",
    "published",
    "fetched",
    "state",
    "rules",
    "severity",
    "story",
    "story_size",
)
# Terminal and spreadsheet safety for scraped titles: control characters (ANSI escapes,
# bidi overrides) are dropped from terminal output, and CSV cells that a spreadsheet would
# run as a formula get a leading apostrophe (OWASP "CSV injection").
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "serve", cmd_serve, "run the review web UI (login required)")
    p.add_argument("--host", help="address to bind (default: review.host, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default: review.port, 8080)")

    queue = command(sub, "queue", lambda app: _help(queue), "the review queue of flagged items")
    qsub = queue.add_subparsers(dest="queue_command", metavar="ACTION")
    p = command(qsub, "list", cmd_list, "list flagged items, newest first")
    _filter_args(p)
    p.add_argument("--json", action="store_true", help="print a JSON list (shape in the README)")
    p.add_argument("--limit", type=int, default=50, help="at most this many items (default 50)")
    p.add_argument("--offset", type=int, default=0, help="skip this many items first")

    p = command(qsub, "show", cmd_show, "show one item: text, rules hit, story, decisions")
    p.add_argument("id", type=int)
    p.add_argument("--json", action="store_true")

    p = command(qsub, "mark", cmd_mark, "record a decision on items")
    p.add_argument("ids", type=int, nargs="+", metavar="ID")
    p.add_argument("--state", required=True, choices=queries.STATES)
    p.add_argument("--note", default=None)
    p.add_argument("--who", default=None, help="who decided (default: your login name)")

    p = command(qsub, "export", cmd_export, "write a filtered view as CSV or JSON")
    _filter_args(p)
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")

    users = command(sub, "users", lambda app: _help(users), "review UI users")
    usub = users.add_subparsers(dest="users_command", metavar="ACTION")
    command(
        usub,
        "hash",
        cmd_users_hash,
        "hash a password for review.users in monitor.yaml (reads it from the terminal or stdin)",
    )


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _filter_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--state", choices=(*queries.STATES, "all"), default="all")
    p.add_argument("--source")
    p.add_argument("--rule")
    p.add_argument("--severity")
    p.add_argument("--language")
    p.add_argument("--since", type=date.fromisoformat, help="published on or after YYYY-MM-DD")
    p.add_argument("--until", type=date.fromisoformat, help="published on or before YYYY-MM-DD")
    p.add_argument("--search", help="words that must all appear in the title or text")
    p.add_argument("--story", type=int, help="items of this story")


def _filter(args: argparse.Namespace) -> queries.QueueFilter:
    return queries.QueueFilter(
        state=None if args.state == "all" else args.state,
        source=args.source,
        rule=args.rule,
        severity=args.severity,
        language=args.language,
        since=args.since,
        until=args.until,
        search=args.search,
        story=args.story,
    )


def terminal_safe(text: str) -> str:
    return _CONTROL.sub("", text)


def _line(item: queries.QueueItem) -> str:
    published = (item.published or "-")[:16]
    rules = ",".join(item.rules)
    title = terminal_safe(item.title).replace("\n", " ")
    if len(title) > 80:
        title = title[:79] + "…"
    return (
        f"{item.id:>7}  {item.state:<12} {item.severity or '-':<8} {item.source:<14} "
        f"{published:<16}  {rules:<24} {title}"
    )


def cmd_list(app: App) -> int:
    args = app.args
    with app.migrated_db().session(readonly=True) as session:
        items = list(
            queries.iter_queue(
                session, _filter(args), limit=max(args.limit, 0), offset=max(args.offset, 0)
            )
        )
    if args.json:
        print_json([item.as_json() for item in items])
        return 0
    if not items:
        print("no flagged items", file=sys.stderr)
        return 0
    print(
        f"{'id':>7}  {'state':<12} {'severity':<8} {'source':<14} {'published':<16}  "
        f"{'rules':<24} title"
    )
    for item in items:
        print(_line(item))
    return 0


def cmd_show(app: App) -> int:
    with app.migrated_db().session(readonly=True) as session:
        detail = queries.item_detail(session, app.args.id)
    if detail is None:
        raise UserError(f"no item {app.args.id}")
    if app.args.json:
        print_json(detail.as_json())
        return 0
    item = detail.item
    print(f"#{item.id} [{item.state}] {terminal_safe(item.title)}")
    print(
        f"{item.source} {item.language} · published {item.published or '-'} · {terminal_safe(item.url)}"
    )
    if item.story_id is not None:
        print(f"story {item.story_id} ({item.story_size} items)")
    for m in detail.matches:
        terms = ", ".join(terminal_safe(t) for t in m.terms)
        print(f"  rule {m.rule_id} ({m.severity}): {terms}")
        for snippet in m.snippets:
            print(f"    … {terminal_safe(snippet)} …")
    for d in detail.decisions:
        note = f": {terminal_safe(d.note)}" if d.note else ""
        print(f"  {d.at.isoformat()} {d.who} → {d.state}{note}")
    for other in detail.story_items:
        print(f"  also #{other.id} {other.source} {terminal_safe(other.title)[:70]}")
    print()
    print(terminal_safe(detail.text).replace("\r", ""))
    return 0


def _who(explicit: str | None) -> str:
    if explicit:
        return explicit
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER") or "cli"


def cmd_mark(app: App) -> int:
    args = app.args
    try:
        with app.migrated_db().session() as session:
            done = queries.decide(session, args.ids, args.state, args.note, _who(args.who))
    except ValueError as exc:
        raise UserError(str(exc)) from None
    missing = sorted(set(args.ids) - set(done))
    if done:
        print(f"marked {', '.join(map(str, done))} {args.state}", file=sys.stderr)
    if missing:
        raise UserError(f"no item {', '.join(map(str, missing))}")
    return 0


def spreadsheet_safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(items: Iterable[queries.QueueItem], out: IO[str]) -> None:
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for item in items:
        row = item.as_json()
        row["rules"] = ";".join(row["rules"])
        writer.writerow({k: spreadsheet_safe(row[k]) for k in CSV_COLUMNS})


def write_json(items: Iterable[queries.QueueItem], out: IO[str]) -> None:
    # Streamed item by item, so a large export never holds the whole list as JSON text.
    out.write("[")
    for i, item in enumerate(items):
        out.write(",\n  " if i else "\n  ")
        out.write(json.dumps(item.as_json(), ensure_ascii=False))
    out.write("\n]\n")


@contextmanager
def _output(path: Path | None, newline: str | None) -> Iterator[IO[str]]:
    if path is None:
        yield sys.stdout
        return
    try:
        with path.open("w", encoding="utf-8", newline=newline) as out:
            yield out
    except OSError as exc:
        raise UserError(f"{path}: cannot write ({exc.strerror})") from None


def cmd_export(app: App) -> int:
    args = app.args
    with (
        app.migrated_db().session(readonly=True) as session,
        _output(args.output, "" if args.format == "csv" else None) as out,
    ):
        items = queries.iter_queue(session, _filter(args))
        (write_csv if args.format == "csv" else write_json)(items, out)
    return 0


def cmd_users_hash(app: App) -> int:
    from monitor.review.auth import hash_password

    if sys.stdin.isatty():
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise UserError("the passwords differ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < 8:
        raise UserError("use at least 8 characters")
    print(hash_password(password))
    return 0


def cmd_serve(app: App) -> int:
    import uvicorn

    from monitor.review.app import create_app
    from monitor.review.auth import ENV_ADMIN_PASSWORD

    settings = app.settings
    if not settings.review.users and not os.environ.get(ENV_ADMIN_PASSWORD):
        raise UserError(
            "no review users: add review.users to the config (hashes from "
            f"`monitor users hash`) or set {ENV_ADMIN_PASSWORD}"
        )
    web = create_app(settings, app.migrated_db())
    host = app.args.host or settings.review.host
    port = app.args.port or settings.review.port
    print(f"review UI on http://{host}:{port}/", file=sys.stderr)
    uvicorn.run(
        web, host=host, port=port, server_header=False, log_config=None, proxy_headers=False
    )
    return 0

"""`monitor recheck ID… | --due` and `monitor evidence export ID [--out FILE]`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from monitor.cli import App, UserError, command, print_json


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = command(
        sub, "recheck", cmd_recheck, "fetch articles again now: record versions, edits, removals"
    )
    p.add_argument("ids", type=int, nargs="*", metavar="ID", help="item ids (any article)")
    p.add_argument("--due", action="store_true", help="run the scheduled round (due items)")

    evidence = command(
        sub, "evidence", lambda app: _help(evidence), "evidence files of an item (WARC)"
    )
    esub = evidence.add_subparsers(dest="evidence_command", metavar="ACTION")
    p = command(
        esub,
        "export",
        cmd_export,
        "write a WARC with every capture, version and rule match of an item; print SHA-256s",
    )
    p.add_argument("id", type=int)
    p.add_argument("--out", help="file to write (default: article-ID-TIME.warc.gz here)")


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def cmd_recheck(app: App) -> int:
    from monitor.service.isolation import Children
    from monitor.service.locks import new_owner_id
    from monitor.service.recheck import Rechecker
    from monitor.service.wiring import make_pipeline

    if bool(app.args.ids) == app.args.due:
        raise UserError("give item ids or --due (not both)")
    db = app.migrated_db()
    rechecker = Rechecker(
        app.settings, db, make_pipeline(app.settings, db), Children(), new_owner_id("recheck")
    )
    if app.args.due:
        report = rechecker.run_due()
    else:
        missing = _missing(app, app.args.ids)
        if missing:
            raise UserError(f"no item {', '.join(map(str, missing))}")
        report = rechecker.run_articles(app.args.ids)
    print_json(report.as_json())
    return 0


def _missing(app: App, ids: list[int]) -> list[int]:
    from sqlalchemy import select

    from monitor.store.models import Article

    with app.db.session(readonly=True) as session:
        found = set(session.scalars(select(Article.id).where(Article.id.in_(ids))))
    return sorted(set(ids) - found)


def cmd_export(app: App) -> int:
    from monitor.store.models import utcnow
    from monitor.versions.evidence import EvidenceNotFound, default_file_name, export_warc

    now = utcnow()
    target = Path(app.args.out or default_file_name(app.args.id, now))
    partial = target.with_name(target.name + ".part")
    db = app.migrated_db()
    try:
        with db.session(readonly=True) as session, partial.open("wb") as out:
            manifest = export_warc(session, app.args.id, out, now)
    except EvidenceNotFound as exc:
        partial.unlink(missing_ok=True)
        raise UserError(str(exc)) from None
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise UserError(f"{target}: cannot write ({exc.strerror})") from None
    os.replace(partial, target)
    print("\n".join(manifest.lines(target.name)))
    print(f"wrote {target}", file=sys.stderr)
    return 0

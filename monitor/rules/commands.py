"""`monitor rules test | lint | backtest`: try rules on a text, check the files, replay history."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select

from monitor.cli import App, UserError, command, print_json
from monitor.domain import match_document
from monitor.rules.lint import lint
from monitor.rules.loader import BUILTIN_RULES, RuleError, read_rules, rule_folders
from monitor.rules.matcher import RuleBook
from monitor.store import models


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rules = sub.add_parser("rules", help="keyword rules: test, lint, backtest")
    actions = rules.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    test = command(actions, "test", _test, "match the rules against a text; print JSON matches")
    test.add_argument("file", nargs="?", default="-", help="text file, or - for stdin (default)")
    test.add_argument("--language", help="language of the text (ar, en); default: any")
    command(actions, "lint", _lint, "check the rule files and run their examples")
    backtest = command(
        actions, "backtest", _backtest, "run one rule over stored articles; print what it flags"
    )
    backtest.add_argument("rule", help="rule id")
    backtest.add_argument("--since", type=_day, required=True, help="first day (YYYY-MM-DD)")


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _book(app: App) -> RuleBook:
    try:
        return RuleBook.load(rule_folders(app.settings))
    except RuleError as exc:
        raise UserError(f"rules do not load (run `monitor rules lint`):\n{exc}") from None


def _test(app: App) -> int:
    if app.args.file == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(app.args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"{app.args.file}: cannot read ({exc})") from None
    print_json([m.as_json() for m in _book(app).match(text, app.args.language)])
    return 0


def _lint(app: App) -> int:
    folders = rule_folders(app.settings)
    problems = lint(folders)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(_summary(folders) + ": ok")
    return 0


def _summary(folders: tuple[Path, ...]) -> str:
    """Where the rules came from, and which built-in rules a user file replaced."""
    loaded, _ = read_rules(folders)
    builtin = {item.rule.id for item in read_rules(BUILTIN_RULES)[0]}
    replaced = sorted(
        item.rule.id
        for item in loaded
        if item.rule.id in builtin and not item.file.is_relative_to(BUILTIN_RULES)
    )
    names = ["built-in pack" if f == BUILTIN_RULES else str(f) for f in folders]
    note = f"; replacing built-in {', '.join(replaced)}" if replaced else ""
    return f"{len(loaded)} rules from {' + '.join(names)}{note}"


def _backtest(app: App) -> int:
    try:
        book = _book(app).only(app.args.rule)
    except KeyError:
        raise UserError(f"no rule with id {app.args.rule!r}") from None
    since = datetime.combine(app.args.since, datetime.min.time(), UTC)
    query = (
        select(models.Article)
        .where(models.Article.published_at >= since)
        .order_by(models.Article.published_at, models.Article.id)
        .execution_options(yield_per=200)
    )
    flagged = []
    with app.migrated_db().session() as session:
        for article in session.scalars(query):
            for match in book.match(match_document(article.title, article.text), article.language):
                flagged.append(
                    {
                        "article_id": article.id,
                        "url": article.url,
                        "title": article.title,
                        "published": article.published_at.isoformat()
                        if article.published_at
                        else None,
                        **match.as_json(),
                    }
                )
    print_json(flagged)
    return 0

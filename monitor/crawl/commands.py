"""Source commands: `monitor sources list` and `monitor sources check KEY [--json]`."""

from __future__ import annotations

import argparse

from monitor.cli import App, command, print_json


def add_commands(sub: argparse._SubParsersAction) -> None:
    group = command(sub, "sources", lambda app: _help(group), "the sources and their discovery")
    sources = group.add_subparsers(dest="sources_command", metavar="ACTION")
    command(sources, "list", cmd_list, "built-in and YAML-declared sources, their paths")
    p = command(
        sources,
        "check",
        cmd_check,
        "fetch a source's discovery paths once; print what each found (nothing is stored)",
    )
    p.add_argument("key", help="source key")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def cmd_list(app: App) -> int:
    for key, source in sorted(app.sources.items()):
        origin = source.declared_in or f"spiders/{key}.py"
        paths = [
            f"{len(urls)} {kind}"
            for kind, urls in (
                ("feed(s)", source.feeds),
                ("sitemap(s)", source.sitemaps),
                ("listing(s)", source.listings),
                ("section(s)", source.sections),
            )
            if urls
        ]
        rest = ", WordPress REST" if source.wp_rest else ""
        print(f"{key:<16} {source.name} ({origin})")
        homes = " ".join(source.home_urls())
        print(f"{'':16} home {homes}; {', '.join(paths) or 'generic path only'}{rest}")
    return 0


def cmd_check(app: App) -> int:
    from monitor.crawl.check import check_source, render

    report = check_source(app.source(app.args.key), app.settings)
    if app.args.json:
        print_json(report.as_json())
    else:
        print(render(report))
    return 0 if report.ok else 1

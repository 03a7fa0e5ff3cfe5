"""A loopback copy of a site that a test can edit between re-checks, and the CLI around it."""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from sqlalchemy import select

from monitor.cli import main
from monitor.store import models
from monitor.store.db import Database
from monitor.testing.endpoint import Endpoint
from monitor.testing.sites import SiteServer

SITES = Path(__file__).resolve().parents[1] / "fixtures" / "sites"
RULES = Path(__file__).resolve().parents[2] / "rules"


class EditableSite:
    """One host directory copied to tmp, served on loopback; routes and files can change."""

    def __init__(self, host: str, tmp: Path) -> None:
        self.root = tmp / "sites" / host
        shutil.copytree(SITES / host, self.root)
        self.server = SiteServer(self.root)

    def file(self, path: str) -> Path:
        return self.root / path.strip("/") / "index.html"

    def replace(self, path: str, old: str, new: str, gzipped: bool = False) -> None:
        page = self.file(path)
        text = page.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {page}"
        page.write_text(text.replace(old, new), encoding="utf-8")
        if gzipped:
            self.gzip(path)

    def gzip(self, path: str) -> None:
        """Serve `path` gzip-encoded from now on (the bytes on the wire differ from the page)."""
        page = self.file(path)
        (page.parent / "_index.html.gz").write_bytes(gzip.compress(page.read_bytes(), mtime=0))
        rel = str(page.parent.relative_to(self.root) / "_index.html.gz")
        self.route(path, {"file": rel, "content_type": "text/html; charset=utf-8",
                          "headers": {"Content-Encoding": "gzip"}})

    def route(self, path: str, spec: dict[str, Any] | None) -> None:
        path = quote(path, safe="/")  # the server matches the path as requested (encoded)
        config = self.config()
        routes = config.setdefault("routes", {})
        if spec is None:
            routes.pop(path, None)
        else:
            routes[path] = spec
        self.write_config(config)

    def config(self) -> dict[str, Any]:
        file = self.root / "_site.yaml"
        return (yaml.safe_load(file.read_text(encoding="utf-8")) or {}) if file.exists() else {}

    def write_config(self, config: dict[str, Any]) -> None:
        (self.root / "_site.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")


@contextmanager
def running(*sites: EditableSite) -> Iterator[None]:
    for site in sites:
        site.server.start()
    try:
        yield
    finally:
        for site in sites:
            site.server.stop()


def write_config(tmp: Path, key: str, site: EditableSite, endpoint: Endpoint) -> Path:
    config = tmp / "monitor.yaml"
    config.write_text(yaml.safe_dump({
        "data_dir": str(tmp), "rules_dir": str(RULES),
        "crawl": {"download_delay": 0, "max_crawl_delay": 0, "autothrottle": False,
                  "retry_times": 0},
        "sources": {key: {"base_urls": {site.root.name: site.server.base_url}}},
        "notify": {"channels": {"desk": {"url": endpoint.apprise_url("json")}},
                   "recent_hours": 24 * 365 * 20},
    }))
    return config


def cli(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> str:
    code = main(["--config", str(config), *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def cli_json(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> Any:
    return json.loads(cli(capsys, config, *args))


def article_id(db: Database, url_part: str) -> int:
    with db.session() as session:
        found = session.scalars(
            select(models.Article.id).where(models.Article.url.contains(url_part))
        ).all()
    assert len(found) == 1, f"{url_part}: {found}"
    return found[0]


def changes(db: Database, article: int) -> list[str]:
    with db.session() as session:
        return list(session.scalars(
            select(models.ArticleChange.kind)
            .where(models.ArticleChange.article_id == article)
            .order_by(models.ArticleChange.id)))


def change_alerts(db: Database, article: int) -> list[models.Alert]:
    with db.session() as session:
        return list(session.scalars(
            select(models.Alert)
            .where(models.Alert.article_id == article, models.Alert.kind == "change")
            .order_by(models.Alert.id)))

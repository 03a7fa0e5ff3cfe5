"""Re-checks against loopback copies that change under the crawler: an edit, a chrome-only
change, a decoy page, a removal (State Department copy, served gzip-encoded), then a move
and a redirect to the home page (RT Arabic copy). Real crawls, real apprise delivery, the
WARC read back with warcio."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import sys
import zlib
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import select, update
from warcio.archiveiterator import ArchiveIterator

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: helpers by path

from site_helpers import (
    EditableSite,
    article_id,
    change_alerts,
    changes,
    cli,
    cli_json,
    running,
    write_config,
)

from monitor.store import models
from monitor.store.db import Database
from monitor.testing.endpoint import Endpoint
from monitor.versions.evidence import warc_digest

DOUMA = "/releases/office-of-the-spokesperson/2026/11/united-states-welcomes-opcw-findings-on-chlorine-attack-in-douma/"
OPCW_AR = "/middle_east/1745001-منظمة-حظر-الأسلحة-الكيميائية-تعلن-العثور-على-مواقع-جديدة-في-سوريا/"
ASTANA_AR = "/middle_east/1745003-جولة-جديدة-من-محادثات-أستانا-حول-سوريا-الشهر-المقبل/"
MOVED_AR = OPCW_AR.replace("1745001-", "1745901-")


def test_edit_chrome_decoy_removal_and_evidence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = EditableSite("www.state.gov", tmp_path)
    site.replace(DOUMA, "</div>\n  <div class=\"post_tags\">",
                 "</div>\n<p class=\"views\">Views: 1,204</p>\n  <div class=\"post_tags\">")
    site.gzip(DOUMA)
    with running(site), Endpoint() as endpoint:
        config = write_config(tmp_path, "state_dept", site, endpoint)
        cli(capsys, config, "crawl", "state_dept")
        db = Database(f"sqlite:///{tmp_path / 'monitor.db'}")
        item = article_id(db, "chlorine-attack-in-douma")
        cli(capsys, config, "queue", "mark", str(item), "--state", "escalated")
        first_fetch_is_kept_as_received(db, item)

        site.replace(DOUMA, "killing dozens of civilians", "killing several people", gzipped=True)
        report = cli_json(capsys, config, "recheck", str(item))
        assert [c["change"] for c in report["checks"]] == ["edited"]

        site.replace(DOUMA, "Press Releases</a>", "Press Releases &amp; Briefings</a>")
        site.replace(DOUMA, "Views: 1,204", "Views: 1,377")
        site.replace(DOUMA, "Privacy Policy</a>", "Privacy Policy</a> <a href=\"/x/\">Jobs</a>")
        site.replace(DOUMA, "<a class=\"report__back-to-top\"",
                     "<div class=\"related-content\"><h3>Related</h3><a href=\"/r/\">Another "
                     "statement on Syria</a></div>\n <a class=\"report__back-to-top\"", gzipped=True)
        report = cli_json(capsys, config, "recheck", str(item))
        assert [(c["outcome"], c["change"]) for c in report["checks"]] == [("fetched", None)]

        decoy = site.config()
        site.write_config({**decoy, "decoy": {"file": "_decoy.html", "unless_user_agent": "-"}})
        report = cli_json(capsys, config, "recheck", str(item))
        assert [(c["outcome"], c["change"]) for c in report["checks"]] == [("blocked", None)]
        site.write_config(decoy)

        site.route(DOUMA, {"status": 410})
        report = cli_json(capsys, config, "recheck", str(item))
        assert [(c["outcome"], c["change"]) for c in report["checks"]] == [("gone", "removed")]
        report = cli_json(capsys, config, "recheck", str(item))  # still gone: no new change
        assert [c["change"] for c in report["checks"]] == [None]

        assert changes(db, item) == ["edited", "removed"]
        alerts = change_alerts(db, item)
        assert [a.channel for a in alerts] == ["desk", "desk"]
        before = len(endpoint.received)
        cli(capsys, config, "alerts", "send")
        sent = [m.json["message"] for m in endpoint.received[before:]]
        change_messages = [m for m in sent if "EDITED" in m or "REMOVED" in m]
        assert len(change_messages) == 2
        assert "killing dozens of civilians" not in change_messages[0]  # words, not the text
        assert "dozens" in change_messages[0] and "several" in change_messages[0]
        assert "HTTP 410" in change_messages[1]

        with db.session() as session:
            versions = session.scalars(select(models.ArticleVersion).where(
                models.ArticleVersion.article_id == item)).all()
        assert [v.number for v in versions] == [1, 2, 3]  # first fetch, edit, chrome-only
        assert versions[1].text_key != versions[0].text_key
        assert versions[2].text_key == versions[1].text_key
        warc_matches_the_store(db, item, tmp_path, capsys, config)
        db.dispose()


def first_fetch_is_kept_as_received(db: Database, item: int) -> None:
    with db.session() as session:
        raw = session.get_one(models.RawPage, session.get_one(models.Article, item).raw_page_id)
        capture = session.scalars(select(models.Capture).where(
            models.Capture.raw_page_id == raw.id)).one()
        wire = zlib.decompress(capture.body_z)
        assert dict(capture.response_headers)["Content-Encoding"] == "gzip"
        assert wire[:2] == b"\x1f\x8b" and gzip.decompress(wire) == zlib.decompress(raw.body_z)
        assert capture.body_sha256 == hashlib.sha256(wire).hexdigest()
        assert capture.fetched_at.tzinfo is not None


def warc_matches_the_store(
    db: Database, item: int, tmp: Path, capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    out = tmp / "evidence.warc.gz"
    manifest = cli(capsys, config, "evidence", "export", str(item), "--out", str(out)).splitlines()
    data = out.read_bytes()
    assert manifest[0] == f"{hashlib.sha256(data).hexdigest()}  evidence.warc.gz"
    listed = {line.split("  ", 1)[1].split()[1]: line.split("  ", 1)[0] for line in manifest[1:]}

    responses, requests, metadata = [], [], []
    for record in ArchiveIterator(io.BytesIO(data), check_digests=True):  # raises on a bad digest
        if record.rec_type == "response":
            payload = record.raw_stream.read()
            responses.append((record.rec_headers, record.http_headers, payload))
        elif record.rec_type == "request":
            requests.append(record.rec_headers)
        elif record.rec_type == "metadata":
            metadata.append(record.content_stream().read())

    with db.session() as session:
        checks = select(models.ArticleCheck.id).where(models.ArticleCheck.article_id == item)
        pages = select(models.RawPage.id).where(models.RawPage.article_id == item)
        captures = session.scalars(select(models.Capture).where(
            models.Capture.check_id.in_(checks) | models.Capture.raw_page_id.in_(pages))
            .order_by(models.Capture.fetched_at, models.Capture.id)).all()
        stored = [(c.status, zlib.decompress(c.body_z), c.body_sha256, c.fetched_at)
                  for c in captures]
        page_bodies = {zlib.decompress(p.body_z) for p in session.scalars(
            select(models.RawPage).where(models.RawPage.article_id == item))}
    # first fetch, edit, chrome change, decoy, 410, 410 again
    assert [s[0] for s in stored] == [200, 200, 200, 200, 410, 410]
    assert len(responses) == len(stored) == len(requests)
    for (warc, http, payload), (status, body, sha, fetched) in zip(responses, stored, strict=True):
        assert payload == body  # byte for byte what was received (gzip stays gzip)
        assert warc.get_header("WARC-Payload-Digest") == warc_digest(body)
        assert listed[warc.get_header("WARC-Record-ID")] == sha == hashlib.sha256(payload).hexdigest()
        assert http.get_statuscode() == str(status)
        assert warc.get_header("WARC-Date") == fetched.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    gzipped = [p for _, h, p in responses if h.get_header("Content-Encoding") == "gzip"]
    assert len(gzipped) == 3 and {gzip.decompress(p) for p in gzipped} == page_bodies
    decoy = [p for _, h, p in responses if b"Technical Difficulties" in p]
    assert len(decoy) == 1  # the blocked answer is evidence too, though not a version
    meta = json.loads(metadata[0])
    assert [c["kind"] for c in meta["changes"]] == ["edited", "removed"]
    assert [v["number"] for v in meta["versions"]] == [1, 2, 3]
    assert "several people" in meta["versions"][1]["text"]
    assert {m["rule"] for m in meta["rule_matches"]} >= {"chemical", "chlorine"}


def test_moved_keeps_history_and_home_redirect_is_removal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = EditableSite("arabic.rt.com", tmp_path)
    (site.root / "index.html").write_text("<html><head><title>RT عربي</title></head><body>"
                                          "<h1>الصفحة الرئيسية</h1></body></html>", "utf-8")
    with running(site), Endpoint() as endpoint:
        config = write_config(tmp_path, "rt_arabic", site, endpoint)
        cli(capsys, config, "crawl", "rt_arabic")
        db = Database(f"sqlite:///{tmp_path / 'monitor.db'}")
        opcw, astana = article_id(db, "1745001"), article_id(db, "1745003")
        cli(capsys, config, "queue", "mark", str(opcw), "--state", "relevant")

        moved = site.file(MOVED_AR)
        moved.parent.mkdir(parents=True)
        old_text = site.file(OPCW_AR).read_text("utf-8")
        moved.write_text(old_text.replace("1745001-", "1745901-"), "utf-8")
        site.route(OPCW_AR, {"redirect": "https://arabic.rt.com" + quote(MOVED_AR), "status": 301})
        site.route(ASTANA_AR, {"redirect": "/", "status": 302})
        report = cli_json(capsys, config, "recheck", str(opcw), str(astana))
        outcome = {c["article_id"]: (c["outcome"], c["change"]) for c in report["checks"]}
        assert outcome == {opcw: ("moved", "moved"), astana: ("home", "removed")}

        with db.session() as session:
            article = session.get_one(models.Article, opcw)
            assert "1745901" in article.url  # the same item, its history under the new URL
            versions = session.scalars(select(models.ArticleVersion).where(
                models.ArticleVersion.article_id == opcw)
                .order_by(models.ArticleVersion.number)).all()
            assert [("1745001" in v.url, "1745901" in v.url) for v in versions] == [
                (True, False), (False, True)]
            assert versions[0].text_key == versions[1].text_key  # moved, not edited
        report = cli_json(capsys, config, "recheck", str(opcw))  # now checked at its new URL
        assert [(c["outcome"], c["change"]) for c in report["checks"]] == [("not_modified", None)]
        assert changes(db, opcw) == ["moved"] and changes(db, astana) == ["removed"]
        assert change_alerts(db, opcw) == []  # moves do not alert by default
        assert change_alerts(db, astana) == []  # a `new` item: not relevant/escalated yet

        assert cli_json(capsys, config, "recheck", "--due")["checks"] == []  # first seen now
        with db.session() as session:  # as if the articles had been found 2 hours ago
            for article in session.scalars(select(models.Article)):
                article.created_at -= timedelta(hours=2)
            session.execute(update(models.ArticleWatch).values(last_checked_at=None))
        due = cli_json(capsys, config, "recheck", "--due")
        flagged = {c["article_id"] for c in due["checks"]}
        assert opcw in flagged and astana in flagged  # the 1 h re-check of each flagged item
        assert due["sources"]["rt_arabic"]["outcomes"]["not_modified"] >= 1
        db.dispose()

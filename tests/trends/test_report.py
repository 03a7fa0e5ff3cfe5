"""`monitor report` and the briefing on a synthetic store: counts, top stories with their
members in both languages, spikes, edits, and hostile scraped text kept inert."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from trend_helpers import ASTANA, CHLORINE, NOW, add_story, steady, trend_settings

from monitor.alerts.notifier import FakeNotifier, drain
from monitor.alerts.outbox import BRIEFING
from monitor.cli import main
from monitor.config import ChannelSettings
from monitor.store import models
from monitor.store.db import Database
from monitor.trends.check import check_spikes
from monitor.trends.report import build_report, queue_briefing, render_html, render_markdown

DAY = timedelta(days=1)
SINCE = NOW - 7 * DAY
HOSTILE = "<script>alert(1)</script> | *bold* الكلور"


def store(db: Database) -> dict[str, int]:
    """A month of quiet chlorine, then a week with a spike, a syndicated statement, a story
    in Arabic and English, a story judged not relevant, an edit and an undated item."""
    steady(db, NOW - 60 * DAY, SINCE, 0.5, seed=2)
    ids = {
        "syndicated": add_story(
            db,
            SINCE + DAY,
            sources=["etilaf", "rt_arabic", "state_dept", "baladi", "etilaf"],
            copies=5,
            languages=["ar", "en"],
        ),
        "bilingual": add_story(
            db, SINCE + 2 * DAY, copies=2, languages=["ar", "en"], title=HOSTILE
        ),
        "rejected": add_story(db, SINCE + 3 * DAY, state="not_relevant"),
        "astana": add_story(db, SINCE + 3 * DAY, rule=ASTANA, sources=["rt_arabic"]),
    }
    for i in range(6):
        add_story(db, NOW - timedelta(hours=10 - i), sources=["rt_arabic", "state_dept"][i % 2:])
    with db.session() as session:
        article = session.scalar(
            select(models.Article).where(models.Article.story_id == ids["bilingual"])
        )
        assert article is not None
        session.add(  # a re-check found the text edited
            models.ArticleChange(
                article_id=article.id, kind="edited", detected_at=SINCE + 3 * DAY,
                detail="rules stopped matching: astana",
            )
        )
        session.add(  # a change outside the period
            models.ArticleChange(
                article_id=article.id, kind="removed", detected_at=SINCE - DAY, status=410
            )
        )
        undated = models.Article(
            url="https://example.org/undated", source_key="baladi", title="undated",
            published_at=None, fetched_at=NOW, content_hash="undated",
        )
        undated.matches.append(models.RuleMatchRow(
            rule_id="chlorine", rule_name="Chlorine attacks", severity="critical"))
        session.add(undated)
    return ids


@pytest.fixture
def report_db(any_db: Database, tmp_path: Path) -> Database:
    store(any_db)
    check_spikes(any_db, trend_settings(tmp_path, windows_hours=[24]), [CHLORINE], NOW)
    return any_db


def test_report_counts_stories_not_copies(report_db: Database) -> None:
    with report_db.session() as session:
        data = build_report(session, SINCE, NOW, now=NOW).as_json()
    concepts = {c["rule"]: c for c in data["concepts"]}
    chlorine = concepts["chlorine"]
    assert chlorine["stories"] == 3 + 6  # syndicated, bilingual, rejected + the burst
    assert chlorine["items"] == 5 + 2 + 1 + 6
    assert chlorine["judged"] == 1 and chlorine["share_not_relevant"] == 1.0
    assert chlorine["sources"]["baladi"] == 1  # a story counts once at each source it reached
    assert sum(d["stories"] for d in chlorine["daily"]) == chlorine["stories"]
    assert concepts["astana"]["stories"] == 1
    top = data["top_stories"][0]
    assert top["sources"] == ["baladi", "etilaf", "rt_arabic", "state_dept"]
    assert len(top["members"]) == 5 and top["languages"] == ["ar", "en"]
    bilingual = next(s for s in data["top_stories"] if s["members"][0]["title"] == HOSTILE)
    assert [m["language"] for m in bilingual["members"]] == ["ar", "en"]
    (spike,) = data["spikes"]
    assert spike["rule"] == "chlorine" and spike["headline"].startswith("chlorine: ")
    changes = data["changes"]
    assert [r["kind"] for r in changes["records"]] == ["edited"]
    assert changes["records"][0]["rules"] == ["chlorine"]
    assert changes["records"][0]["detail"] == "rules stopped matching: astana"


def test_markdown_and_html_keep_scraped_text_inert(report_db: Database) -> None:
    with report_db.session() as session:
        report = build_report(session, SINCE, NOW, now=NOW)
    markdown = render_markdown(report)
    assert "| Chlorine attacks (`chlorine`) | 9 | 14 |" in markdown
    assert "\\<script\\>alert\\(1\\)\\</script\\> \\| \\*bold\\*" in markdown
    assert "edited: \\<script\\>" in markdown and "(rules stopped matching: astana)" in markdown
    page = render_html(report)
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 2
    assert 'class="period"' in page  # the period is shaded on each chart


def test_report_command(report_db: Database, tmp_path: Path, capsys) -> None:
    config = tmp_path / "monitor.yaml"
    config.write_text(yaml.safe_dump({"database_url": report_db.url}))
    since = SINCE.date().isoformat()
    until = NOW.date().isoformat()
    assert main(["--config", str(config), "report", "--since", since, "--until", until,
                 "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {c["rule"] for c in data["concepts"]} == {"chlorine", "astana"}
    out = tmp_path / "report.html"
    assert main(["--config", str(config), "report", "--since", since, "--until", until,
                 "--format", "html", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert main(["--config", str(config), "report", "--since", until, "--until", since]) == 2
    assert "--since is after --until" in capsys.readouterr().err
    assert main(["--config", str(config), "report", "--since", since, "--open"]) == 2


def test_briefing_goes_to_briefing_channels_only(report_db: Database, tmp_path: Path) -> None:
    settings = trend_settings(tmp_path)
    channels = dict(settings.notify.channels)
    channels["weekly"] = ChannelSettings(url="json://127.0.0.1:9/weekly", tags=["briefing"])
    settings = settings.model_copy(
        update={"database_url": report_db.url,
                "notify": settings.notify.model_copy(update={"channels": channels})})
    assert queue_briefing(report_db, settings, NOW) == 1
    assert queue_briefing(report_db, settings, NOW + timedelta(hours=1)) == 0  # once a day
    notifier = FakeNotifier()
    drain(report_db, settings, now=NOW, notifier=notifier)
    briefings = [(c, m) for c, m in notifier.sent if m.title.startswith("Briefing")]
    assert [c for c, _ in briefings] == ["weekly"]
    text = briefings[0][1].text
    assert "Chlorine attacks: 9 stories (14 items) from 4 sources, 1 spike" in text
    assert "Edits and removals: 1" in text and "/overview" in text
    with report_db.session() as session:
        kinds = set(session.scalars(select(models.Alert.kind)))
    assert BRIEFING in kinds

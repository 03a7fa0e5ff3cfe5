"""Alerts are per story, end to end through `Pipeline`: extraction, story, rules, outbox."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import ClassVar

import pytest
from sqlalchemy import select

from monitor.config import ChannelSettings, NotifySettings, Settings
from monitor.domain import RawPage, RuleMatch
from monitor.service.pipeline import Pipeline
from monitor.store import models
from monitor.store.db import Database
from monitor.stories import story_members
from monitor.stories.evaluate import Doc


class KeywordRules:
    """A tiny rule book: a rule matches when one of its words is in the text."""

    WORDS: ClassVar = {"chlorine": ("الكلور", "chlorine"),
                       "white_helmets": ("الخوذ البيضاء", "white helmets")}

    def match(self, text: str, language: str | None = None) -> list[RuleMatch]:
        folded = text.lower()
        return [RuleMatch(rule, rule, "high", [rule], [rule]) for rule, words in self.WORDS.items()
                if any(w in folded for w in words)]


def page(doc: Doc) -> RawPage:
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in doc.text.splitlines() if p)
    body = (f'<html lang="{doc.language}"><head><meta property="article:published_time" '
            f'content="{doc.published.isoformat()}T09:00:00+00:00"></head><body><article>'
            f"<h1>{html.escape(doc.title)}</h1>{paragraphs}</article></body></html>")
    return RawPage(url=doc.url, source=doc.source, body=body.encode(),
                   fetched_at=datetime.now(UTC), headers={"Content-Type": "text/html; charset=utf-8"})


@pytest.fixture
def pipeline(db: Database, settings: Settings) -> Pipeline:
    desk = ChannelSettings(url="json://127.0.0.1:9/")  # receives every rule
    notify = NotifySettings(channels={"desk": desk})
    return Pipeline(db, settings.model_copy(update={"notify": notify}), lambda: KeywordRules(),
                    lambda source: None)


def test_a_story_alerts_once_and_again_only_for_a_new_rule(
    pipeline: Pipeline, db: Database, documents: dict[str, Doc]
) -> None:
    release = pipeline.ingest(page(documents["a_pr_ar"]))
    assert release.rules == ["chlorine"] and release.alerts == 1

    translation = pipeline.ingest(page(documents["a_pr_en"]))
    assert translation.rules == ["chlorine"] and translation.alerts == 0

    report = pipeline.ingest(page(documents["a_report_ar"]))  # also names the White Helmets
    assert set(report.rules) == {"chlorine", "white_helmets"} and report.alerts == 1

    other = pipeline.ingest(page(documents["a_other_ar"]))  # same topic and day, not a copy
    assert other.alerts == 1

    with db.session() as session:
        alerts = session.scalars(select(models.Alert).order_by(models.Alert.id)).all()
        assert [a.rules for a in alerts] == [["chlorine"], ["white_helmets"], ["chlorine"]]
        story = session.get_one(models.Article, release.article_id).story_id
        assert alerts[0].story_id == alerts[1].story_id == story != alerts[2].story_id
        members = [a.id for a in story_members(session, story)]
        assert members == [release.article_id, translation.article_id, report.article_id]

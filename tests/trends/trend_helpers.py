"""Shared pieces of the trend tests: a fixed clock, rules, settings, checks played back."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

from monitor.config import ChannelSettings, NotifySettings, Settings, TrendsSettings
from monitor.store.db import Database
from monitor.testing.histories import CHLORINE, add_story, steady
from monitor.trends.check import CheckReport, RuleInfo, check_spikes

__all__ = ["ASTANA", "CHLORINE", "NOW", "add_story", "run_checks", "steady", "trend_settings"]

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
ASTANA = RuleInfo("astana", "Astana talks", "medium", ("all",))


def trend_settings(tmp_path, **trends: object) -> Settings:
    return Settings(
        data_dir=tmp_path,
        notify=NotifySettings(
            channels={
                "desk": ChannelSettings(url="json://127.0.0.1:9/desk"),
                "urgent": ChannelSettings(url="json://127.0.0.1:9/urgent", tags=["urgent"]),
            }
        ),
        trends=TrendsSettings(**trends),
    )


def every(start: datetime, end: datetime, step: timedelta) -> Iterator[datetime]:
    while start <= end:
        yield start
        start += step


def run_checks(
    db: Database,
    settings: Settings,
    start: datetime,
    end: datetime,
    step: timedelta = timedelta(hours=1),
    rules: Sequence[RuleInfo] = (CHLORINE,),
) -> list[CheckReport]:
    """The daemon's cycle played back: one spike check every `step`."""
    return [check_spikes(db, settings, rules, now) for now in every(start, end, step)]

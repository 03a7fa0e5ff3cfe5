"""A story history ending now for the overview and rules pages, with one spike alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.config import ChannelSettings, NotifySettings, Settings
from monitor.store.db import Database
from monitor.testing.histories import CHLORINE, add_story, steady
from monitor.trends.check import RuleInfo, check_spikes

ASTANA = RuleInfo("astana", "Astana talks", "medium", ("all",))


def spike_history(db: Database, tmp_path: Path) -> datetime:
    """Two months of quiet chlorine and Astana, a chlorine burst today, a check that found it."""
    now = datetime.now(UTC)
    steady(db, now - timedelta(days=80), now - timedelta(days=1), 0.6, seed=11)
    steady(db, now - timedelta(days=80), now, 0.3, seed=12, rule=ASTANA, sources=["rt_arabic"])
    for day in (20, 30):
        add_story(db, now - timedelta(days=day), state="not_relevant")
    # the burst falls on today's UTC day (the charts count by day) whatever the hour
    start = max(now - timedelta(hours=9), now.replace(hour=0, minute=0, second=0, microsecond=0))
    for i in range(7):
        add_story(
            db,
            start + (now - start) * i / 7,
            sources=[("etilaf", "rt_arabic", "state_dept")[i % 3]],
            title=f"<img src=x onerror=alert({i})> الكلور",
        )
    settings = Settings(
        data_dir=tmp_path,
        notify=NotifySettings(channels={"desk": ChannelSettings(url="json://127.0.0.1:9/x")}),
    )
    report = check_spikes(db, settings, [CHLORINE, ASTANA], now)
    assert report.opened, "the burst should open an episode"
    return now

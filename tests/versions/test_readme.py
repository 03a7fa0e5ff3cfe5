"""The README's re-check config block is a valid config (docs that run)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from monitor.config import Settings

README = Path(__file__).parents[2] / "README.md"


def test_readme_recheck_block_is_valid_config() -> None:
    section = README.read_text(encoding="utf-8").split("## Re-checks, versions and evidence")[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert block is not None
    settings = Settings.model_validate(yaml.safe_load(block.group(1)))
    assert settings.recheck.schedule_hours == [1, 6, 24, 72, 168]
    assert settings.recheck.alert_states == ["relevant", "escalated"]

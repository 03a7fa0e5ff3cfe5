"""The overview page and the rules page's charts, rendered by the server (no script)."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.testclient import TestClient

from monitor.store.db import Database

from .trend_history import spike_history


def test_overview_shows_each_concept_with_its_chart(
    client: TestClient, db: Database, tmp_path: Path
) -> None:
    spike_history(db, tmp_path)
    page = client.get("/overview")
    assert page.status_code == 200
    html = page.text
    assert 'id="rule-astana"' in html and 'id="rule-chlorine"' in html
    assert html.index('id="rule-astana"') < html.index('id="rule-chlorine"')  # by name
    assert len(re.findall(r'<svg xmlns="http://www.w3.org/2000/svg" class="chart" ', html)) == 2
    assert "Spikes now" in html and "chlorine: 7 stories in 24 h from 3 sources" in html
    chlorine = html[html.index('id="rule-chlorine"') :]
    assert 'class="day spike"' in chlorine and 'class="alert-mark"' in chlorine
    assert re.search(r'share-not-relevant">100%</strong> of 2 judged', chlorine)
    assert "<img" not in html


def test_overview_of_an_empty_store(client: TestClient) -> None:
    page = client.get("/overview").text
    assert "No rule has matched a dated item in the last 90 days." in page


def test_rules_page_has_a_small_chart_per_rule(
    client: TestClient, db: Database, tmp_path: Path
) -> None:
    spike_history(db, tmp_path)
    html = client.get("/rules").text
    assert html.count('class="chart compact"') == 2
    assert 'href="/overview#rule-chlorine"' in html

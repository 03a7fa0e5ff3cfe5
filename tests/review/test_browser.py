"""The queue in a real browser: Playwright driving Debian's chromium on a loopback server.

Set UPDATE_SCREENSHOTS=1 to write the README screenshots into docs/screenshots/.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from monitor.config import Settings
from monitor.review.app import create_app
from monitor.store.db import Database

from .conftest import PASSWORD, USER, item_fixtures, store_items
from .trend_history import spike_history

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
MORE_ITEMS = Path(__file__).parent / "fixtures" / "more_items.json"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (/usr/bin/chromium)"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(review_settings: Settings, db: Database) -> Iterator[tuple[str, dict[str, int]]]:
    ids = store_items(db, item_fixtures() + json.loads(MORE_ITEMS.read_text(encoding="utf-8")))
    port = free_port()
    config = uvicorn.Config(create_app(review_settings, db, environ={}), host="127.0.0.1",
                            port=port, log_config=None, access_log=False, lifespan="off")
    web = uvicorn.Server(config)
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not web.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", ids
    web.should_exit = True
    thread.join(10)


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page
        assert dialogs == [], f"scraped text ran as script: {dialogs}"
        assert errors == [], f"JavaScript errors: {errors}"
        browser.close()


def shoot(page: Any, name: str, tmp_path: Path) -> None:
    target = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / name), full_page=True)


def test_log_in_filter_open_mark(server: tuple[str, dict[str, int]], page: Any,
                                 tmp_path: Path) -> None:
    base, ids = server
    page.goto(f"{base}/?lang=ar")
    assert "/login" in page.url
    page.fill("input[name=user]", USER)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/?lang=ar")
    assert page.locator("tr[data-item]").count() == 3

    page.goto(f"{base}/")
    page.select_option("select[name=rule]", "chlorine")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/?*rule=chlorine*")
    rows = page.locator("tr[data-item]")
    assert rows.count() == 3
    page.goto(f"{base}/")
    shoot(page, "queue.png", tmp_path)

    page.goto(f"{base}/?rule=chlorine")
    page.click(f'tr[data-item="{ids["chlorine_ar"]}"] a.open')
    page.wait_for_url(f"**/item/{ids['chlorine_ar']}?*")
    assert page.locator("h1 mark").inner_text() == "الكلور"
    assert page.locator("h1").evaluate("el => getComputedStyle(el).direction") == "rtl"
    assert page.locator(".body mark").count() == 3
    shoot(page, "item-arabic.png", tmp_path)

    page.fill("textarea[name=note]", "confirmed by two sources")
    page.click("button[value=escalated]")
    page.wait_for_url("**/?rule=chlorine")
    assert "Marked 1 item escalated." in page.locator(".flash").inner_text()
    listed = page.locator("tr[data-item]").evaluate_all("rows => rows.map(r => r.dataset.item)")
    assert str(ids["chlorine_ar"]) not in listed

    page.goto(f"{base}/?state=escalated")
    assert page.locator(f'tr[data-item="{ids["chlorine_ar"]}"]').count() == 1


def test_keyboard_triage(server: tuple[str, dict[str, int]], page: Any) -> None:
    base, _ = server
    page.goto(f"{base}/login")
    page.fill("input[name=user]", USER)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    first = page.locator("tr.current").get_attribute("data-item")
    page.locator(f'tr[data-item="{first}"] input[name=ids]').click()  # focus on a checkbox
    page.locator(f'tr[data-item="{first}"] input[name=ids]').click()  # ...and unticked again
    page.keyboard.press("j")
    second = page.locator("tr.current").get_attribute("data-item")
    assert first != second
    page.keyboard.press("x")
    assert page.locator(f'tr[data-item="{second}"] input[name=ids]').is_checked()
    page.keyboard.press("n")  # mark the selected row not relevant
    page.wait_for_load_state()
    page.wait_for_selector(".flash")
    listed = page.locator("tr[data-item]").evaluate_all("rows => rows.map(r => r.dataset.item)")
    assert second not in listed and first in listed
    page.keyboard.press("o")
    page.wait_for_url("**/item/*")
    page.keyboard.press("b")
    page.wait_for_url(f"{base}/")


def test_xss_item_is_inert_in_the_browser(server: tuple[str, dict[str, int]], page: Any) -> None:
    base, ids = server
    page.goto(f"{base}/login?next=/item/{ids['xss']}")
    page.fill("input[name=user]", USER)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/item/{ids['xss']}")
    assert "<script>alert('title')</script>" in page.locator("h1").inner_text()
    assert page.locator("main img, main svg, main script").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    page.goto(f"{base}/?q=script")  # the dialog handler fails the test if anything ran


def test_overview_charts_render(server: tuple[str, dict[str, int]], page: Any, db: Database,
                                tmp_path: Path) -> None:
    base, _ = server
    spike_history(db, tmp_path)
    page.goto(f"{base}/login?next=/overview")
    page.fill("input[name=user]", USER)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/overview")
    charts = page.locator("section.concept svg.chart")
    # one chart per concept: chlorine, astana, and the fixture items' rules while recent
    assert charts.count() == page.locator("section.concept").count() >= 2
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box is not None and box["width"] > 600 and box["height"] > 100
    chlorine = page.locator("#rule-chlorine svg.chart")
    bars = chlorine.locator("rect.bar")
    assert bars.count() > 20
    spike = chlorine.locator("g.day.spike rect.bar").last
    assert spike.evaluate("el => el.getAttribute('fill')") == "#c62828"
    assert spike.bounding_box()["height"] > bars.first.bounding_box()["height"]
    assert chlorine.locator("path.alert-mark").count() == 1
    assert "spike" in chlorine.locator("g.day.spike title").last.text_content()
    shoot(page, "overview.png", tmp_path)
    page.goto(f"{base}/rules")
    assert page.locator("td.trend svg.chart").count() >= 2

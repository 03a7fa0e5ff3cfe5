"""The queue, item and rules pages and triage through the web forms."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient

from monitor.review.app import filter_params, parse_filter
from monitor.store.db import Database
from monitor.store.models import Article, ReviewDecision


def row_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-item="(\d+)">', page)]


def test_queue_opens_on_new_items_with_counts(client: TestClient, items: dict[str, int]) -> None:
    page = client.get("/").text
    assert row_ids(page) == [items["xss"], items["chlorine_ar"], items["chlorine_en"],
                             items["astana_en"]]
    assert re.search(r'aria-current="page">New <span class="count">4<', page)


def test_filters_from_the_query_string(client: TestClient, items: dict[str, int]) -> None:
    assert row_ids(client.get("/?lang=ar&rule=chlorine").text) == [items["chlorine_ar"]]
    assert row_ids(client.get("/?q=Astana&since=2026-11-01&until=2026-11-30").text) == [
        items["astana_en"]]
    assert row_ids(client.get("/?severity=low&source=etilaf").text) == [items["astana_en"]]


def test_pagination(client: TestClient, items: dict[str, int]) -> None:
    first, second = client.get("/?per=3").text, client.get("/?per=3&page=2").text
    assert len(row_ids(first)) == 3 and row_ids(second) == [items["astana_en"]]
    # the next page starts after the last item shown (keyset), numbered as before
    assert f'rel="next" href="/?per=3&amp;page=2&amp;after={row_ids(first)[-1]}"' in first
    followed = client.get(f"/?per=3&page=2&after={row_ids(first)[-1]}").text
    assert row_ids(followed) == row_ids(second) and "page 2 of 2" in followed
    assert 'rel="prev" href="/?per=3&amp;page=1"' in second
    third = client.get("/?per=1&page=3").text  # further back: before the first item shown
    assert f'rel="prev" href="/?per=1&amp;page=2&amp;before={row_ids(third)[0]}"' in third
    back = client.get(f"/?per=1&page=2&before={row_ids(third)[0]}").text
    assert row_ids(back) == row_ids(client.get("/?per=1&page=2").text)
    assert client.get("/?after=x").status_code == 400


def test_bad_parameters_are_refused_without_echo(client: TestClient, items: dict[str, int]) -> None:
    for query in ("since=<script>", "state=<b>x</b>", "page=-1", "page=abc", "per=100000",
                  "page=%C2%B2", "story=1e3"):
        response = client.get(f"/?{query}")
        assert response.status_code == 400
        assert "<" not in response.text and response.headers["content-type"].startswith("text/plain")


def test_filter_round_trip() -> None:
    params = {"state": "all", "source": "etilaf", "rule": "chlorine", "severity": "high",
              "lang": "ar", "since": "2026-01-01", "until": "2026-02-01", "q": "كلور",
              "story": "7"}
    assert filter_params(parse_filter(params)) == params


def test_item_page_shows_why_story_and_history(client: TestClient, items: dict[str, int],
                                               post: Callable[..., Any]) -> None:
    post("/decide", {"ids": items["chlorine_ar"], "state": "escalated", "note": "ملاحظة"})
    page = client.get(f"/item/{items['chlorine_ar']}").text
    assert '<h1 dir="auto">الائتلاف يدين هجوم <mark>الكلور</mark> على' in page
    assert "<mark>الخوذ البيضاء</mark>" in page and "<mark>السلاح الكيميائي</mark>" in page
    assert 'href="https://www.etilaf.org/ar/news/chlorine-idlib"' in page
    assert f'href="/item/{items["chlorine_en"]}?' in page  # same story
    assert "Chemical weapons" in page and "ملاحظة" in page and "ana" in page
    assert client.get("/item/999999").status_code == 404


def test_decide_moves_item_out_of_new(client: TestClient, db: Database, items: dict[str, int],
                                      post: Callable[..., Any]) -> None:
    response = post("/decide", {"ids": items["chlorine_en"], "state": "relevant",
                                "note": "confirmed", "back": "/?lang=en"})
    assert response.status_code == 303 and response.headers["location"] == "/?lang=en"
    page = client.get("/?lang=en").text
    assert items["chlorine_en"] not in row_ids(page)
    assert "Marked 1 item relevant." in page
    assert items["chlorine_en"] in row_ids(client.get("/?state=relevant").text)
    with db.session() as session:
        decision = session.query(ReviewDecision).one()
        assert (decision.who, decision.note) == ("ana", "confirmed")


def test_bulk_decision(client: TestClient, db: Database, items: dict[str, int]) -> None:
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)
    chosen = [items["chlorine_en"], items["astana_en"]]
    response = client.post("/decide", data={"csrf": token, "ids": chosen,
                                            "state": "not_relevant"})
    assert response.status_code == 303
    with db.session() as session:
        states = {a.id: a.review_state for a in session.query(Article)}
    assert [states[i] for i in chosen] == ["not_relevant", "not_relevant"]
    assert states[items["chlorine_ar"]] == "new"


def test_decide_refuses_bad_input(post: Callable[..., Any], items: dict[str, int]) -> None:
    assert post("/decide", {"ids": items["xss"], "state": "deleted"}).status_code == 400
    assert post("/decide", {"ids": "1 OR 1=1", "state": "relevant"}).status_code == 400


def test_rules_page(client: TestClient, items: dict[str, int], post: Callable[..., Any]) -> None:
    post("/decide", {"ids": [items["xss"], items["chlorine_en"]], "state": "not_relevant"})
    page = client.get("/rules").text
    row = re.search(r"<tr>\s*<td><a href=\"/\?rule=chlorine.*?</tr>", page, re.DOTALL).group(0)
    assert [int(n) for n in re.findall(r'class="num">(?:<a [^>]*>)?(\d+)', row)] == [3, 2, 2]
    assert "100%" in row


def test_search_with_very_many_hits_shows_lower_bounds(client: TestClient, items: dict[str, int],
                                                       monkeypatch: Any) -> None:
    from monitor.review import queries

    monkeypatch.setattr(queries, "SEARCH_PASS_ROWS", 1)
    page = client.get("/?q=e&per=1").text
    assert "counts are lower bounds" in page and 'rel="next"' in page
    assert re.search(r'New <span class="count">\d\+</span>', page)


def test_counts_past_the_cap_show_a_plus_and_pages_go_on(
        client: TestClient, items: dict[str, int], post: Callable[..., Any],
        monkeypatch: Any) -> None:
    from monitor.review import queries

    post("/decide", {"ids": [items["astana_en"]], "state": "escalated"})
    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    first = client.get("/?per=2").text
    assert re.search(r'New <span class="count">2\+</span>', first)  # 3 new items
    assert re.search(r'Escalated <span class="count">1</span>', first)  # under the cap: exact
    assert re.search(r'All <span class="count">3\+</span>', first)
    assert "more than 2 items" in first
    last = client.get(re.search(r'rel="next" href="([^"]+)"', first).group(1)
                      .replace("&amp;", "&")).text
    assert row_ids(last) == [items["chlorine_en"]] and 'rel="next"' not in last

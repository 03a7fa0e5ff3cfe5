"""The WebSub subscriber on its own, against the loopback hub: intent is confirmed only
for the topic asked for, pushes count only when signed with the subscription's secret,
and a lease is renewed once most of it has passed (not on every poll)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
from starlette.applications import Starlette
from test_daemon import free_port

from monitor.service.web import WebServer
from monitor.service.websub import Subscriber
from monitor.testing.websub import Hub

TOPIC = "https://www.state.gov/rss-feed/press-releases/feed/"


@pytest.fixture
def served() -> Iterator[tuple[Subscriber, list[str], Hub]]:
    port = free_port()
    pushes: list[str] = []
    subscriber = Subscriber(f"http://127.0.0.1:{port}", timedelta(hours=1), pushes.append)
    server = WebServer(Starlette(routes=subscriber.routes()), "127.0.0.1", port).start()
    deadline = time.monotonic() + 10
    while not server.server.started:
        assert time.monotonic() < deadline, "the callback server did not start"
        time.sleep(0.01)
    with Hub() as hub:
        yield subscriber, pushes, hub
    server.stop()


def test_intent_is_confirmed_for_the_topic_asked_for_only(
    served: tuple[Subscriber, list[str], Hub],
) -> None:
    subscriber, _, hub = served
    challenge = {"hub.mode": "subscribe", "hub.topic": TOPIC, "hub.challenge": "c-123"}
    unknown = requests.get(subscriber.callback, params={**challenge, "s": "guess"}, timeout=5)
    assert unknown.status_code == 404 and "c-123" not in unknown.text

    subscriber.ensure("state_dept", {TOPIC: hub.url})
    sub = hub.wait_subscribed()
    assert sub.topic == TOPIC and sub.lease_seconds == 3600
    token = sub.callback.split("s=", 1)[1]
    other = {**challenge, "hub.topic": "https://elsewhere.example/feed/", "s": token}
    assert requests.get(subscriber.callback, params=other, timeout=5).status_code == 404
    mine = requests.get(subscriber.callback, params={**challenge, "s": token}, timeout=5)
    assert (mine.status_code, mine.text) == (200, "c-123")


def test_a_push_counts_only_with_the_subscriptions_signature(
    served: tuple[Subscriber, list[str], Hub],
) -> None:
    subscriber, pushes, hub = served
    subscriber.ensure("state_dept", {TOPIC: hub.url})
    hub.wait_subscribed()
    assert hub.publish(TOPIC, b"<rss/>", secret="forged") == [202]
    assert pushes == []
    assert hub.publish(TOPIC, b"<rss/>") == [202]
    assert pushes == ["state_dept"]


def test_a_lease_is_renewed_after_most_of_it_not_on_every_poll(
    served: tuple[Subscriber, list[str], Hub],
) -> None:
    subscriber, _, hub = served
    subscriber.ensure("state_dept", {TOPIC: hub.url})
    hub.wait_subscribed()
    subscriber.ensure("state_dept", {TOPIC: hub.url})  # the next poll: nothing to do
    assert len(hub.requests) == 1
    sub = next(iter(subscriber._by_token.values()))
    assert sub.expires_at is not None
    assert not sub.due(sub.asked_at + timedelta(minutes=47))
    assert sub.due(sub.asked_at + timedelta(minutes=49))  # 80 % of the hour

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from scrapy.http import Response

from monitor.config import CrawlSettings, Settings
from monitor.crawl.middlewares import retry_after
from monitor.crawl.settings import politeness_delay, scrapy_settings
from spiders import SOURCES

STATE = SOURCES["state_dept"]  # declares crawl-delay 5


@pytest.mark.parametrize(
    ("ours", "ceiling", "expected"),
    [(1.0, 30.0, 5.0), (8.0, 30.0, 8.0), (0.0, 2.0, 2.0), (0.0, 0.0, 0.0)],
)
def test_politeness_delay_is_the_sites_wish_up_to_our_ceiling(
    ours: float, ceiling: float, expected: float
) -> None:
    crawl = CrawlSettings(download_delay=ours, max_crawl_delay=ceiling)
    assert politeness_delay(STATE, crawl) == expected


def test_crawl_settings_come_from_the_config() -> None:
    config = Settings.model_validate(
        {"crawl": {"download_timeout": 7, "max_bytes": 1000, "redirect_max_times": 3}}
    )
    scrapy = scrapy_settings(STATE, config)
    assert (scrapy["DOWNLOAD_TIMEOUT"], scrapy["DOWNLOAD_MAXSIZE"]) == (7, 1000)
    assert scrapy["REDIRECT_MAX_TIMES"] == 3
    assert scrapy["ROBOTSTXT_OBEY"] and scrapy["AUTOTHROTTLE_ENABLED"]
    assert scrapy["DOWNLOAD_VERIFY_CERTIFICATES"]  # Scrapy's own default is False
    assert not scrapy["HTTPCACHE_ENABLED"] and not scrapy["REMOTE_CONTROL_ENABLED"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", 120.0),
        ("", None),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # a fixed past date: xdist workers must collect the same ids
    ],
)
def test_retry_after_header(header: str, expected: float | None) -> None:
    response = Response("https://x/", status=429, headers={"Retry-After": header} if header else {})
    assert retry_after(response) == expected


def test_retry_after_http_date_in_the_future() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    wait = retry_after(Response("https://x/", status=503, headers={"Retry-After": when}))
    assert wait is not None and 80 < wait <= 90

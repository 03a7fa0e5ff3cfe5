"""The spike test on counts alone: tails, robust baseline, cold start, false-alarm rate."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from monitor.trends.spikes import (
    SpikeParams,
    assess,
    assess_window,
    daily_spikes,
    robust_level,
    upper_tail,
    usual_range,
    window_counts,
)

PARAMS = SpikeParams()
END = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("count", "mean", "dispersion"),
    [(1, 0.1, 1.0), (7, 0.4, 1.0), (30, 12.0, 1.0), (9, 2.0, 3.0), (40, 6.5, 4.2), (2, 5.0, 2.0)],
)
def test_upper_tail_agrees_with_scipy(count: int, mean: float, dispersion: float) -> None:
    stats = pytest.importorskip("scipy.stats")
    if dispersion == 1.0:
        expected = stats.poisson.sf(count - 1, mean)
    else:
        expected = stats.nbinom.sf(count - 1, mean / (dispersion - 1), 1 / dispersion)
    assert upper_tail(count, mean, dispersion) == pytest.approx(expected, rel=1e-9, abs=1e-15)


def test_upper_tail_edges() -> None:
    assert upper_tail(0, 3.0) == 1.0
    assert upper_tail(1, 0.0) == 0.0
    assert upper_tail(5, 2.0, 3.0) > upper_tail(5, 2.0, 1.0)  # over-dispersion: less surprising


def test_an_old_burst_in_the_baseline_does_not_hide_the_next_one() -> None:
    quiet = [0] * 20 + [1] * 6
    with_burst = quiet + [9, 7]
    mean, _ = robust_level(with_burst)
    assert mean < 0.5  # the 9 and 7 are clipped at median + 3
    assert assess(7, with_burst, 24, PARAMS).spike
    raw_mean = sum(with_burst) / len(with_burst)
    assert upper_tail(7, raw_mean, 1.0) > upper_tail(7, mean, 1.0)


def test_usual_range_is_the_middle_of_the_baseline() -> None:
    assert usual_range([0] * 20 + [1] * 8) == (0, 1)
    assert usual_range([3, 5, 4, 6, 4, 5, 3, 4, 5, 4]) == (3, 6)
    assert usual_range([]) == (0, 0)


def test_a_silent_rule_needs_min_stories_not_one() -> None:
    silent = [0] * 28
    assert not assess(2, silent, 24, PARAMS).spike  # floor 0.1/day: two is not yet a spike
    assert assess(3, silent, 24, PARAMS).spike
    assert not assess(2, silent, 24, SpikeParams(min_stories=3, floor_per_day=0.01)).spike


def test_a_short_window_needs_a_smaller_p() -> None:
    """alpha is per day: the 1-hour window is tested 24 times as often."""
    hourly_baseline = [0] * (28 * 24 - 28) + [1] * 28  # about one story a day
    assert assess(3, hourly_baseline, 1, PARAMS).spike
    busy = [0, 0, 1, 0, 0, 1, 0, 1] * 84  # about 9 a day
    four = assess(4, busy, 1, PARAMS)
    assert four.p_value < PARAMS.alpha and not four.spike  # would fire at the daily alpha
    assert assess(6, busy, 1, PARAMS).spike


def test_window_counts_are_half_open_on_the_left() -> None:
    w = timedelta(hours=24)
    times = [END, END - w, END - w + timedelta(seconds=1), END - 3 * w, END + timedelta(hours=1)]
    assert window_counts(times, END, w, 3) == [2, 1, 0]  # the future one is ignored


def test_cold_series_is_not_tested_and_back_fill_warms_it() -> None:
    burst = [END - timedelta(hours=h) for h in range(7)]
    assert assess_window(burst, END, 24, END - timedelta(days=5), PARAMS) is None
    assert assess_window(burst, END, 24, None, PARAMS) is None
    back_filled = END - timedelta(days=40)
    found = assess_window([back_filled, *burst], END, 24, back_filled, PARAMS)
    assert found is not None and found.spike and found.count == 7


def test_only_baseline_windows_inside_the_history_count() -> None:
    history = END - timedelta(days=16)
    times = [history + timedelta(hours=12 + 24 * d) for d in range(15)]  # one a day
    found = assess_window(times, END, 24, history, PARAMS)
    assert found is not None
    assert found.expected == pytest.approx(1.0, abs=0.1)  # not diluted by 13 empty days


def _poisson(rng: random.Random, lam: float) -> int:
    count, total = 0, rng.expovariate(1.0)
    while total < lam:
        count += 1
        total += rng.expovariate(1.0)
    return count


@pytest.mark.parametrize("style", ["steady", "weekly cycle"])
def test_steady_daily_series_rarely_spike(style: str) -> None:
    """Five years of daily counts in two styles: the flagged share stays near alpha."""
    rng = random.Random(16)
    counts = []
    for day in range(5 * 365):
        if style == "steady":
            lam = 4.0
        else:
            lam = 9.0 if day % 7 < 5 else 1.5  # busy weekdays, quiet weekends
        counts.append(_poisson(rng, lam))
    tests = daily_spikes(counts, 28, 0, PARAMS)
    flagged = sum(1 for t in tests if t is not None and t.spike)
    assert flagged <= 0.004 * len(tests)
    # the weekly cycle widens the spread (quasi-Poisson): a burst must stand out from it
    burst = [*counts[:100], 25 if style == "steady" else 40]
    last = daily_spikes(burst, 100, 0, PARAMS)[0]
    assert last is not None and last.spike


def test_daily_spikes_respect_the_cold_start() -> None:
    counts = [0] * 20 + [9]
    assert daily_spikes(counts, 20, None, PARAMS) == [None]
    assert daily_spikes(counts, 20, -10, PARAMS) == [None]  # history began on day 10
    warm = daily_spikes(counts, 20, 0, PARAMS)[0]
    assert warm is not None and warm.spike

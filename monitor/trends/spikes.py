"""Is this window unusually busy for this rule? A robust count test on stories, not copies.

For one series (a rule, or a rule at one source) and one window of `w` hours ending at `t`:

1. `c` is the number of stories first seen in (t - w, t]: a statement syndicated five
   times is one story (`monitor.stories`), so it counts once.
2. The baseline is the counts of the `B = baseline_days * 24 / w` windows of `w` hours
   just before it. The current window is never part of its own baseline, and windows that
   start before the series' history do not count as quiet ones.
3. Cold start: with less than `min_history_days` of history before the window there is
   no test at all. Back-filled stories are history like any other.
4. Robust level: median `m` and MAD of the baseline; every baseline count is clipped at
   `m + 3 * max(1.4826 * MAD, 1)` before its mean and variance are taken, so an earlier
   burst inside the baseline cannot raise the level enough to hide the next one (the MAD
   of sparse counts is often 0, hence the floor of 1).
5. Expected count `lam = max(mean, floor_per_day * w / 24)`: a rule that was silent for
   four weeks does not spike on one story. Dispersion `phi = max(1, variance / mean)`, the
   quasi-Poisson over-dispersion of Farrington-style outbreak detection: news comes in
   bursts, and a plain Poisson test would cry wolf on every busy day of a busy rule.
6. `p = P(X >= c)` for X negative binomial with mean `lam` and variance `phi * lam`
   (Poisson when `phi` is 1). A spike is `c >= min_stories` and `p < alpha * min(1, w/24)`:
   `alpha` is a false-alarm rate per day, and a day holds 24/w windows of w hours, so a
   1-hour window, tested 24 times as often as a 24-hour one, needs a 24 times smaller p.

"Usual" in messages is the 10th to 90th percentile of the baseline counts.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.config import TrendsSettings

MAD_TO_SIGMA = 1.4826  # MAD of a normal distribution times this is its standard deviation
CLIP_SIGMAS = 3.0


@dataclass(frozen=True)
class SpikeParams:
    baseline_days: int = 28
    min_history_days: int = 14
    min_stories: int = 3
    alpha: float = 0.001
    floor_per_day: float = 0.1

    @classmethod
    def from_settings(cls, settings: TrendsSettings) -> SpikeParams:
        return cls(
            settings.baseline_days,
            settings.min_history_days,
            settings.min_stories,
            settings.alpha,
            settings.floor_per_day,
        )

    def baseline_windows(self, window_hours: int) -> int:
        return max(1, self.baseline_days * 24 // window_hours)

    def alpha_for(self, window_hours: int) -> float:
        return self.alpha * min(1.0, window_hours / 24)


@dataclass(frozen=True)
class Assessment:
    window_hours: int
    count: int
    expected: float
    dispersion: float
    usual: tuple[int, int]
    p_value: float
    spike: bool


def upper_tail(count: int, mean: float, dispersion: float = 1.0) -> float:
    """P(X >= count) for X with this mean and variance `dispersion * mean`.

    A few lines with `math.lgamma` instead of scipy.stats, whose import costs the daemon's
    main process about 90 MB and a second (the tests check these against scipy).
    """
    if count <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    if dispersion <= 1.0 + 1e-9:

        def log_pmf(k: int) -> float:
            return k * math.log(mean) - mean - math.lgamma(k + 1)

    else:
        size, success = mean / (dispersion - 1.0), 1.0 / dispersion

        def log_pmf(k: int) -> float:
            return (
                math.lgamma(k + size)
                - math.lgamma(size)
                - math.lgamma(k + 1)
                + size * math.log(success)
                + k * math.log1p(-success)
            )

    below = math.fsum(math.exp(log_pmf(k)) for k in range(count))
    return min(1.0, max(0.0, 1.0 - below))


def _quantile(ordered: Sequence[int], q: float) -> float:
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def usual_range(baseline: Sequence[int]) -> tuple[int, int]:
    if not baseline:
        return (0, 0)
    ordered = sorted(baseline)
    return math.floor(_quantile(ordered, 0.1)), math.ceil(_quantile(ordered, 0.9))


def _median(ordered: Sequence[float]) -> float:
    n = len(ordered)
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def robust_level(baseline: Sequence[int]) -> tuple[float, float]:
    """(mean, dispersion) of the baseline after clipping outliers at median + 3 robust sigmas.

    Plain float arithmetic: `statistics.pvariance` computes exactly with fractions, which
    made the charts' daily test (90 days x every rule) the slowest part of the overview.
    """
    if not baseline:
        return 0.0, 1.0
    median = _median(sorted(baseline))
    mad = _median(sorted(abs(x - median) for x in baseline))
    cap = median + CLIP_SIGMAS * max(MAD_TO_SIGMA * mad, 1.0)
    clipped = [min(float(x), cap) for x in baseline]
    mean = math.fsum(clipped) / len(clipped)
    variance = math.fsum((x - mean) ** 2 for x in clipped) / len(clipped)
    return mean, max(1.0, variance / mean) if mean > 0 else 1.0


def assess(
    count: int, baseline: Sequence[int], window_hours: int, params: SpikeParams
) -> Assessment:
    """Test one window's count against its baseline (the caller has checked the history)."""
    mean, dispersion = robust_level(baseline)
    expected = max(mean, params.floor_per_day * window_hours / 24)
    p_value = upper_tail(count, expected, dispersion)
    return Assessment(
        window_hours=window_hours,
        count=count,
        expected=expected,
        dispersion=dispersion,
        usual=usual_range(baseline),
        p_value=p_value,
        spike=count >= params.min_stories and p_value < params.alpha_for(window_hours),
    )


def window_counts(times: Iterable[datetime], end: datetime, window: timedelta, n: int) -> list[int]:
    """Stories per window of `window` ending at `end`: index 0 is (end - window, end],
    index k is (end - (k+1)*window, end - k*window]; times outside the n windows are ignored."""
    counts: Counter[int] = Counter()
    for when in times:
        if when > end:
            continue
        index = int((end - when) / window)
        if index < n:
            counts[index] += 1
    return [counts[i] for i in range(n)]


def usable_windows(
    history_start: datetime | None, window_start: datetime, window: timedelta, wanted: int
) -> int:
    """How many baseline windows lie after the history's start (0: nothing before the window)."""
    if history_start is None or history_start >= window_start:
        return 0
    return min(wanted, int((window_start - history_start) / window))


def is_warm(history_start: datetime | None, window_start: datetime, params: SpikeParams) -> bool:
    return history_start is not None and window_start - history_start >= timedelta(
        days=params.min_history_days
    )


def assess_window(
    times: Sequence[datetime],
    end: datetime,
    window_hours: int,
    history_start: datetime | None,
    params: SpikeParams,
) -> Assessment | None:
    """The window of `window_hours` ending at `end` against the series' own baseline, or
    None while the series is cold."""
    window = timedelta(hours=window_hours)
    if not is_warm(history_start, end - window, params):
        return None
    n = usable_windows(history_start, end - window, window, params.baseline_windows(window_hours))
    counts = window_counts(times, end, window, n + 1)
    return assess(counts[0], counts[1:], window_hours, params)


def daily_spikes(
    counts: Sequence[int], first_day_index: int, history_days: int | None, params: SpikeParams
) -> list[Assessment | None]:
    """The 24-hour test on whole days, for charts: `counts[i]` is day i's stories, days
    before `first_day_index` serve only as baseline; `history_days` is how many days of
    history precede day 0 (None: no history at all). One assessment per charted day."""
    out: list[Assessment | None] = []
    for day in range(first_day_index, len(counts)):
        history = None if history_days is None else history_days + day
        if history is None or history < params.min_history_days:
            out.append(None)
            continue
        start = max(0, day - min(params.baseline_days, history))
        out.append(assess(counts[day], counts[start:day], 24, params))
    return out

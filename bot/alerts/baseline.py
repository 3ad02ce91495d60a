"""The same-weekday baseline of one scope's daily spend, and whether a day lies far above it. Pure numbers.

A day is compared with the same weekday of up to eight previous weeks, each taken as its share of the week it
starts, and scaled by the most recent week's level and the weeks' trend:

    expected = median(share of weekday in week k) × level × weekly growth (Theil–Sen, clipped)

(the level: the median of the last three weeks' mean day, each carried forward by the trend)

so a quiet Sunday is compared with Sundays, a busy Monday with Mondays, and a scope that grows 5 % a week is not
an anomaly every Monday. The day-to-day noise is estimated from the same weeks (the MAD of every day's share
around its weekday's usual share), which holds up against the very spikes and level shifts it must find; the
uncertainty of a median of few weeks is added to it. The day fires when it is at least `Z_FIRE` of those
deviations above the expected day and at least the minimum dollars above it.

Floats live only inside this statistic (logs, medians of logs); amounts in and out are integer nano-dollars, and
every displayed amount is computed from those integers, never from a float.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from bot.money import NANO_PER_USD

MIN_HISTORY_DAYS = 14  # two of each weekday: fewer and a scope stays silent
MAX_WEEKS = 8
LEVEL_WEEKS = 3
Z_FIRE = 3.5  # chosen on the corpus (tests/benchmarks/bench_anomaly.py): 3.0 doubles the false alerts, 4.0 finds less
SIGMA_FLOOR = 0.05  # no spend is steadier than ±5 % a day, whatever a short history suggests
MAX_WEEKLY_GROWTH = 0.2  # log growth per week the trend may extrapolate (about ±22 %)
_EPS = float(NANO_PER_USD)  # $1 added before logs: a scope of cents does not swing by orders of magnitude
_MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True, slots=True)
class Baseline:
    """What a day of one scope is expected to cost, in nano-dollars, and its typical range."""

    expected: int
    low: int  # the typical range: expected within one deviation either way
    high: int
    weeks: int  # same-weekday samples the baseline rests on
    sigma: float  # the deviation, in log units (statistics only, never displayed as money)


def baseline(history: Sequence[int]) -> Baseline | None:
    """The baseline for the day after `history` (consecutive daily nano amounts, oldest first); None when
    `history` holds fewer than MIN_HISTORY_DAYS days."""
    n = len(history)
    if n < MIN_HISTORY_DAYS:
        return None
    weeks = min(MAX_WEEKS, n // 7)
    means = [sum(history[n - 7 * k : n - 7 * k + 7]) / 7 for k in range(1, weeks + 1)]  # newest week first
    # shares[k][p]: day p of week k against that week's mean day; p = 0 is the evaluated day's weekday
    shares = [
        [math.log((history[n - 7 * k + p] + _EPS) / (means[k - 1] + _EPS)) for p in range(7)]
        for k in range(1, weeks + 1)
    ]
    logs = [math.log(m + _EPS) for m in means]
    growth = median((logs[i] - logs[j]) / (j - i) for i in range(weeks) for j in range(i + 1, weeks))
    growth = max(-MAX_WEEKLY_GROWTH, min(MAX_WEEKLY_GROWTH, growth))
    # the level: the median of the last three weeks, each carried forward by the trend, so one week lowered by a
    # holiday or raised by a spike does not move tomorrow's expectation
    level = median(logs[k] + (k + 1) * growth for k in range(min(LEVEL_WEEKS, weeks)))
    centre = median(row[0] for row in shares) + level
    sigma = noise(shares) * math.sqrt(1 + math.pi / 2 / weeks)
    return Baseline(
        expected=_nano(centre),
        low=_nano(centre - sigma),
        high=_nano(centre + sigma),
        weeks=weeks,
        sigma=sigma,
    )


def noise(shares: Sequence[Sequence[float]]) -> float:
    """One day's log deviation from its weekday's usual share of the week: the MAD of every day's share around its
    weekday's median share. A level shift moves whole weeks, so it leaves the shares alone; a spike or a dead day
    moves one share of many, which the MAD ignores. Never below SIGMA_FLOOR."""
    weeks = len(shares)
    residuals = []
    for p in range(7):
        column = [row[p] for row in shares]
        centre = median(column)
        residuals += [v - centre for v in column]
    mad = median(abs(r) for r in residuals)
    # residuals around a median of `weeks` values are smaller than the deviations themselves
    return max(SIGMA_FLOOR, _MAD_TO_SIGMA * mad * math.sqrt(weeks / (weeks - 1)))


def is_anomaly(actual: int, base: Baseline, min_nano: int) -> bool:
    """`actual` lies at least Z_FIRE deviations above the expected day and at least `min_nano` above it."""
    if actual - base.expected < min_nano:
        return False
    return math.log((actual + _EPS) / (base.expected + _EPS)) >= Z_FIRE * base.sigma


def _nano(log_value: float) -> int:
    return max(0, round(math.exp(log_value) - _EPS))

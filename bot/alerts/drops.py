"""Drops to zero (issue 13): a provider whose spend stopped while the others kept going. Pure.

A broken key or a dead pipeline shows as a provider with steady spend (every one of the 7 days before, at least
AISPEND_SPIKE_MIN_USD over them) that then spent nothing, on days the other providers did spend. It is reported
once: a provider alerted for a drop is not alerted again for MAX_RUN_DAYS, the longest run that still fires.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import ClassVar

from bot.money import usd_to_nano

DROP = "drop"
STEADY_DAYS = 7
MAX_RUN_DAYS = 7  # a provider silent for longer was reported then, or stopped before aispend watched it


@dataclass(frozen=True, slots=True)
class DropAlert:
    kind: ClassVar[str] = DROP
    provider: str
    first_zero: date  # the first day without spend
    last_zero: date  # the evaluated day
    before: int  # nano spent over the STEADY_DAYS before the first zero day

    @property
    def scope(self) -> str:
        return f"provider:{self.provider}"

    @property
    def title(self) -> str:
        return f"provider {self.provider}"


@dataclass(frozen=True, slots=True)
class DropReport:
    day: date
    alerts: tuple[DropAlert, ...]
    min_usd: Decimal

    def only(self, scopes: set[str]) -> DropReport:
        return replace(self, alerts=tuple(a for a in self.alerts if a.scope in scopes))


def zero_run_start(series: Sequence[int], others: Sequence[int], min_nano: int) -> int | None:
    """Index in `series` (daily nano, ending at the evaluated day) of the first day of a drop to zero, or None.

    `others`: the other providers' daily total on the same days. The run must be at most MAX_RUN_DAYS long,
    follow STEADY_DAYS of spend on every day summing to at least `min_nano`, and the others spent on each day of it.
    """
    n = len(series)
    run = 0
    while run < n and series[n - 1 - run] == 0:
        run += 1
    if run == 0 or run > MAX_RUN_DAYS:
        return None
    start = n - run
    steady = series[start - STEADY_DAYS : start] if start >= STEADY_DAYS else []
    if len(steady) < STEADY_DAYS or min(steady) <= 0 or sum(steady) < min_nano:
        return None
    if any(o <= 0 for o in others[start:]):
        return None
    return start


def evaluate_drops(
    provider_days: Mapping[tuple[date, str], int], *, day: date, providers: Sequence[str], min_usd: Decimal
) -> DropReport:
    """Each provider among `providers` (the ones synced over the days read) whose spend dropped to zero by `day`."""
    first = day - timedelta(days=STEADY_DAYS + MAX_RUN_DAYS - 1)
    days = [first + timedelta(days=i) for i in range(STEADY_DAYS + MAX_RUN_DAYS)]
    min_nano = usd_to_nano(min_usd)
    alerts = []
    for provider in sorted(providers):
        series = [provider_days.get((d, provider), 0) for d in days]
        others = [sum(provider_days.get((d, p), 0) for p in providers if p != provider) for d in days]
        start = zero_run_start(series, others, min_nano)
        if start is not None:
            alerts.append(DropAlert(provider, days[start], day, sum(series[start - STEADY_DAYS : start])))
    return DropReport(day, tuple(alerts), min_usd)

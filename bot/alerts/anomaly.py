"""The daily anomaly rule (issue 13), a pure function from daily spend to findings.

Each complete day, the organization, each provider, workspace/project and model is compared with its
same-weekday baseline (bot.alerts.baseline). A scope fires when the day is far above it and at least
AISPEND_SPIKE_MIN_USD above it; a scope with fewer than 14 days of history (counted from its provider's first
synced day and its own first spend) stays silent and is named in `short`, so `/aispend alerts` can say why.
Drivers are the (provider, workspace, model) combinations, each against its own typical same weekday.

Amounts are integer nano-dollars; only bot.alerts.baseline uses floats, inside its statistics.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import ClassVar

from bot.alerts.baseline import MAX_WEEKS, MIN_HISTORY_DAYS, Baseline, baseline, is_anomaly
from bot.alerts.drivers import leading
from bot.alerts.rules import LEVELS, Combo, Driver, ScopeChange, model_name, workspace_name
from bot.money import usd_to_nano
from bot.records import Label

ANOMALY = "anomaly"
WINDOW_DAYS = 7 * MAX_WEEKS  # history read before the evaluated day
REALERT_DAYS = 7  # a scope that fired is not alerted again for a week: a level shift is one event, not seven

ScopeKey = tuple[str, str, str]  # (level, provider, key)


@dataclass(frozen=True, slots=True)
class AnomalyAlert:
    kind: ClassVar[str] = ANOMALY
    change: ScopeChange  # current: the day's spend; previous: the expected day
    low: int  # the typical range of that weekday
    high: int
    weeks: int
    drivers: tuple[Driver, ...]  # current: the day; previous: the combination's typical same weekday
    other: int

    @property
    def scope(self) -> str:
        return self.change.scope

    @property
    def mute_scope(self) -> str:
        return self.scope


@dataclass(frozen=True, slots=True)
class AnomalyReport:
    day: date
    alerts: tuple[AnomalyAlert, ...]  # organization first (when it fired), then by dollars above expected
    min_usd: Decimal
    short: tuple[str, ...] = ()  # titles of scopes with spend that day but under 14 days of history

    @property
    def key(self) -> str:
        return self.day.isoformat()

    def only(self, scopes: set[str]) -> AnomalyReport:
        return replace(self, alerts=tuple(a for a in self.alerts if a.scope in scopes))


def window(day: date) -> tuple[date, date]:
    """The days an evaluation of `day` reads: its history and the day itself."""
    return day - timedelta(days=WINDOW_DAYS), day


def day_anomaly(history: Sequence[int], actual: int, min_nano: int) -> Baseline | None:
    """The baseline `actual` broke, or None: the one test the bot and the corpus benchmark both run."""
    base = baseline(history)
    return base if base is not None and is_anomaly(actual, base, min_nano) else None


def evaluate_anomalies(
    daily: Mapping[date, Mapping[Combo, int]],
    *,
    day: date,
    labels: Mapping[tuple[str, str], Label],
    starts: Mapping[str, date],
    min_usd: Decimal,
) -> AnomalyReport:
    """Every scope whose `day` lies far above its baseline. `daily` holds the window's days; `starts` each
    provider's first synced day (before it, missing data is not zero)."""
    first, _ = window(day)
    days = [first + timedelta(days=i) for i in range(WINDOW_DAYS + 1)]
    combos = sorted({c for d in days for c in daily.get(d, {}) if c[0] in starts})
    series = {c: [daily.get(d, {}).get(c, 0) for d in days] for c in combos}
    groups: dict[ScopeKey, list[Combo]] = defaultdict(list)
    for c in combos:
        provider, workspace_id, model = c
        for key in (("org", "", ""), ("provider", provider, ""), ("workspace", provider, workspace_id)):
            groups[key].append(c)
        groups[("model", provider, model)].append(c)
    min_nano = usd_to_nano(min_usd)
    alerts, short = [], []
    for key, members in sorted(groups.items(), key=lambda kv: (LEVELS.index(kv[0][0]), kv[0])):
        totals = [sum(series[c][i] for c in members) for i in range(len(days))]
        begin = _history_start(totals, days, {c[0] for c in members}, starts)
        history, actual = totals[begin:-1], totals[-1]
        change = _change(key, labels, actual, 0)
        if len(history) < MIN_HISTORY_DAYS:
            if actual > 0:
                short.append(change.title)
            continue
        base = day_anomaly(history, actual, min_nano)
        if base is None:
            continue
        drivers = [_driver(c, series[c][begin:], base.weeks, labels) for c in members]
        top, other = leading(drivers, actual - base.expected)
        alerts.append(
            AnomalyAlert(replace(change, previous=base.expected), base.low, base.high, base.weeks, top, other)
        )
    return AnomalyReport(day, ranked(alerts), min_usd, tuple(short))


def ranked(alerts: Iterable[AnomalyAlert]) -> tuple[AnomalyAlert, ...]:
    """The organization first (when it fired), then by dollars above the expected day."""
    return tuple(sorted(alerts, key=_rank))


def _rank(a: AnomalyAlert) -> tuple[bool, int, int, str]:
    return (a.change.level != "org", -a.change.increase, LEVELS.index(a.change.level), a.scope)


def _history_start(totals: list[int], days: list[date], providers: set[str], starts: Mapping[str, date]) -> int:
    """Index of the scope's first day of history: its providers all synced, and its own first spend."""
    synced = max(starts[p] for p in providers)
    begin = next((i for i, d in enumerate(days) if d >= synced), len(days) - 1)
    spent = next((i for i, v in enumerate(totals) if v != 0), len(days) - 1)
    return max(begin, spent)


def _change(key: ScopeKey, labels: Mapping[tuple[str, str], Label], current: int, previous: int) -> ScopeChange:
    level, provider, name_key = key
    if level == "org":
        return ScopeChange("org", "org", "", "organization", False, current, previous)
    if level == "provider":
        return ScopeChange(f"provider:{provider}", level, provider, provider, False, current, previous)
    if level == "workspace":
        name, archived = workspace_name(provider, name_key, labels)
        return ScopeChange(f"workspace:{provider}:{name_key}", level, provider, name, archived, current, previous)
    return ScopeChange(f"model:{provider}:{name_key}", level, provider, model_name(name_key), False, current, previous)


def _driver(combo: Combo, values: list[int], weeks: int, labels: Mapping[tuple[str, str], Label]) -> Driver:
    """The combination's day against the median of its same weekdays in the baseline (an exact integer)."""
    provider, workspace_id, model = combo
    name, archived = workspace_name(provider, workspace_id, labels)
    n = len(values) - 1
    samples = sorted(values[n - 7 * k] for k in range(1, weeks + 1))
    typical = samples[(len(samples) - 1) // 2]  # the lower median: an amount that was actually spent
    return Driver(provider, workspace_id, name, archived, model, values[-1], typical)

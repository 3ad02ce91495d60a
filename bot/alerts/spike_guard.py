"""The weekly spike's quiet-week guard, an extension of CONTRACT §5's spike rule. Pure.

The contract compares the last 7 complete days with the 7 before. When the 7 before were themselves unusually quiet
(a public holiday, a pipeline that stopped for a few days), that comparison measures the recovery, not a spike: the
week after Easter would fire for most scopes. So, for a scope the contract's rule fired for (a new spender is left
alone):

- its *typical week* is what the daily rule expects of each day, summed: every day's same-weekday baseline
  (bot.alerts.baseline), built from the days before it;
- the week before counts as quiet when it fell at least QUIET_PCT % and AISPEND_SPIKE_MIN_USD short of its own
  typical week;
- then the scope fires only if this week is also at least AISPEND_SPIKE_PCT % and AISPEND_SPIKE_MIN_USD above its
  own typical week. The alert carries that typical week (`SpikeAlert.typical`), so the message says what it was
  compared with; a scope held back is named in `SpikeReport.held`, so the notes can say why it did not fire.

A scope whose history does not give every one of those 14 days a baseline (under 14 days before the week before,
counted like the daily rule counts them) keeps the plain rule. Amounts are integer nano-dollars; floats live only
inside the baseline's statistics.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta

from bot.alerts.anomaly import WINDOW_DAYS, history_start
from bot.alerts.baseline import baseline
from bot.alerts.rules import Combo, SpikeReport, is_spike
from bot.money import usd_to_nano

QUIET_PCT = 10  # well under the spike threshold (25 % by default): one holiday takes 10–20 % off a week
HISTORY_DAYS = WINDOW_DAYS + 14  # what the guard reads: a full baseline for every day of both weeks

Daily = Mapping[date, Mapping[Combo, int]]


def history_window(report: SpikeReport) -> tuple[date, date]:
    """The days `guard_spikes` reads for `report`: the two weeks and the baseline history before them."""
    return report.week.end - timedelta(days=HISTORY_DAYS - 1), report.week.end


def needs_guard(report: SpikeReport) -> bool:
    """Whether any alert could be changed by the guard (so the store need not be read when none can)."""
    return any(not a.new_spender for a in report.alerts)


def guard_spikes(report: SpikeReport, daily: Daily, starts: Mapping[str, date]) -> SpikeReport:
    """`report` with each fired scope whose week before was quiet judged against its typical week instead.

    `daily` holds the days of `history_window`, `starts` each provider's first synced day (before it, missing data
    is not zero)."""
    first, end = history_window(report)
    days = [first + timedelta(days=i) for i in range((end - first).days + 1)]
    combos = sorted({c for d in days for c in daily.get(d, {}) if c[0] in starts and c[0] not in report.excluded})
    min_nano = usd_to_nano(report.min_usd)
    alerts, held = [], []
    for alert in report.alerts:
        members = [c for c in combos if _in_scope(alert.scope, c)]
        weeks = None if alert.new_spender or not members else typical_weeks(daily, days, members, starts)
        if weeks is None or not _short_by(alert.change.previous, weeks[0], min_nano):
            alerts.append(alert)
            continue
        if is_spike(replace(alert.change, previous=weeks[1]), report.pct, min_nano):
            alerts.append(replace(alert, typical=weeks[1], typical_previous=weeks[0]))
        else:
            held.append(alert.change.title)
    return replace(report, alerts=tuple(alerts), held=tuple(held))


def typical_weeks(
    daily: Daily, days: Sequence[date], members: Sequence[Combo], starts: Mapping[str, date]
) -> tuple[int, int] | None:
    """The typical week before and the typical last week of the scope made of `members`, or None when a day of
    either has no baseline."""
    totals = [sum(daily.get(d, {}).get(c, 0) for c in members) for d in days]
    begin = history_start(totals, list(days), {c[0] for c in members}, starts)
    expected = []
    for i in range(len(days) - 14, len(days)):
        base = baseline(totals[max(begin, i - WINDOW_DAYS) : i]) if i > begin else None
        if base is None:
            return None
        expected.append(base.expected)
    return sum(expected[:7]), sum(expected[7:])


def _in_scope(scope: str, combo: Combo) -> bool:
    provider, workspace_id, model = combo
    level, _, rest = scope.partition(":")
    if level == "org":
        return True
    if level == "provider":
        return rest == provider
    if level == "workspace":
        return rest == f"{provider}:{workspace_id}"
    return rest == f"{provider}:{model}"  # model


def _short_by(actual: int, typical: int, min_nano: int) -> bool:
    """`actual` fell at least QUIET_PCT % and `min_nano` short of `typical` (exact)."""
    shortfall = typical - actual
    return shortfall >= min_nano and shortfall * 100 >= QUIET_PCT * typical

"""Spenders in the daily anomaly rule (issue 13): each API key (and person, where the channel may show them) is a
scope judged like the others, on its own daily series (bot.alerts.anomaly.day_anomaly).

A day whose per-spender figures were not fetched is missing, not zero: a spender's history starts after the last
unfetched day of its provider and kind. Billed and token-share dollars are separate lines (a spender's basis can
change with the provider's data), each judged only against itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from bot.alerts.anomaly import AnomalyAlert, day_anomaly
from bot.alerts.baseline import MIN_HISTORY_DAYS
from bot.alerts.rules import ScopeChange
from bot.records import BILLED, KEY, TOKEN_SHARE, USER
from bot.spenders import Labels, SpenderRows, fetched_days, kind_rows, spender_line, split_by_tokens

Line = tuple[str, str, str]  # (provider, spender, basis)


def daily_amounts(rows: SpenderRows, days: Sequence[date], kind: str) -> dict[Line, dict[date, int]]:
    """Each spender line's dollars per day, as the keys/users report counts them (billed, else token share)."""
    out: dict[Line, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    basis = {(d, p): b[0] for (d, p, k), b in rows.basis.items() if k == kind}
    for (d, p, k, s, _w, _m), nano in rows.costs.items():
        if k == kind and basis.get((d, p)) == BILLED:
            out[(p, s, BILLED)][d] += nano
    for (d, p, w, m), tokens in kind_rows(rows, days, kind).shares.items():
        for spender, nano in split_by_tokens(rows.scopes.get((d, p, w, m), 0), tokens).items():
            out[(p, spender, TOKEN_SHARE)][d] += nano
    return out


def spender_anomalies(
    rows: SpenderRows, labels: Labels, days: Sequence[date], *, min_usd_nano: int, people: bool
) -> tuple[list[AnomalyAlert], list[str]]:
    """The spender scopes whose last day of `days` is far above their baseline, and the titles of those too new."""
    alerts, short = [], []
    for kind in (KEY, USER) if people else (KEY,):
        amounts = daily_amounts(rows, days, kind)
        fetched_by = {p: fetched_days(rows, p, kind) for p in {line[0] for line in amounts}}
        for line in sorted(amounts):
            provider, spender, basis = line
            fetched = fetched_by[provider]
            if days[-1] not in fetched:
                continue  # the evaluated day has no per-spender figures: nothing to judge
            begin = _history_start(days, fetched, amounts[line])
            series = [amounts[line].get(d, 0) for d in days[begin:]]
            history, actual = series[:-1], series[-1]
            name = spender_line(provider, kind, spender, basis, 0, labels, people=False, emails=False).name
            scope = f"{kind}:{provider}:{spender}" + (":share" if basis == TOKEN_SHARE else "")
            change = ScopeChange(scope, kind, provider, name, False, actual, 0, basis)
            if len(history) < MIN_HISTORY_DAYS:
                if actual > 0:
                    short.append(change.title)
                continue
            base = day_anomaly(history, actual, min_usd_nano)
            if base is not None:
                expected = ScopeChange(scope, kind, provider, name, False, actual, base.expected, basis)
                alerts.append(AnomalyAlert(expected, base.low, base.high, base.weeks, (), 0))
    return alerts, short


def _history_start(days: Sequence[date], fetched: set[date], amounts: dict[date, int]) -> int:
    """After the last day that was not fetched, and from the line's first spend."""
    begin = 0
    for i, d in enumerate(days):
        if d not in fetched:
            begin = i + 1
    spent = next((i for i in range(begin, len(days)) if amounts.get(days[i], 0) != 0), len(days) - 1)
    return max(begin, spent)

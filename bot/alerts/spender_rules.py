"""Spenders in the spike rule (issue 11): the keys (and people, where the channel may show them) whose spend rose
most become drivers of the spike message, and a key or user with at least AISPEND_SPIKE_MIN_USD this week and no
spend the week before is a new spender that fires with the other scopes, in the same one message per kind.

Only a provider and kind whose per-spender figures were fetched for all fourteen days take part: a week that was
not fetched is missing data, not zero, and would make every key look new. Billed and token-share dollars are
compared only with the same basis; "new" means no spend on any basis the week before.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta

from bot.alerts.drivers import matters
from bot.alerts.rules import (
    LEVELS,
    TOP_DRIVERS,
    Driver,
    ScopeChange,
    SpikeAlert,
    SpikeReport,
    model_name,
    workspace_name,
)
from bot.alerts.spender_drivers import SpenderDriver
from bot.money import usd_to_nano
from bot.records import KEY, TOKEN_SHARE, USER, Label
from bot.spenders import Amounts, Labels, SpenderRows, fetched_days, spender_amounts, spender_line

Line = tuple[str, str, str]  # (provider, spender, basis)


def _days(start: date, end: date) -> set[date]:
    return {start + timedelta(days=i) for i in range((end - start).days + 1)}


def add_spenders(
    report: SpikeReport,
    rows: SpenderRows,
    spender_labels: Labels,
    labels: Mapping[tuple[str, str], Label],
    *,
    people: bool,
) -> SpikeReport:
    """`report` with its top spender drivers and the new-spender scopes; `rows` cover both weeks.

    `people`: whether user-level figures may be posted (AISPEND_SHOW_PEOPLE_IN_CHANNEL); keys always may."""
    week = report.week
    current_days, previous_days = _days(week.start, week.end), _days(week.prev_start, week.prev_end)
    min_nano = usd_to_nano(report.min_usd)
    drivers: list[SpenderDriver] = []
    alerts = list(report.alerts)
    for kind in (KEY, USER) if people else (KEY,):
        now, before = spender_amounts(rows, current_days, kind), spender_amounts(rows, previous_days, kind)
        complete = _complete(rows, kind, current_days | previous_days, set(report.excluded))
        cur, prev = _lines(now, complete), _lines(before, complete)
        any_prev: dict[tuple[str, str], int] = defaultdict(int)
        for (p, s, _b), nano in prev.items():
            any_prev[(p, s)] += nano
        for line in sorted(set(cur) | set(prev)):
            p, s, b = line
            name = spender_line(p, kind, s, b, 0, spender_labels, people=False, emails=False).name
            is_new = any_prev[(p, s)] == 0 and cur.get(line, 0) > 0
            groups = _groups(now, line)
            where = _where(p, groups, labels)
            drivers.append(SpenderDriver(p, kind, s, name, b, where, cur.get(line, 0), prev.get(line, 0), is_new))
            if is_new and cur[line] >= min_nano:
                alerts.append(_new_spender(report, kind, line, name, cur[line], groups, labels))
    rising = sorted(
        (d for d in drivers if d.contribution > 0 and matters(d.contribution, report.org.increase)),
        key=lambda d: (-d.contribution, d.label, d.basis),
    )
    alerts.sort(key=lambda a: (a.change.level != "org", -a.change.increase, LEVELS.index(a.change.level), a.scope))
    return replace(report, alerts=tuple(alerts), spenders=tuple(rising[:TOP_DRIVERS]))


def _complete(rows: SpenderRows, kind: str, days: set[date], excluded: set[str]) -> set[str]:
    providers = {p for (_, p, k) in rows.basis if k == kind} - excluded
    return {p for p in providers if days <= fetched_days(rows, p, kind)}


def _lines(amounts: Amounts, providers: set[str]) -> dict[Line, int]:
    out: dict[Line, int] = defaultdict(int)
    for (p, s, b, _w, _m), nano in amounts.items():
        if p in providers:
            out[(p, s, b)] += nano
    return dict(out)


def _groups(amounts: Amounts, line: Line) -> list[tuple[str, str, int]]:
    """(workspace_id, model, nano) of one spender line this week, largest first."""
    found = [(w, m, nano) for (p, s, b, w, m), nano in amounts.items() if (p, s, b) == line and nano > 0]
    return sorted(found, key=lambda g: (-g[2], g[0], g[1]))


def _where(provider: str, groups: list[tuple[str, str, int]], labels: Mapping[tuple[str, str], Label]) -> str:
    if not groups:
        return "no spend this week"
    workspace_id, model, _ = groups[0]
    return f"{workspace_name(provider, workspace_id, labels)[0]} / {model_name(model)}"


def _new_spender(
    report: SpikeReport,
    kind: str,
    line: Line,
    name: str,
    current: int,
    groups: list[tuple[str, str, int]],
    labels: Mapping[tuple[str, str], Label],
) -> SpikeAlert:
    provider, spender, basis = line
    scope = f"{kind}:{provider}:{spender}" + (":share" if basis == TOKEN_SHARE else "")
    change = ScopeChange(scope, kind, provider, name, False, current, 0, basis)
    top = []
    for workspace_id, model, nano in [g for g in groups if matters(g[2], current)][:TOP_DRIVERS]:
        workspace, archived = workspace_name(provider, workspace_id, labels)
        top.append(Driver(provider, workspace_id, workspace, archived, model, nano, 0))
    return SpikeAlert(report.week.key, change, True, tuple(top), current - sum(d.current for d in top))

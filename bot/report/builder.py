"""The pure report builder: `build_report` from `ReportInputs`, with its lines, finality, freshness and budget."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TypeVar

from bot.freshness import Unfinished, never_fetched_notes, not_final_notes, unfinished_days
from bot.money import fmt_usd, nano_to_usd, pct_change
from bot.periods import Period
from bot.projection import MonthProjection, project_month
from bot.records import NO_WORKSPACE, Label
from bot.report.model import (
    DEFAULT_WORKSPACE_NAMES,
    BudgetStatus,
    DayLine,
    DayProvider,
    FreshnessLine,
    ModelLine,
    Report,
    ReportInputs,
    WorkspaceLine,
)
from bot.report.notes import _cost_gap_notes, _notes
from bot.report.status import _provider_lines

_PCT = Decimal("0.01")
_RATIO = Decimal("0.0001")


def report_today(period: Period) -> date:
    return period.end if period.includes_partial_today else period.end + timedelta(days=1)


def build_report(inputs: ReportInputs, period: Period, *, now: datetime, budget: Decimal | None) -> Report:
    """The report for `period` from the store's numbers. Pure: no I/O, no clock."""
    total_nano = sum(inputs.daily.values())
    previous_nano = sum(inputs.previous_daily.values())
    total, previous = nano_to_usd(total_nano), nano_to_usd(previous_nano)
    providers = _provider_lines(inputs, now)
    listed = [p.provider for p in providers if p.status != "not_configured"]
    today = report_today(period)
    projection, projection_note = project_month(
        inputs.month_daily,
        inputs.previous_month_daily,
        inputs.fetches,
        today=today,
        now=now,
        configured=inputs.configured,
    )
    tokens = inputs.tokens
    ratio = None if tokens.input == 0 else (Decimal(tokens.cache_read) / tokens.input).quantize(_RATIO, ROUND_HALF_EVEN)

    notes = _notes(inputs, period, providers, today, now)
    final, previous_final, unfinished = _finality(inputs, period, today)
    comparison = {u.day for u in unfinished if period.prev_start <= u.day <= period.prev_end}
    notes += not_final_notes(unfinished, today=today, comparison=comparison)
    notes += never_fetched_notes(unfinished, inputs.fetches, today=today, comparison=comparison)
    notes += _cost_gap_notes(inputs.cost_gaps, period)
    if projection_note and (period.name == "month" or (budget is not None and budget > 0)):
        notes.append(projection_note)
    parts = {"models": inputs.models.values(), "workspaces": inputs.workspaces.values()}
    for what, values in parts.items():
        if sum(values) != total_nano:
            notes.append(
                f"Spend by {what} ({_usd_text(sum(values))}) does not add up to the total ({_usd_text(total_nano)}); "
                "run `aispend sync` to rebuild the stored figures."
            )
    return Report(
        period=period,
        previous_total=previous,
        total=total,
        change_pct=pct_change(total, previous),
        providers=providers,
        models=_sorted(
            (ModelLine(p, m, nano_to_usd(n)) for (p, m), n in inputs.models.items()), lambda m: (m.name, m.provider)
        ),
        workspaces=_sorted(
            (_workspace_line(p, w, n, inputs.labels) for (p, w), n in inputs.workspaces.items()),
            lambda w: (w.name, w.provider),
        ),
        daily=_daily(inputs.daily, period, listed),
        tokens=tokens,
        cache_hit_ratio=ratio,
        notes=notes,
        month=projection if period.name == "month" else None,
        budget=_budget(budget, projection),
        generated_at=now,
        final=final,
        previous_final=previous_final,
        freshness=_freshness(inputs, listed),
        not_final=tuple(sorted({u.day for u in unfinished if u.fetched_at is not None})),
    )


_Line = TypeVar("_Line", ModelLine, WorkspaceLine)


def _sorted(lines: Iterable[_Line], name: Callable[[_Line], tuple[str, str]]) -> list[_Line]:
    return sorted(lines, key=lambda line: (-line.total, *name(line)))


def _usd_text(nano: int) -> str:
    return fmt_usd(nano_to_usd(nano))


def _workspace_line(
    provider: str, workspace_id: str, nano: int, labels: Mapping[tuple[str, str], Label]
) -> WorkspaceLine:
    if workspace_id == NO_WORKSPACE:
        return WorkspaceLine(provider, None, DEFAULT_WORKSPACE_NAMES.get(provider, "Default"), False, nano_to_usd(nano))
    label = labels.get((provider, workspace_id))
    if label is None:
        return WorkspaceLine(provider, workspace_id, workspace_id, False, nano_to_usd(nano))
    return WorkspaceLine(provider, workspace_id, label.name or workspace_id, label.archived, nano_to_usd(nano))


def _daily(daily: DayProvider, period: Period, providers: Sequence[str]) -> list[DayLine]:
    # providers with spend on each day, gathered once: scanning `daily` per day was quadratic (issue 6)
    present: dict[date, set[str]] = defaultdict(set)
    for d, p in daily:
        present[d].add(p)
    lines = []
    for day in period.dates():
        by_provider = {p: daily.get((day, p), 0) for p in sorted({*providers, *present.get(day, ())})}
        lines.append(
            DayLine(day, nano_to_usd(sum(by_provider.values())), {p: nano_to_usd(n) for p, n in by_provider.items()})
        )
    return lines


def _finality(inputs: ReportInputs, period: Period, today: date) -> tuple[bool, bool, list[Unfinished]]:
    """Whether the period and its comparison are final, and their unfinished days other than a partial today."""
    fetches, configured = inputs.fetches, inputs.configured
    current = unfinished_days(fetches, period.start, period.end, configured=configured)
    previous = unfinished_days(fetches, period.prev_start, period.prev_end, configured=configured)
    # a configured provider with nothing synced yet has none of these days
    unsynced = any(p not in fetches for p in configured)
    final = not (period.includes_partial_today or current or unsynced)
    previous_final = not (previous or unsynced)
    shown = [u for u in current if not (period.includes_partial_today and u.day == today)]
    seen = {(u.day, u.provider) for u in shown}
    return final, previous_final, shown + [u for u in previous if (u.day, u.provider) not in seen]


def _freshness(inputs: ReportInputs, listed: Sequence[str]) -> tuple[FreshnessLine, ...]:
    lines = []
    for provider in sorted(set(listed) | set(inputs.fetches)):
        info = inputs.fetches.get(provider)
        if info is None:
            lines.append(FreshnessLine(provider, None, None))
        else:
            lines.append(FreshnessLine(provider, info.complete_through, info.fetched_at))
    return tuple(lines)


def _budget(budget: Decimal | None, projection: MonthProjection) -> BudgetStatus | None:
    if budget is None or budget <= 0:
        return None
    mtd, projected = projection.month_to_date, projection.projected_total
    projected_pct = None if projected is None else _pct(projected, budget)
    return BudgetStatus(budget, mtd, _pct(mtd, budget), projected, projected_pct)


def _pct(part: Decimal, whole: Decimal) -> Decimal:
    return (part * 100 / whole).quantize(_PCT, ROUND_HALF_EVEN)

"""Loading a report from the store: the `ReportStore` read protocol and `load_report` (no network)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from bot.caps import forecast_caps
from bot.claude_code import load_claude_code
from bot.estimates import build_estimates, unpriced_kinds
from bot.freshness import ProviderFetches
from bot.periods import Period
from bot.projection import previous_month
from bot.records import (
    ClaudeCodeActorSums,
    ClaudeCodeStatus,
    Label,
    PricedUsage,
    SpendCap,
    SpenderLabel,
    SyncState,
    TokenTotals,
)
from bot.report.builder import build_report, report_today
from bot.report.model import KNOWN_PROVIDERS, UNBILLED_TIERS, Report, ReportInputs
from bot.report.usage import build_usage, unavailable_notes, unpriced_usage
from bot.usage_kinds import KindSum


class ReportStore(Protocol):
    """The read side of bot.store.Store that the report uses."""

    def daily_totals(self, start: date, end: date) -> dict[tuple[date, str], int]: ...
    def model_totals(self, start: date, end: date) -> dict[tuple[str, str], int]: ...
    def workspace_totals(self, start: date, end: date) -> dict[tuple[str, str], int]: ...
    def token_totals(self, start: date, end: date) -> TokenTotals: ...
    def tier_usage_days(self, start: date, end: date, tiers: tuple[str, ...] = ...) -> list[tuple[date, str]]: ...
    def labels(self) -> dict[tuple[str, str], Label]: ...
    def cost_gaps(self, start: date, end: date) -> dict[tuple[date, str], int]: ...
    def sync_states(self) -> dict[str, SyncState]: ...
    def data_range(self, provider: str) -> tuple[date, date] | None: ...
    def fetches(self, start: date, end: date) -> dict[str, ProviderFetches]: ...
    def claude_code_actors(self, start: date, end: date) -> list[ClaudeCodeActorSums]: ...
    def claude_code_statuses(self) -> dict[str, ClaudeCodeStatus]: ...
    def spend_caps(self) -> list[SpendCap]: ...
    def spend_cap_notes(self) -> dict[str, str]: ...
    def workspace_daily(self, provider: str, workspace_id: str, start: date, end: date) -> dict[date, int]: ...
    def spender_labels(self) -> dict[tuple[str, str, str], SpenderLabel]: ...
    def usage_kind_sums(self, start: date, end: date) -> list[KindSum]: ...
    def usage_kinds_unavailable(self) -> dict[tuple[str, str], str]: ...
    def priced_usage(self, start: date, end: date) -> list[PricedUsage]: ...
    def spender_labels_of_kind(self, provider: str, kind: str) -> dict[tuple[str, str, str], SpenderLabel]: ...


def load_report(
    store: ReportStore,
    period: Period,
    *,
    now: datetime,
    configured: Sequence[str],
    budget_usd: Decimal | None,
) -> Report:
    """Query the store for `period` and build the report (no network)."""
    today = report_today(period)
    states = store.sync_states()
    providers = sorted(set(KNOWN_PROVIDERS) | set(configured) | set(states))
    prev_first, prev_last = previous_month(today)
    inputs = ReportInputs(
        daily=store.daily_totals(period.start, period.end),
        previous_daily=store.daily_totals(period.prev_start, period.prev_end),
        month_daily=store.daily_totals(today.replace(day=1), today),
        models=store.model_totals(period.start, period.end),
        workspaces=store.workspace_totals(period.start, period.end),
        tokens=store.token_totals(period.start, period.end),
        tier_days=store.tier_usage_days(period.start, period.end, UNBILLED_TIERS),
        labels=store.labels(),
        sync_states=states,
        data_ranges={p: store.data_range(p) for p in providers},
        configured=tuple(configured),
        previous_month_daily=store.daily_totals(prev_first, prev_last),
        fetches=store.fetches(min(period.prev_start, prev_first), max(period.end, today)),
        cost_gaps=store.cost_gaps(min(period.prev_start, period.start), period.end),
    )
    report = build_report(inputs, period, now=now, budget=budget_usd)
    usage = build_usage(store.usage_kind_sums(period.start, period.end))
    notes = [*report.notes, *unavailable_notes(store.usage_kinds_unavailable())]
    caps = tuple(forecast_caps(store, today=today, now=now))
    cap_notes = tuple(store.spend_cap_notes().values())
    # usage at list price where the bill has no figure yet: apart from every total (bot.estimates)
    estimates = build_estimates(
        store.priced_usage(period.start, period.end), inputs.daily, period.start, period.end, today=today
    )
    # the estimated days' usage of kinds no price exists for: listed as unpriced, never left out silently
    estimated = {e.day for e in estimates.lines} | {u.day for u in estimates.unpriced}
    estimated_days = sorted(estimated | ({today} if period.start <= today <= period.end else set()))
    kinds = {d: unpriced_usage(store.usage_kind_sums(d, d)) for d in estimated_days}
    missing = unpriced_kinds(kinds, inputs.daily, today=today)
    if missing:
        estimates = dataclasses.replace(estimates, unpriced=(*estimates.unpriced, *missing))
    return dataclasses.replace(
        report,
        claude_code=load_claude_code(store, period),
        usage=usage,
        notes=notes,
        caps=caps,
        cap_notes=cap_notes,
        estimates=estimates,
    )

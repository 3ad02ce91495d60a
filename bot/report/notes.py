"""The report's notes: partial today, failed or running syncs, data gaps, unbilled tiers, cost rows with no amount."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from bot.freshness import date_list
from bot.periods import Period
from bot.records import provider_name
from bot.report.model import KEY_VARIABLES, USAGE_DASHBOARDS, ProviderLine, ReportInputs
from bot.report.status import _has_data, _stuck


def _notes(
    inputs: ReportInputs, period: Period, providers: list[ProviderLine], today: date, now: datetime
) -> list[str]:
    notes = []
    if period.includes_partial_today:
        notes.append(f"Today ({today.isoformat()}) is partial: it shows the spend reported so far.")
    for line in sorted(providers, key=lambda p: p.provider):
        name = provider_name(line.provider)
        state = inputs.sync_states.get(line.provider)
        if line.status == "error" and state is not None and state.status == "error":
            if _has_data(line.provider, inputs):
                notes.append(f"{name}: the last sync failed ({line.error}); figures may be stale.")
            else:
                notes.append(f"{name}: the last sync failed ({line.error}); nothing has been synced yet.")
        elif line.status == "error" and state is not None and state.status == "running":
            if _stuck(state, now):
                notes.append(
                    f"{name}: the first sync, started at {state.started_at}, never finished (the bot was probably "
                    "stopped during it), so its spend is not shown; run `aispend sync`."
                )
            else:
                notes.append(f"{name}: the first sync is still running, so its spend is not shown yet.")
        elif state is not None and state.status == "running":
            # never let an unfinished sync pass for a finished one: the figures are those of an earlier sync
            if _stuck(state, now):
                notes.append(
                    f"{name}: a sync started at {state.started_at} never finished (the bot was probably stopped "
                    "during it), so the figures may be out of date; run `aispend sync`."
                )
            else:
                notes.append(
                    f"{name}: a sync started at {state.started_at} is still running; the figures are from before it."
                )
        elif line.status == "error":
            notes.append(f"{name} has never been synced, so its spend is not shown; run `aispend sync`.")
        if line.status != "not_configured" and line.provider not in inputs.configured:
            key = KEY_VARIABLES.get(line.provider, "its admin key")
            notes.append(
                f"{name} has no key configured, so its figures stop at the last sync; set {key} to update them."
            )
        span = inputs.data_ranges.get(line.provider)
        if span is None or line.status == "not_configured":
            continue
        first, last = span
        if period.start < first:
            notes.append(
                f"No data before {first.isoformat()} has been synced for {name}; "
                "this period and the previous one are incomplete."
            )
        elif period.prev_start < first:
            notes.append(
                f"No data before {first.isoformat()} has been synced for {name}; the previous period is incomplete."
            )
        if last < period.end:
            notes.append(
                f"No data after {last.isoformat()} has been synced for {name}; "
                "run `aispend sync` to bring it up to date."
            )
    tier = sorted({d for d, p in inputs.tier_days if p == "anthropic" and period.start <= d <= period.end})
    if tier:
        notes.append(f"Priority Tier usage on {date_list(tier)} is not included in Anthropic's cost report.")
    return notes


def _cost_gap_notes(gaps: Mapping[tuple[date, str], int], period: Period) -> list[str]:
    """One note per provider that sent cost rows without an amount in the period, and one for the comparison
    (its total and the change are understated as well): they were counted as $0."""
    notes = []
    spans = ((period.start, period.end, ""), (period.prev_start, period.prev_end, " (in the comparison)"))
    for start, end, label in spans:
        notes += _gap_notes(gaps, start, end, label)
    return notes


def _gap_notes(gaps: Mapping[tuple[date, str], int], start: date, end: date, label: str) -> list[str]:
    notes = []
    for provider in sorted({p for _, p in gaps}):
        days = sorted(d for d, p in gaps if p == provider and start <= d <= end)
        rows = sum(gaps[(d, provider)] for d in days)
        if not rows:
            continue
        name = provider_name(provider)
        where = USAGE_DASHBOARDS.get(provider, "its usage page")
        plural = rows != 1
        notes.append(
            f"{rows} {name} cost row{'s' if plural else ''} on {date_list(days)}{label} had no amount; "
            f"{'they are' if plural else 'it is'} counted as $0, so {name}'s spend may be understated: "
            f"check the {name} usage dashboard ({where})."
        )
    return notes

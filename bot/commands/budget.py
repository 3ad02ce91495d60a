"""`aispend budget --check [--projected]`: the CI budget gate (bot.budget_gate), from the store alone."""

from __future__ import annotations

from datetime import datetime
from typing import TextIO

from bot.commands import open_existing_store
from bot.config import Settings
from bot.safe_text import terminal


def cmd_budget_check(settings: Settings, projected: bool, out: TextIO, *, now: datetime) -> int:
    from bot.budget import budget_in_force
    from bot.budget_gate import EXIT_UNKNOWN, budget_gate
    from bot.periods import parse_period
    from bot.report import load_report

    store = open_existing_store(settings)
    try:
        budget = budget_in_force(store, settings)
        configured = settings.configured_providers
        month = parse_period("month", now.date())
        report = load_report(store, month, now=now, configured=configured, budget_usd=budget.amount)
    finally:
        store.close()
    # a CI job may hold only AISPEND_DB: then every provider with data must be fresh
    providers = configured or [f.provider for f in report.freshness if f.fetched_at is not None]
    result = budget_gate(report, providers=providers, projected=projected, now=now)
    line = result.line
    if budget.problem and result.code == EXIT_UNKNOWN and budget.amount is None:
        line = f"{line} {budget.problem}"
    out.write(terminal(line) + "\n")
    return result.code

"""`aispend report --reconcile [PERIOD]`: billed vs list-price estimate for each complete day (bot.reconcile)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TextIO

from bot.commands import EXIT_OK, open_existing_store
from bot.config import Settings
from bot.safe_text import terminal


def cmd_reconcile(
    settings: Settings, period_word: str, as_json: bool, as_of: date | None, out: TextIO, *, now: datetime
) -> int:
    from bot.periods import parse_period
    from bot.reconcile import load_reconciliation, reconciliation_json, render_reconciliation
    from bot.report_json import dumps_json

    period = parse_period(period_word, as_of or now.date())
    store = open_existing_store(settings)
    try:
        reconciliation = load_reconciliation(store, period)
    finally:
        store.close()
    if as_json:
        out.write(dumps_json(reconciliation_json(reconciliation)) + "\n")
    else:
        out.write(terminal(render_reconciliation(reconciliation)) + "\n")
    return EXIT_OK

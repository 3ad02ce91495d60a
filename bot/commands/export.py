"""`aispend export`: the billed spend rows of a period, as CSV or JSON Lines, to stdout or a private file."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TextIO

from bot.commands import EXIT_OK, open_existing_store
from bot.config import Settings
from bot.errors import UsageError
from bot.safe_text import terminal


def cmd_export(
    settings: Settings,
    period_word: str,
    grain: str,
    fmt: str,
    output: str | None,
    out: TextIO,
    err: TextIO,
    *,
    now: datetime,
    as_of: date | None = None,
    emails: bool = False,
) -> int:
    """The operator runs the CLI on the bot's machine (they can read the database itself), so people's names are
    shown, as in `aispend report users`; their emails only with --emails."""
    from bot.export_format import write_file, write_rows
    from bot.export_rows import columns, export_rows
    from bot.money import fmt_usd
    from bot.periods import parse_period
    from bot.report import load_report

    if emails and grain != "user":
        raise UsageError("--emails goes with `aispend export --by user` only.")
    period = parse_period(period_word, as_of or now.date())
    store = open_existing_store(settings)
    rows = export_rows(store, period, grain, people=True, emails=emails)
    try:
        # what the report would say about these days (not synced, not final, Priority Tier...), said beside the rows
        notes = load_report(store, period, now=now, configured=settings.configured_providers, budget_usd=None).notes
        cols = columns(grain, emails=emails)
        if output is None:
            write_rows(out, rows, cols, fmt)
        else:
            totals = write_file(Path(output), rows, cols, fmt)
            what = f"{totals.rows} rows ({fmt_usd(totals.usd)} billed, {period.start}..{period.end}, by {grain})"
            print(terminal(f"Wrote {what} to {output}."), file=err)
    finally:
        rows.close()  # a reader that left (`| head`) stops the stream here, before its store closes
        store.close()
    for note in notes:
        print(f"aispend: note: {terminal(note)}", file=err)
    return EXIT_OK

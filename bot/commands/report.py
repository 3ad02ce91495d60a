"""`aispend report`: the spend summary, the keys and users views and the Claude Code view, from the store."""

from __future__ import annotations

import argparse
import dataclasses
from datetime import date, datetime
from typing import TextIO

from bot.commands import EXIT_OK, KEY, SPENDER_VIEWS, USER, open_existing_store
from bot.config import Settings
from bot.safe_text import terminal


def cmd_report(
    settings: Settings, period_word: str, as_json: bool, as_of: date | None, out: TextIO, *, now: datetime
) -> int:
    from bot.budget import budget_in_force
    from bot.periods import parse_period
    from bot.render_spenders import top_spenders
    from bot.render_text import render_text
    from bot.report import load_report
    from bot.report_json import dumps_report
    from bot.spenders import build_spenders

    today = as_of or now.date()
    period = parse_period(period_word, today)
    store = open_existing_store(settings)
    try:
        budget = budget_in_force(store, settings)
        report = load_report(store, period, now=now, configured=settings.configured_providers, budget_usd=budget.amount)
        # the operator runs the CLI on the bot's machine: names of people, never emails, in the JSON
        rows, labels = store.spender_rows(period.start, period.end), store.spender_labels()
        keys, users = (build_spenders(rows, labels, period, kind, people=True) for kind in (KEY, USER))
    finally:
        store.close()
    if budget.problem:
        report = dataclasses.replace(report, notes=[*report.notes, budget.problem])
    # JSON keeps the providers' names as they are (it is data; json escapes every non-ASCII and control character)
    text = dumps_report(report, keys=keys, users=users) if as_json else render_text(report, now) + top_spenders(keys)
    out.write(text + "\n" if as_json else terminal(text) + "\n")
    return EXIT_OK


def cmd_spenders(
    settings: Settings, kind_word: str, period_word: str, args: argparse.Namespace, out: TextIO, *, now: datetime
) -> int:
    """`aispend report keys|users [PERIOD]`: the operator may see people's names; emails only with --emails."""
    from bot.periods import parse_period
    from bot.render_spenders import render_spenders
    from bot.report_json import dumps_json
    from bot.spenders import load_spenders
    from bot.spenders_json import spenders_json

    kind = SPENDER_VIEWS[kind_word]
    period = parse_period(period_word, args.as_of or now.date())
    store = open_existing_store(settings)
    try:
        view = load_spenders(store, period, kind, people=True, emails=args.emails)
    finally:
        store.close()
    if args.json:
        field = "keys" if kind == KEY else "users"
        out.write(dumps_json({field: spenders_json(view), "notes": list(view.notes)}) + "\n")
    else:
        out.write(terminal(render_spenders(view)) + "\n")
    return EXIT_OK


def cmd_claude_code(
    settings: Settings,
    period_word: str,
    as_json: bool,
    as_of: date | None,
    out: TextIO,
    *,
    now: datetime,
    emails: bool = False,
) -> int:
    """`aispend report claude-code [PERIOD]`: per-actor Claude Code activity, Anthropic's estimates apart."""
    from bot.claude_code import claude_code_json, load_claude_code, render_claude_code_text
    from bot.periods import parse_period
    from bot.report_json import dumps_json

    period = parse_period(period_word, as_of or now.date())
    store = open_existing_store(settings)
    try:
        report = load_claude_code(store, period, emails=emails)
    finally:
        store.close()
    # as `report users`: people by name, their emails only with --emails; JSON keeps the providers' text as data
    if as_json:
        p = report.period
        body = {
            "period": {"name": p.name, "start": p.start.isoformat(), "end": p.end.isoformat()},
            "claude_code": claude_code_json(report),
            "notes": list(report.notes),
        }
        out.write(dumps_json(body) + "\n")
    else:
        out.write(terminal(render_claude_code_text(report)) + "\n")
    return EXIT_OK

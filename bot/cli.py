"""The `aispend` command line: the only place that reads the environment, the clock and builds clients.

Heavy imports (Bolt, the scheduler, httpx) happen inside the command that needs them, so `aispend report`
starts fast.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot import __version__
from bot.config import Settings, load_settings
from bot.errors import AispendError, ConfigError, UsageError
from bot.safe_text import terminal

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger("aispend")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
PROVIDER_NAMES = ("anthropic", "openai")
KEY, USER = "key", "user"  # bot.records' spender kinds, without importing it at start-up
SPENDER_VIEWS = {"keys": KEY, "key": KEY, "users": USER, "user": USER}
CLAUDE_CODE_VIEW = "claude-code"


def utc_now() -> datetime:
    """The real clock: the only place aispend reads it; everything below gets this function or its value."""
    return datetime.now(UTC)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aispend", description="What your team spends on the Anthropic and OpenAI APIs."
    )
    parser.add_argument("--version", action="version", version=f"aispend {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details (never secrets)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("run", help="run the Slack bot and the scheduler")
    sync = sub.add_parser("sync", help="fetch costs and usage from the providers into the database")
    sync.add_argument("--days", type=_days, help="re-fetch the last N days (1-400) instead of the automatic window")
    sync.add_argument("--provider", choices=PROVIDER_NAMES, help="sync only this provider")
    report = sub.add_parser("report", help="print the spend summary from the database (no network)")
    report.add_argument(
        "period",
        nargs="?",
        default="week",
        help="today, yesterday, week (default), month or Nd; or keys, users or claude-code",
    )
    # `report keys|users|claude-code [PERIOD]`: the view word comes first, its period second
    report.add_argument(
        "view_period", nargs="?", metavar="PERIOD", help="the period of a view such as keys, users or claude-code"
    )
    report.add_argument(
        "--emails", action="store_true", help="with `report users` or `report claude-code`: show people's emails too"
    )
    report.add_argument("--json", action="store_true", help="print the JSON report")
    report.add_argument("--as-of", type=_as_of, help="treat YYYY-MM-DD as today")
    alerts = sub.add_parser("alerts", help="evaluate the alert rules and post new alerts")
    alerts.add_argument("--dry-run", action="store_true", help="print the alerts; post and record nothing")
    alerts.add_argument("--as-of", type=_as_of, help="treat YYYY-MM-DD as today")
    alerts.add_argument(
        "--resend",
        action="append",
        default=[],
        metavar="ID",
        help="post again an alert marked uncertain that you found missing from the channel (repeatable)",
    )
    sub.add_parser("doctor", help="check every configured credential and setting live")
    sub.add_parser("demo", help="an offline tour with the bundled provider simulator (no keys needed)")
    return parser


def _days(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 400:
        raise argparse.ArgumentTypeError("must be a whole number of days from 1 to 400")
    return int(text)


AS_OF_RANGE = (date(2000, 1, 1), date(2999, 12, 31))  # periods reach 800 days back; date.min/max would overflow


def _as_of(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a date written YYYY-MM-DD") from None
    if not AS_OF_RANGE[0] <= day <= AS_OF_RANGE[1]:
        raise argparse.ArgumentTypeError(f"must be a date from {AS_OF_RANGE[0]} to {AS_OF_RANGE[1]}")
    return day


class TerminalFormatter(logging.Formatter):
    """The log is the terminal of `aispend run`: a logged sync failure quotes the provider's error text."""

    def format(self, record: logging.LogRecord) -> str:
        return terminal(super().format(record))


def main(
    argv: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> int:
    """The CLI; `environ` and `clock` stand in for the process environment and the real clock (tests pass theirs)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    handler = logging.StreamHandler()
    handler.setFormatter(TerminalFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO if args.command == "run" else logging.WARNING,
        handlers=[handler],
    )
    env = os.environ if environ is None else environ
    try:
        code = _dispatch(args, env, clock, sys.stdout, sys.stderr)
        sys.stdout.flush()  # inside the try, so a reader that left shows up here and not at interpreter exit
        return code
    except ConfigError as err:
        for problem in err.problems:
            print(f"aispend: {terminal(problem)}", file=sys.stderr)
        return EXIT_USAGE
    except UsageError as err:
        print(f"aispend: {terminal(str(err))}", file=sys.stderr)
        return EXIT_USAGE
    except AispendError as err:
        print(f"aispend: {terminal(str(err))}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader went away (`aispend report | head`): stop quietly, as the Python docs recommend
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED


def _dispatch(
    args: argparse.Namespace, env: Mapping[str, str], clock: Callable[[], datetime], out: TextIO, err: TextIO
) -> int:
    if args.command == "demo":
        from bot.demo import run_demo

        return run_demo(out, now=clock())
    settings = load_settings(env, Path.cwd())
    for warning in settings.warnings:
        print(f"aispend: warning: {warning}", file=err)
    if args.command == "sync":
        return cmd_sync(settings, args.days, args.provider, err, now=clock())
    if (
        args.command == "report"
        and args.emails
        and SPENDER_VIEWS.get(args.period) != USER
        and args.period != CLAUDE_CODE_VIEW
    ):
        raise UsageError("--emails goes with `aispend report users` and `aispend report claude-code` only.")
    if args.command == "report" and args.period in SPENDER_VIEWS:
        return cmd_spenders(settings, args.period, args.view_period or "week", args, out, now=clock())
    if args.command == "report" and args.period == CLAUDE_CODE_VIEW:
        return cmd_claude_code(
            settings, args.view_period or "week", args.json, args.as_of, out, now=clock(), emails=args.emails
        )
    if args.command == "report":
        if args.view_period is not None:
            raise UsageError(f"`report {args.period}` takes one period, but got {args.view_period!r} too.")
        return cmd_report(settings, args.period, args.json, args.as_of, out, now=clock())
    if args.command == "alerts":
        return cmd_alerts(settings, args.dry_run, args.as_of, out, now=clock(), resend=args.resend)
    if args.command == "doctor":
        from bot.doctor import run_doctor
        from bot.runner import check_startup

        check_startup(settings)  # what `aispend run` would refuse, refused here in the same words
        return run_doctor(settings, out, now=clock())
    if args.command == "run":
        from bot.runner import run

        run(settings, clock)
        return EXIT_OK
    raise UsageError(f"unknown command {args.command!r}: run aispend --help")


def open_store(settings: Settings) -> Store:
    from bot.store import Store

    return Store(settings.db_path)


def cmd_sync(settings: Settings, days: int | None, only: str | None, err: TextIO, *, now: datetime) -> int:
    from bot.progress import Progress
    from bot.providers import build_providers
    from bot.sync import sync_providers

    providers = [p for p in build_providers(settings) if only is None or p.name == only]
    if not providers:
        which = f"{only} " if only else ""
        raise ConfigError(
            f"No {which}provider key is configured: set ANTHROPIC_ADMIN_KEY and/or OPENAI_ADMIN_KEY "
            "(or the matching _FILE variable), in the environment or in .env."
        )
    store = open_store(settings)
    try:
        with Progress(err, interactive=err.isatty()) as progress:
            results = sync_providers(
                store,
                providers,
                now=now,
                backfill_days=settings.backfill_days,
                days=days,
                progress=progress,
            )
    finally:
        for provider in providers:
            provider.close()
        store.close()
    for result in results:
        # plain (non-terminal) progress has already printed every step; a terminal gets one summary line each
        if err.isatty():
            last_day = result.end - timedelta(days=1)
            summary = (
                f"ok, {result.start}..{last_day} ({result.rows} rows, {result.requests} requests)"
                if result.ok
                else f"FAILED: {result.error}"
            )
            print(f"{result.provider}: {terminal(summary)}", file=err)
        for warning in result.warnings:
            print(f"{result.provider}: warning: {terminal(warning)}", file=err)
    return EXIT_OK if all(r.ok for r in results) else EXIT_FAILED


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
    if not Path(settings.db_path).exists():
        raise ConfigError(
            f"No database at {settings.db_path}: run `aispend sync` first (or set AISPEND_DB to the bot's database)."
        )
    store = open_store(settings)
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
    if not Path(settings.db_path).exists():
        raise ConfigError(
            f"No database at {settings.db_path}: run `aispend sync` first (or set AISPEND_DB to the bot's database)."
        )
    store = open_store(settings)
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
    if not Path(settings.db_path).exists():
        raise ConfigError(
            f"No database at {settings.db_path}: run `aispend sync` first (or set AISPEND_DB to the bot's database)."
        )
    store = open_store(settings)
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


def cmd_alerts(
    settings: Settings, dry_run: bool, as_of: date | None, out: TextIO, *, now: datetime, resend: Sequence[str] = ()
) -> int:
    from bot.alerts.delivery import resend as resend_alerts
    from bot.alerts.service import format_alerts_text, run_alerts

    today = as_of or now.date()
    if not Path(settings.db_path).exists():
        # opening it would create an empty database and report "No new alerts" for a mistyped AISPEND_DB
        raise ConfigError(
            f"No database at {settings.db_path}: run `aispend sync` first (or set AISPEND_DB to the bot's database)."
        )
    client = None
    if not dry_run:
        if settings.slack_bot_token is None or settings.alert_channel is None:
            raise ConfigError(
                "Posting alerts needs SLACK_BOT_TOKEN and AISPEND_ALERT_CHANNEL: set both, or use --dry-run to "
                "only print them."
            )
        from bot.slack.client import make_client

        client = make_client(settings)
    if resend and client is None:
        raise UsageError("--resend posts, so it cannot go with --dry-run: drop one of them.")
    store = open_store(settings)
    try:
        if resend and client is not None:
            run = resend_alerts(store, client, settings=settings, identities=resend, today=today, now=now)
        else:
            run = run_alerts(store, client, settings=settings, today=today, now=now, dry_run=dry_run)
    finally:
        store.close()
    out.write(terminal(format_alerts_text(run)) + "\n")
    return EXIT_FAILED if run.failed or run.uncertain else EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())

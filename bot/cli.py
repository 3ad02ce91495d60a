"""The `aispend` command line: the only place that reads the environment and the clock; bot.commands builds clients.

Heavy imports (Bolt, the scheduler, httpx) happen inside the command that needs them, so `aispend report`
starts fast.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO

from bot import __version__
from bot.commands import CLAUDE_CODE_VIEW, EXIT_FAILED, EXIT_OK, EXIT_USAGE, SPENDER_VIEWS, USER
from bot.config import load_settings
from bot.errors import AispendError, ConfigError, UsageError
from bot.safe_text import terminal

log = logging.getLogger("aispend")

PROVIDER_NAMES = ("anthropic", "openai")
EXPORT_GRAINS = ("item", "day", "model", "workspace", "key", "user")  # bot.export_rows.GRAINS, without importing it


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
    report.add_argument(
        "--reconcile", action="store_true", help="billed vs list-price estimate per complete day, provider and model"
    )
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
    export = sub.add_parser("export", help="write billed spend rows as CSV or JSON Lines (sums match `report`)")
    export.add_argument("period", nargs="?", default="week", help="today, yesterday, week (default), month or Nd")
    export.add_argument(
        "--by",
        choices=EXPORT_GRAINS,
        default="item",
        help="one row per day and: line item (default), provider (day), model, workspace, key or user",
    )
    export.add_argument("--format", choices=("csv", "jsonl"), default="csv", help="csv (default) or jsonl")
    export.add_argument("-o", "--output", metavar="FILE", help="write FILE (mode 0600, atomically) instead of stdout")
    export.add_argument("--emails", action="store_true", help="with --by user: people's emails too")
    export.add_argument("--as-of", type=_as_of, help="treat YYYY-MM-DD as today")
    budget = sub.add_parser("budget", help="the monthly budget gate for CI (exit 0 within, 1 over, 2 unknown)")
    budget.add_argument("--check", action="store_true", required=True, help="check month to date against the budget")
    budget.add_argument("--projected", action="store_true", help="check the projected month end instead")
    sub.add_parser("doctor", help="check every configured credential and setting live")
    demo = sub.add_parser("demo", help="an offline tour with the bundled provider simulator (no keys needed)")
    demo.add_argument(
        "--charts", type=Path, metavar="DIR", help="write the charts it would post here (default: a new temp folder)"
    )
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

        return run_demo(out, now=clock(), charts=args.charts)
    settings = load_settings(env, Path.cwd())
    for warning in settings.warnings:
        print(f"aispend: warning: {warning}", file=err)
    if args.command == "sync":
        from bot.commands.sync import cmd_sync

        return cmd_sync(settings, args.days, args.provider, err, now=clock())
    if (
        args.command == "report"
        and args.emails
        and SPENDER_VIEWS.get(args.period) != USER
        and args.period != CLAUDE_CODE_VIEW
    ):
        raise UsageError("--emails goes with `aispend report users` and `aispend report claude-code` only.")
    if args.command == "report" and args.period in SPENDER_VIEWS:
        from bot.commands.report import cmd_spenders

        return cmd_spenders(settings, args.period, args.view_period or "week", args, out, now=clock())
    if args.command == "report" and args.period == CLAUDE_CODE_VIEW:
        from bot.commands.report import cmd_claude_code

        return cmd_claude_code(
            settings, args.view_period or "week", args.json, args.as_of, out, now=clock(), emails=args.emails
        )
    if args.command == "report" and args.reconcile:
        if args.period in SPENDER_VIEWS or args.period == CLAUDE_CODE_VIEW or args.view_period is not None:
            raise UsageError("--reconcile takes one period: `aispend report --reconcile [PERIOD]`.")
        from bot.commands.reconcile import cmd_reconcile

        return cmd_reconcile(settings, args.period, args.json, args.as_of, out, now=clock())
    if args.command == "report":
        if args.view_period is not None:
            raise UsageError(f"`report {args.period}` takes one period, but got {args.view_period!r} too.")
        from bot.commands.report import cmd_report

        return cmd_report(settings, args.period, args.json, args.as_of, out, now=clock())
    if args.command == "alerts":
        from bot.commands.alerts import cmd_alerts

        return cmd_alerts(settings, args.dry_run, args.as_of, out, now=clock(), resend=args.resend)
    if args.command == "export":
        from bot.commands.export import cmd_export

        return cmd_export(
            settings,
            args.period,
            args.by,
            args.format,
            args.output,
            out,
            err,
            now=clock(),
            as_of=args.as_of,
            emails=args.emails,
        )
    if args.command == "budget":
        from bot.commands.budget import cmd_budget_check

        return cmd_budget_check(settings, args.projected, out, now=clock())
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


if __name__ == "__main__":
    raise SystemExit(main())

"""`python -m bot.simulator [--port N] [--today YYYY-MM-DD] [--seed N] [--cost-lag-days N]`: serve both APIs until
Ctrl-C."""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Callable
from datetime import date, datetime

from bot.cli import utc_now
from bot.simulator import ANTHROPIC_KEY, OPENAI_KEY, Simulator


def main(argv: list[str] | None = None, clock: Callable[[], datetime] = utc_now) -> int:
    """An entry point like bot.cli, so it reads the real clock (the CLI's) only when --today is not given."""
    parser = argparse.ArgumentParser(prog="python -m bot.simulator", description="Serve the simulated Admin APIs.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
    parser.add_argument(
        "--today", type=date.fromisoformat, default=None, help="the simulated today (default: UTC today)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workspaces", type=int, default=None, help="scale mode: number of workspaces/projects")
    parser.add_argument("--models", type=int, default=None, help="scale mode: number of models")
    parser.add_argument("--keys", type=int, default=None, help="scale mode: number of Anthropic API keys")
    parser.add_argument("--users", type=int, default=None, help="scale mode: number of Anthropic users")
    parser.add_argument(
        "--analytics-refused",
        type=int,
        choices=(400, 403, 404),
        default=None,
        help="answer the Usage & Cost Analytics API (beta) with this status, as for an organization without it",
    )
    parser.add_argument(
        "--cost-lag-days",
        type=int,
        default=0,
        help="the cost report has no rows yet for today nor this many days before it (usage has them)",
    )
    args = parser.parse_args(argv)
    today = args.today or clock().date()
    sim = Simulator(
        today,
        port=args.port,
        seed=args.seed,
        n_workspaces=args.workspaces,
        n_models=args.models,
        n_keys=args.keys,
        n_users=args.users,
        analytics_refused=args.analytics_refused,
        cost_lag_days=args.cost_lag_days,
    )
    with sim:
        print(f"ANTHROPIC_BASE_URL={sim.anthropic_url}  ANTHROPIC_ADMIN_KEY={ANTHROPIC_KEY}")
        print(f"OPENAI_BASE_URL={sim.openai_url}  OPENAI_ADMIN_KEY={OPENAI_KEY}")
        print(f"Simulating today = {today.isoformat()}; press Ctrl-C to stop.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

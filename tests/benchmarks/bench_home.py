"""Issue 12: the App Home dashboard is built in < 50 ms at 730 days of history.

On the generated databases (bench_dbs: 40 workspaces/projects × 25 models a day), for an admin who may see people
and with a monthly budget set (the largest view: every part, the settings and the budget line):
- `home.build`: what `app_home_opened` costs before views.publish: bot.home_data.load_home (the week and month
  reports, top keys and people, recent alerts, the settings in force) + bot.slack.home_blocks.home_view;
- `home.blocks`: home_view alone, on data already loaded (the pure part);
- `home.spenders`: the two spender views it reads (top keys and top people, bot.spenders.load_spenders), the
  largest part of the build, for comparison with the spenders benchmark.
RUNS timed runs after warm-up on one open Store.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from bot.home_data import TOP_SPENDERS, load_home
from bot.periods import parse_period
from bot.records import KEY, USER
from bot.slack.home_blocks import home_view
from bot.spenders import load_spenders
from bot.store import Store
from tests.benchmarks.bench_dbs import NOW, TODAY, ensure_db
from tests.benchmarks.bench_report import bench_settings
from tests.benchmarks.bench_support import Figure, below, info, median, percentile, timed

SIZES = (730,)
RUNS = 50
TARGET_MS = 50.0


def run(sizes: tuple[int, ...] = SIZES, runs: int = RUNS, directory: Path | None = None) -> list[Figure]:
    settings = replace(bench_settings(), monthly_budget_usd=Decimal(20_000), admin_users=frozenset({"UADMIN"}))
    figures: list[Figure] = []
    week = parse_period("week", TODAY)
    for days in sizes:
        with Store(ensure_db(days, directory=directory)) as store:
            whole = timed(lambda: home_view(load_home(store, settings, now=NOW, people=True, admin=True)), runs)
            loaded = load_home(store, settings, now=NOW, people=True, admin=True)
            blocks = timed(lambda: home_view(loaded), runs)  # noqa: B023 - timed() calls it before the loop moves on
            spenders = timed(
                lambda: [load_spenders(store, week, kind, people=True, top=TOP_SPENDERS) for kind in (KEY, USER)],
                runs,
            )
        note = f"{runs} runs after warm-up; an admin's view with people and a budget"
        build_note = f"{note}; load_home (SQLite) + home_view"
        figures.append(info(f"home.build.{days}d.p50", median(whole), "ms", build_note))
        figures.append(below(f"home.build.{days}d.p99", percentile(whole, 99), "ms", TARGET_MS, note=build_note))
        figures.append(info(f"home.blocks.{days}d.p99", percentile(blocks, 99), "ms", f"{note}; home_view alone"))
        spender_note = f"{runs} runs after warm-up; load_spenders for the week's top keys and top people"
        figures.append(info(f"home.spenders.{days}d.p50", median(spenders), "ms", spender_note))
    return figures

"""`aispend demo`: an offline tour. Starts the bundled simulator on loopback, syncs it into a throw-away
database with the real provider clients, and prints the week report, the spend by API key (`aispend report keys`),
the spike alert it would post, the paths of the charts those messages would show (written by bot.demo_charts) and
the text of the App Home dashboard an admin would see.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from bot.config import Secret, Settings
from bot.periods import parse_period
from bot.safe_text import terminal

DEMO_BACKFILL_DAYS = 60
DEMO_BUDGET_USD = Decimal("5500")  # below the simulated month's pace, so the budget lines have a story to tell


def run_demo(out: TextIO, *, now: datetime, charts: Path | None = None) -> int:
    """The tour; the charts it would post go into `charts` (default: a new temporary folder, kept)."""
    from bot.alerts.service import describe_spike
    from bot.demo_charts import write_demo_charts
    from bot.home_data import load_home
    from bot.providers import build_providers
    from bot.records import KEY
    from bot.render_spenders import render_spenders, top_spenders
    from bot.render_text import render_text
    from bot.report import load_report
    from bot.simulator import ANTHROPIC_KEY, OPENAI_KEY, Simulator
    from bot.slack.home_blocks import home_view, view_text
    from bot.spenders import load_spenders
    from bot.store import Store
    from bot.sync import sync_providers

    today = now.date()
    with Simulator(today=today) as sim, tempfile.TemporaryDirectory(prefix="aispend-demo-") as tmp:
        settings = Settings(
            anthropic_admin_key=Secret(ANTHROPIC_KEY),
            openai_admin_key=Secret(OPENAI_KEY),
            anthropic_base_url=sim.anthropic_url,
            openai_base_url=sim.openai_url,
            db_path=str(Path(tmp) / "demo.db"),
            backfill_days=DEMO_BACKFILL_DAYS,
            monthly_budget_usd=DEMO_BUDGET_USD,
        )
        out.write(f"aispend demo: simulator on {sim.anthropic_url} (Anthropic) and {sim.openai_url} (OpenAI)\n")
        store = Store(settings.db_path)
        providers = build_providers(settings)
        try:
            results = sync_providers(store, providers, now=now, backfill_days=DEMO_BACKFILL_DAYS)
            for result in results:
                status = "ok" if result.ok else f"FAILED: {terminal(result.error or 'unknown error')}"
                out.write(f"synced {result.provider}: {status}, {result.rows} rows in {result.requests} requests\n")
            week = parse_period("week", today)
            report = load_report(
                store, week, now=now, configured=settings.configured_providers, budget_usd=settings.monthly_budget_usd
            )
            # the week reply's top spenders are keys without their owners, whoever asks (bot.slack.listener)
            top = top_spenders(load_spenders(store, week, KEY, people=False))
            out.write("\n/aispend week would answer:\n\n")
            out.write(terminal(render_text(report, now) + top) + "\n")
            # the operator's view, as `aispend report keys` prints it; keys only, so no emails in a demo
            out.write("\n`aispend report keys` would print:\n\n")
            out.write(terminal(render_spenders(load_spenders(store, week, KEY, people=True))) + "\n")
            spike = describe_spike(store, today, settings)
            out.write("\nThe spike alert aispend would post to AISPEND_ALERT_CHANNEL:\n\n")
            out.write(terminal(spike or "(no spike this week)") + "\n")
            folder = charts or Path(tempfile.mkdtemp(prefix="aispend-demo-charts-"))
            out.write("\nThe charts it would post (PNG):\n")
            for what, path in write_demo_charts(store, settings, folder, now=now):
                out.write(f"  {what}: {terminal(str(path))}\n")
            # an admin's Home tab, with keys but no people (a demo shows no emails)
            home = home_view(load_home(store, settings, now=now, people=False, admin=True))
            out.write("\nThe App Home tab an admin would see (its blocks' text):\n\n")
            out.write(terminal(view_text(home)) + "\n")
        finally:
            for provider in providers:
                provider.close()
            store.close()
    return 0 if all(r.ok for r in results) else 1

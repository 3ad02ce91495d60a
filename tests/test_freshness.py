"""Which days are final (issue 10 §4.1): the day_fetches mechanism, its migration, the sync window that
completes unfinished days, and every report surface saying when a period holds a day fetched before it ended.

The providers are the bundled simulator, the database is real SQLite, and the clock is a parameter: the story
is a sync at 23:10 on Nov 30, a look at the figures at 00:20 on Dec 1, and the sync at 01:00 that completes them.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.config import Secret, Settings
from bot.periods import parse_period
from bot.providers import build_providers
from bot.providers.base import Provider
from bot.render_text import render_text
from bot.report import load_report
from bot.report_json import dumps_report
from bot.simulator import ANTHROPIC_KEY, OPENAI_KEY, Fault, Simulator
from bot.slack.blocks import report_message
from bot.store import Store
from bot.store.alerts import AlertStore
from bot.sync import SyncResult, sync_providers

ONE = timedelta(days=1)
SIM_TODAY = date(2026, 12, 1)
LATE = datetime(2026, 11, 30, 23, 10, tzinfo=UTC)  # the last sync of Nov 30
AFTER_MIDNIGHT = datetime(2026, 12, 1, 0, 20, tzinfo=UTC)  # someone looks, before the next sync
NEXT_SYNC = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
BOTH = ("anthropic", "openai")
NOT_FINAL = (
    "2026-11-30 is not final: last fetched by Anthropic and OpenAI at 23:10 UTC, before the day ended; "
    "the next sync completes it."
)


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(today=SIM_TODAY) as running:
        yield running


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "aispend.db") as opened:
        yield opened


@pytest.fixture
def providers(sim: Simulator) -> Iterator[list[Provider]]:
    made = build_providers(_settings(sim), timeout=10.0, sleep=lambda _: None)
    yield made
    for provider in made:
        provider.close()


def _settings(sim: Simulator) -> Settings:
    return Settings(
        anthropic_admin_key=Secret(ANTHROPIC_KEY),
        openai_admin_key=Secret(OPENAI_KEY),
        anthropic_base_url=sim.anthropic_url,
        openai_base_url=sim.openai_url,
    )


def sync(store: Store, providers: list[Provider], now: datetime, days: int | None = None) -> list[SyncResult]:
    return sync_providers(store, providers, now=now, backfill_days=30, days=days)


def complete_through(store: Store) -> dict[str, date | None]:
    return {p: f.complete_through for p, f in store.fetches(SIM_TODAY, SIM_TODAY).items()}


# ---- the mechanism ------------------------------------------------------------------------------------------


def test_a_day_is_complete_once_a_successful_sync_fetched_it_after_it_ended(
    sim: Simulator, store: Store, providers: list[Provider]
) -> None:
    sync(store, providers, LATE)  # a backfill that fetched Nov 30 before it ended
    assert complete_through(store) == {"anthropic": date(2026, 11, 29), "openai": date(2026, 11, 29)}
    fetched = store.fetches(date(2026, 11, 30), date(2026, 11, 30))["anthropic"]
    assert (fetched.first_day, fetched.last_day, fetched.fetched_at) == (date(2026, 11, 1), date(2026, 11, 30), LATE)
    assert fetched.days == {date(2026, 11, 30): LATE}

    sim.inject(Fault(provider="anthropic", kind="status", status=500, times=None))
    anthropic, openai = sync(store, providers, AFTER_MIDNIGHT)
    assert (anthropic.ok, openai.ok) == (False, True)
    # the failed sync wrote nothing, so Anthropic's Nov 30 is still the 23:10 fetch
    assert complete_through(store) == {"anthropic": date(2026, 11, 29), "openai": date(2026, 11, 30)}

    sim.clear_faults()
    assert all(r.ok for r in sync(store, providers, NEXT_SYNC))
    assert complete_through(store) == {"anthropic": date(2026, 11, 30), "openai": date(2026, 11, 30)}

    sim.inject(Fault(provider="anthropic", kind="status", status=500, times=None))
    sync(store, providers, NEXT_SYNC + timedelta(hours=1))
    # a later failed sync takes nothing back
    assert complete_through(store) == {"anthropic": date(2026, 11, 30), "openai": date(2026, 11, 30)}


def test_an_incremental_sync_reaches_back_to_a_day_left_unfinished(store: Store, providers: list[Provider]) -> None:
    sync(store, providers, datetime(2026, 11, 20, 23, 10, tzinfo=UTC))
    # after five days down, someone fetches only the last two days: Nov 20 stays partial, Nov 21-23 missing
    sync(store, providers, datetime(2026, 11, 25, 1, 0, tzinfo=UTC), days=2)
    horizon = date(2026, 10, 27)  # 30 backfill days back from Nov 25
    assert store.first_unfinished_day("anthropic", horizon) == date(2026, 11, 20)
    nov20 = store.fetches(date(2026, 11, 20), date(2026, 11, 24))["anthropic"]
    assert (nov20.fetched(date(2026, 11, 20)), nov20.fetched(date(2026, 11, 21))) == (
        datetime(2026, 11, 20, 23, 10, tzinfo=UTC),
        None,
    )
    results = sync(store, providers, datetime(2026, 11, 25, 2, 0, tzinfo=UTC))
    assert [(r.provider, r.ok, r.start) for r in results] == [
        ("anthropic", True, date(2026, 11, 20)),
        ("openai", True, date(2026, 11, 20)),
    ]
    assert complete_through(store) == {"anthropic": date(2026, 11, 24), "openai": date(2026, 11, 24)}
    assert store.first_unfinished_day("anthropic", horizon) == date(2026, 11, 25)  # today, fetched at 02:00


def test_a_day_left_partial_before_a_long_downtime_neither_holds_back_nor_widens_every_sync(
    store: Store, providers: list[Provider]
) -> None:
    sync(store, providers, datetime(2026, 8, 1, 23, 10, tzinfo=UTC))  # then the bot is off for months
    restart = sync(store, providers, datetime(2026, 11, 25, 1, 0, tzinfo=UTC))
    assert [r.start for r in restart] == [date(2026, 10, 27)] * 2  # never before the backfill horizon
    # Aug 1 stays partial (a report reaching it says so), but the data since the restart is complete
    assert complete_through(store) == {"anthropic": date(2026, 11, 24), "openai": date(2026, 11, 24)}
    later = sync(store, providers, datetime(2026, 11, 25, 2, 0, tzinfo=UTC))
    assert [r.start for r in later] == [date(2026, 11, 23)] * 2  # just the trailing window again
    year = report_json(store, "200d", datetime(2026, 11, 25, 2, 0, tzinfo=UTC))
    assert year["period"]["final"] is False  # type: ignore[index]
    assert (
        "2026-08-01 is not final: last fetched by Anthropic and OpenAI at 23:10 UTC, before the day ended; "
        "`aispend sync --days 117` fetches it again."
    ) in year["notes"]  # type: ignore[operator]


# ---- the migration ------------------------------------------------------------------------------------------


FIRST_RELEASE = Path(__file__).parent / "data" / "first-release.sqlite"


def _old_database(path: Path) -> None:
    """A database the first release (commit 1c9339d) wrote, copied: migrations 001 and 002 and the alert ledger's
    001, then three syncs of one Anthropic workspace (23:10 ok, 00:30 failed, 01:00 ok re-fetching Nov 28 - Dec 1).
    """
    shutil.copyfile(FIRST_RELEASE, path)


def _every_row(path: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(path)
    try:
        tables = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        skip = {"_sqlite_migrations", "day_fetches"}
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables if t not in skip}
    finally:
        conn.close()


def test_a_database_from_before_day_fetches_upgrades_in_place_and_keeps_every_figure(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _old_database(path)
    before = _every_row(path)
    assert before["cost_daily"] and before["spend_provider_daily"] and before["sync_log"]
    with Store(path) as store:
        assert store.applied_migrations() == [
            "001_spend_tables",
            "002_report_rollups",
            "003_day_fetches",
            "004_cost_gaps",
            "005_spenders",
            "006_claude_code",
            "007_spender_totals",
            "008_home_viewers",
            "009_spend_caps",
            "010_usage_priced",
            "011_usage_kinds",
        ]
        AlertStore(store)  # the alert ledger of that release upgrades too
        fetches = store.fetches(date(2026, 11, 27), date(2026, 12, 1))["anthropic"]
        totals = store.daily_totals(date(2026, 11, 1), date(2026, 12, 1))
    after = _every_row(path)
    assert {table: after[table] for table in before} == before  # new tables are added, no old row changes
    # filled from the sync log: the 01:00 sync re-fetched Nov 28 - Dec 1, the failed one counts for nothing
    assert fetches.days == {
        date(2026, 11, 27): LATE,
        date(2026, 11, 28): NEXT_SYNC,
        date(2026, 11, 29): NEXT_SYNC,
        date(2026, 11, 30): NEXT_SYNC,
        date(2026, 12, 1): NEXT_SYNC,
    }
    assert (fetches.complete_through, fetches.fetched_at) == (date(2026, 11, 30), NEXT_SYNC)
    assert totals[(date(2026, 11, 30), "anthropic")] == 1_001 * 30


# ---- the reports --------------------------------------------------------------------------------------------


def report_json(store: Store, word: str, now: datetime) -> dict[str, object]:
    report = load_report(store, parse_period(word, now.date()), now=now, configured=BOTH, budget_usd=None)
    loaded: dict[str, object] = json.loads(dumps_report(report), parse_float=Decimal)
    return loaded


def test_every_report_says_which_days_are_not_final_until_the_next_sync_completes_them(
    store: Store, providers: list[Provider]
) -> None:
    sync(store, providers, LATE)
    yesterday = report_json(store, "yesterday", AFTER_MIDNIGHT)
    assert yesterday["period"] == {
        "name": "yesterday",
        "start": "2026-11-30",
        "end": "2026-11-30",
        "includes_partial_today": False,
        "final": False,
    }
    assert yesterday["freshness"] == {
        "anthropic": {"complete_through": "2026-11-29", "fetched_at": "2026-11-30T23:10:00Z"},
        "openai": {"complete_through": "2026-11-29", "fetched_at": "2026-11-30T23:10:00Z"},
    }
    assert NOT_FINAL in yesterday["notes"]  # type: ignore[operator]
    week = report_json(store, "week", AFTER_MIDNIGHT)
    assert week["period"]["final"] is False and NOT_FINAL in week["notes"]  # type: ignore[index,operator]
    today = report_json(store, "today", AFTER_MIDNIGHT)
    assert (today["period"]["final"], today["previous"]["final"]) == (False, False)  # type: ignore[index]
    assert NOT_FINAL.replace("2026-11-30 is", "2026-11-30, in the comparison, is") in today["notes"]  # type: ignore[operator]

    # the same words in the terminal and in Slack
    report = load_report(store, parse_period("week", SIM_TODAY), now=AFTER_MIDNIGHT, configured=BOTH, budget_usd=None)
    assert f"  • {NOT_FINAL}" in render_text(report, AFTER_MIDNIGHT).splitlines()
    message = report_message(report, AFTER_MIDNIGHT)
    assert "2026-11-30 is not final: last fetched by Anthropic and OpenAI at 23:10 UTC" in json.dumps(message.blocks)
    assert message.text.endswith(" Not final yet: 2026-11-30.")

    sync(store, providers, NEXT_SYNC)
    for word in ("yesterday", "week"):
        after = report_json(store, word, NEXT_SYNC)
        assert after["period"]["final"] is True  # type: ignore[index]
        assert not [n for n in after["notes"] if "not final" in n]  # type: ignore[attr-defined]
    today = report_json(store, "today", NEXT_SYNC)
    assert (today["period"]["final"], today["previous"]["final"]) == (False, True)  # type: ignore[index]
    assert not [n for n in today["notes"] if "not final" in n]  # type: ignore[attr-defined]


def test_days_a_short_sync_skipped_are_named_not_shown_as_a_silent_zero(
    store: Store, providers: list[Provider]
) -> None:
    # the evening sync of Nov 28, then, after two days down, someone fetched only today: Nov 29 and 30 were never
    # fetched, and `report yesterday` said "$0.00, no change" with no note at all
    sync(store, providers, datetime(2026, 11, 28, 23, 0, tzinfo=UTC))
    later = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    sync(store, providers, later, days=1)
    gap = (
        "Anthropic and OpenAI have no data synced for 2026-11-29 and 2026-11-30, so those days show no spend; the "
        "next sync completes them."
    )
    yesterday = report_json(store, "yesterday", later)
    assert (yesterday["total_usd"], yesterday["period"]["final"]) == (0, False)  # type: ignore[index]
    assert yesterday["notes"] == [
        "Anthropic and OpenAI have no data synced for 2026-11-30, so that day shows no spend; the next sync "
        "completes it.",
        "Anthropic and OpenAI have no data synced for 2026-11-29 (in the comparison), so that day shows no spend; "
        "the next sync completes it.",
    ]
    week = report_json(store, "week", later)
    assert gap in week["notes"]  # type: ignore[operator]
    assert (
        "2026-11-28 is not final: last fetched by Anthropic and OpenAI at 23:00 UTC, before the day ended; "
        "`aispend sync --days 4` fetches it again."
    ) in week["notes"]  # type: ignore[operator]
    today = report_json(store, "today", later)
    assert today["notes"] == [  # the comparison (yesterday) is the gap; today itself is partial, as always
        "Today (2026-12-01) is partial: it shows the spend reported so far.",
        "Anthropic and OpenAI have no data synced for 2026-11-30 (in the comparison), so that day shows no spend; "
        "the next sync completes it.",
    ]

    sync(store, providers, later + timedelta(hours=1))  # the incremental sync reaches back and fills them
    after = report_json(store, "week", later + timedelta(hours=1))
    assert not [n for n in after["notes"] if "no data synced" in n or "not final" in n]  # type: ignore[attr-defined]

"""`aispend budget --check [--projected]`, the CI gate, through the real CLI on a synced database: exit 0 within the
budget, 1 over it (month to date or projected), 2 without a budget or on stale data; one line says which."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.budget import BUDGET_KEY
from bot.cli import main
from bot.records import CostRecord, ProviderData
from bot.store import Store
from tests.slack_support import simulator_store

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)  # the gate's clock, passed to the CLI as its entry point's
TODAY = NOW.date()


@pytest.fixture
def synced_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    path = tmp_path / "aispend.db"
    simulator_store(path, NOW, backfill_days=30).close()
    yield path


def gate(capsys: pytest.CaptureFixture[str], db: Path, *flags: str, now: datetime = NOW, **env: str) -> tuple[int, str]:
    code = main(["budget", "--check", *flags], environ={"AISPEND_DB": str(db), **env}, clock=lambda: now)
    out, err = capsys.readouterr()
    assert err == ""
    assert out.count("\n") == 1, out  # one line
    return code, out.strip()


def month(capsys: pytest.CaptureFixture[str], db: Path) -> tuple[Decimal, Decimal]:
    main(["report", "month", "--json"], environ={"AISPEND_DB": str(db)}, clock=lambda: NOW)
    report = json.loads(capsys.readouterr().out, parse_float=Decimal)
    return report["month"]["month_to_date_usd"], report["month"]["projected_usd"]


def test_within_over_and_projected_over(capsys: pytest.CaptureFixture[str], synced_db: Path) -> None:
    mtd, projected = month(capsys, synced_db)
    assert 0 < mtd < projected
    above = str((mtd + 1).quantize(Decimal(1)))
    code, line = gate(capsys, synced_db, AISPEND_MONTHLY_BUDGET_USD=above)
    assert code == 0 and line.startswith("WITHIN BUDGET: month to date $") and f"${int(above):,}.00" in line
    below = str((mtd - 1).quantize(Decimal(1)))
    code, line = gate(capsys, synced_db, AISPEND_MONTHLY_BUDGET_USD=below)
    assert code == 1 and line.startswith("OVER BUDGET: month to date $")
    # between month to date and the projection: fine today, over by month end
    between = str(((mtd + projected) / 2).quantize(Decimal(1)))
    assert gate(capsys, synced_db, AISPEND_MONTHLY_BUDGET_USD=between)[0] == 0
    code, line = gate(capsys, synced_db, "--projected", AISPEND_MONTHLY_BUDGET_USD=between)
    assert code == 1 and line.startswith("OVER BUDGET (projected): projected month end $")
    code, line = gate(capsys, synced_db, "--projected", AISPEND_MONTHLY_BUDGET_USD=str(int(projected) + 1))
    assert code == 0 and line.startswith("WITHIN BUDGET (projected)")


def test_the_budget_set_from_slack_wins_over_the_environment(
    capsys: pytest.CaptureFixture[str], synced_db: Path
) -> None:
    mtd, _ = month(capsys, synced_db)
    with Store(synced_db) as store:
        store.set_setting(BUDGET_KEY, str((mtd / 2).quantize(Decimal(1))))
    code, line = gate(capsys, synced_db, AISPEND_MONTHLY_BUDGET_USD=str(int(mtd) * 10))
    assert code == 1 and line.startswith("OVER BUDGET")
    code, line = gate(capsys, synced_db)  # the stored budget alone is a budget
    assert code == 1


def test_no_budget_is_exit_2(capsys: pytest.CaptureFixture[str], synced_db: Path) -> None:
    code, line = gate(capsys, synced_db)
    assert code == 2
    mtd, _ = month(capsys, synced_db)
    assert line == (
        f"NO BUDGET: month to date ${mtd:,.2f} and no monthly budget is set: set AISPEND_MONTHLY_BUDGET_USD, or "
        "`/aispend budget set <usd>` in Slack."
    )


def test_data_synced_more_than_a_day_ago_is_exit_2(capsys: pytest.CaptureFixture[str], synced_db: Path) -> None:
    budget = {"AISPEND_MONTHLY_BUDGET_USD": "1000000"}
    assert gate(capsys, synced_db, now=NOW + timedelta(hours=23), **budget)[0] == 0
    code, line = gate(capsys, synced_db, now=NOW + timedelta(hours=25), **budget)
    assert code == 2
    assert line.startswith("STALE: Anthropic was last synced at 2026-11-22 10:00 UTC, more than a day ago; OpenAI")
    assert line.endswith("may miss spend: run `aispend sync`, then check again.")


def test_a_provider_whose_days_are_not_complete_is_stale(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fetched an hour ago, but only through three days ago (a sync that keeps fetching too little): stale."""
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "a.db"
    first, end = TODAY.replace(day=1), TODAY - timedelta(days=2)
    data = ProviderData("anthropic", first, end)
    data.costs.append(CostRecord("anthropic", first, "", "claude-x", "tokens", "", 5_000_000_000))
    with Store(db) as store:
        sync_id = store.begin_sync("anthropic", NOW - timedelta(hours=1), (first, end))
        store.finish_sync(sync_id, NOW - timedelta(hours=1), "ok", None, store.replace_provider_data(data, NOW))
    code, line = gate(capsys, db, AISPEND_MONTHLY_BUDGET_USD="100")
    assert code == 2
    assert line.startswith(f"STALE: Anthropic's data is complete through {end - timedelta(days=1)}, more than a day")
    # a configured provider never synced is stale too
    code, line = gate(capsys, db, AISPEND_MONTHLY_BUDGET_USD="100", OPENAI_ADMIN_KEY="sk-admin-x")
    assert code == 2 and "OpenAI has no synced data" in line


def test_no_database_is_one_sentence_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code = main(["budget", "--check"], environ={"AISPEND_DB": str(tmp_path / "none.db")}, clock=lambda: NOW)
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.startswith("aispend: No database at ") and err.count("\n") == 1

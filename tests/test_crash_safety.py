"""Crash safety: `aispend sync` killed with SIGKILL at random moments never leaves a half-written database.

Each round, the simulator revises the days of the window (so the killed sync would write new numbers), a
real `python -m bot sync` starts in a subprocess and is killed after a seeded random delay. Then the database
must pass integrity_check, its rollups must equal the sums of cost_daily, each provider's window must be
entirely old or entirely new, and a sync the kill interrupted must stay "running" (never "ok"). At the end a
full sync completes and every day equals the simulator's exact total.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.cli import main
from bot.simulator import Simulator
from tests import clock_support
from tests.env_support import environment

REPO = Path(__file__).resolve().parent.parent
DAYS = 300
SEED = 20261122
ROUNDS = 8
ONE = timedelta(days=1)
ROLLUPS = {
    "spend_provider_daily": ("provider",),
    "spend_model_daily": ("provider", "model"),
    "spend_workspace_daily": ("provider", "workspace_id"),
    "spend_scope_daily": ("provider", "workspace_id", "model"),
}
PROVIDERS = ("anthropic", "openai")


SYNC_AT = clock_support.NOW  # each sync below runs a minute after the one before, all on this UTC day


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(today=SYNC_AT.date()) as running:
        running.latency = 0.01
        yield running


def start_sync(env: dict[str, str], cwd: Path, at: datetime) -> subprocess.Popen[bytes]:
    """The real CLI's `sync`, its clock at `at` (tests/cli_at.py)."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.cli_at", at.isoformat(), "sync", "--days", str(DAYS)],
        env={**env, "PYTHONPATH": str(REPO), "PATH": os.environ.get("PATH", "")},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for_line(process: subprocess.Popen[bytes], text: str, timeout: float) -> bool:
    """Read the child's stderr until a line holds `text` (True) or it ends or `timeout` passes (False)."""
    assert process.stderr is not None
    found = threading.Event()

    def read() -> None:
        assert process.stderr is not None
        for raw in process.stderr:
            if text in raw.decode("utf-8", "replace"):
                found.set()
                return

    threading.Thread(target=read, daemon=True).start()
    return found.wait(timeout)


def query(db: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return [tuple(row) for row in conn.execute(sql).fetchall()]
    finally:
        conn.close()


def cost_by_day(db: Path, provider: str) -> dict[str, int]:
    rows = query(db, f"SELECT day, SUM(amount_nano) FROM cost_daily WHERE provider = '{provider}' GROUP BY day")
    return {str(day): int(str(total)) for day, total in rows}


def usage_rows(db: Path, provider: str) -> list[tuple[object, ...]]:
    return query(db, f"SELECT * FROM usage_daily WHERE provider = '{provider}' ORDER BY 1, 2, 3, 4, 5")


def expected_by_day(sim: Simulator, provider: str, start: date, end: date) -> dict[str, int]:
    out = {}
    day = start
    while day < end:
        amount = sim.org.expected_cost_nano(provider, day, day + ONE)
        if amount:
            out[day.isoformat()] = amount
        day += ONE
    return out


def assert_consistent(db: Path) -> None:
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    for table, columns in ROLLUPS.items():
        group = ", ".join(("day", *columns))
        summed = f"SELECT {group}, SUM(amount_nano) FROM cost_daily GROUP BY {group}"
        stored = f"SELECT {group}, amount_nano FROM {table}"
        assert query(db, f"{stored} EXCEPT {summed}") == [], table
        assert query(db, f"{summed} EXCEPT {stored}") == [], table


@pytest.mark.slow
def test_sigkill_at_random_points_leaves_a_consistent_database(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "aispend.db"
    env = environment(sim, None, db)
    today = sim.today
    start, end = today - (DAYS - 1) * ONE, today + ONE

    began = time.monotonic()
    first = start_sync(env, tmp_path, SYNC_AT)
    assert first.wait(timeout=60) == 0, first.stderr.read() if first.stderr else ""
    full_run = time.monotonic() - began
    rng = random.Random(SEED)
    outcomes = []

    for round_no in range(1, ROUNDS + 1):
        old = {p: cost_by_day(db, p) for p in PROVIDERS}
        old_usage = {p: usage_rows(db, p) for p in PROVIDERS}
        [(last_id,)] = query(db, "SELECT COALESCE(MAX(id), 0) FROM sync_log")
        # every round revises every day, so the killed sync's numbers differ from the stored ones everywhere
        for provider in PROVIDERS:
            day = start
            while day < end:
                sim.revise(provider, day, Decimal(1) + Decimal(round_no) / 10)
                day += ONE
        new = {p: expected_by_day(sim, p, start, end) for p in PROVIDERS}

        at = SYNC_AT + round_no * timedelta(minutes=1)
        process = start_sync(env, tmp_path, at)
        if round_no % 2:
            time.sleep(rng.uniform(0.05, full_run))
        else:
            # aim at the writes: a provider's rows are written right after its "fetched" progress line
            assert wait_for_line(process, " fetched ", timeout=30)
            time.sleep(rng.uniform(0.0, 0.08))
        process.send_signal(signal.SIGKILL)
        code = process.wait(timeout=30)

        assert_consistent(db)
        logged = {
            str(provider): str(status)
            for provider, status in query(db, f"SELECT provider, status FROM sync_log WHERE id > {last_id}")
        }
        for provider in PROVIDERS:
            now_stored = cost_by_day(db, provider)
            state = "new" if now_stored == new[provider] else "old" if now_stored == old[provider] else "mixed"
            assert state != "mixed", (round_no, provider)
            if state == "old":
                assert usage_rows(db, provider) == old_usage[provider]  # usage belongs to the same transaction
                # the sync that did not write this provider's days never says it succeeded
                assert logged.get(provider) in (None, "running"), (round_no, provider, logged)
            outcomes.append((code, logged.get(provider), state))
        if "running" in logged.values():
            assert_report_is_honest(capsys, env, logged, at + timedelta(seconds=30))

    # the seeded delays must have interrupted syncs, not only let them finish
    assert any(code == -signal.SIGKILL and logged == "running" for code, logged, _ in outcomes), outcomes

    last = start_sync(env, tmp_path, SYNC_AT + (ROUNDS + 1) * timedelta(minutes=1))
    assert last.wait(timeout=60) == 0, last.stderr.read() if last.stderr else ""
    assert_consistent(db)
    for provider in PROVIDERS:
        assert cost_by_day(db, provider) == expected_by_day(sim, provider, start, end)
        total = query(db, f"SELECT SUM(amount_nano) FROM spend_provider_daily WHERE provider = '{provider}'")
        assert total == [(sim.org.expected_cost_nano(provider, start, end),)]
    [(running,)] = query(db, "SELECT COUNT(*) FROM sync_log WHERE status = 'running'")
    assert running == sum(1 for _, logged, _ in outcomes if logged == "running")  # left as they were


def assert_report_is_honest(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], logged: dict[str, str], now: datetime
) -> None:
    """A sync the kill left "running" is not shown as a success: the report says it has not finished."""
    capsys.readouterr()
    assert main(["report", "--json"], env, clock=lambda: now) == 0
    report = json.loads(capsys.readouterr().out)
    notes = " ".join(report["notes"])
    for provider, status in logged.items():
        if status == "running":
            display = {"anthropic": "Anthropic", "openai": "OpenAI"}[provider]
            assert f"{display}: a sync started at " in notes, notes


# ---- what the report says about a sync left "running" -------------------------------------------------------

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
WINDOW = (date(2026, 11, 20), date(2026, 11, 23))


def report_after(tmp_path: Path, *, ok_before: bool, started: datetime) -> tuple[dict[str, object], list[str]]:
    """The JSON report's Anthropic line and notes, with a sync begun at `started` that never finished."""
    from bot.periods import parse_period
    from bot.records import CostRecord, ProviderData
    from bot.report import load_report
    from bot.report_json import report_to_json
    from bot.store import Store

    with Store(tmp_path / "aispend.db") as store:
        if ok_before:
            data = ProviderData("anthropic", *WINDOW, [CostRecord("anthropic", WINDOW[0], "", "m", "i", "", 5)])
            sync_id = store.begin_sync("anthropic", NOW - timedelta(hours=5), WINDOW)
            rows = store.replace_provider_data(data, NOW - timedelta(hours=5))
            store.finish_sync(sync_id, NOW - timedelta(hours=5), "ok", None, rows)
        store.begin_sync("anthropic", started, WINDOW)  # the process died here
        report = load_report(
            store, parse_period("week", NOW.date()), now=NOW, configured=["anthropic"], budget_usd=None
        )
    out = report_to_json(report)
    [line] = [p for p in out["providers"] if p["provider"] == "anthropic"]
    return line, [n for n in out["notes"] if n.startswith("Anthropic")]


def test_an_interrupted_sync_is_reported_as_never_finished(tmp_path: Path) -> None:
    line, notes = report_after(tmp_path, ok_before=True, started=NOW - timedelta(hours=2))
    assert (line["status"], line["last_synced_at"]) == ("ok", "2026-11-22T07:00:00Z")
    assert notes == [
        "Anthropic: a sync started at 2026-11-22T10:00:00Z never finished (the bot was probably stopped during it), "
        "so the figures may be out of date; run `aispend sync`."
    ]


def test_a_sync_in_progress_is_reported_as_running(tmp_path: Path) -> None:
    line, notes = report_after(tmp_path, ok_before=True, started=NOW - timedelta(minutes=1))
    assert (line["status"], line["last_synced_at"]) == ("ok", "2026-11-22T07:00:00Z")
    assert notes == [
        "Anthropic: a sync started at 2026-11-22T11:59:00Z is still running; the figures are from before it."
    ]


def test_an_interrupted_first_sync_is_an_error_not_a_wait(tmp_path: Path) -> None:
    line, notes = report_after(tmp_path, ok_before=False, started=NOW - timedelta(hours=2))
    reason = "the first sync, started at 2026-11-22T10:00:00Z, never finished; run `aispend sync`"
    assert line == {"provider": "anthropic", "total_usd": 0, "status": "error", "last_synced_at": None, "error": reason}
    assert notes == [
        "Anthropic: the first sync, started at 2026-11-22T10:00:00Z, never finished (the bot was probably stopped "
        "during it), so its spend is not shown; run `aispend sync`."
    ]

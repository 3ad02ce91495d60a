"""Provider faults end to end: simulator → provider client → sync → SQLite → report.

Every scenario starts from a database synced from the simulator, then the simulator revises a past day of
both providers (so a successful re-sync changes the numbers) and injects one fault into one provider. Each
fault must end either in the exact new numbers, or in a clear error for that provider alone, with its old
numbers kept whole (no day of the failed sync written) and the report saying the figures may be stale. The
other provider always ends with its exact new numbers.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.config import Secret, Settings
from bot.periods import parse_period
from bot.providers import build_providers
from bot.providers.base import Provider
from bot.render_text import render_text
from bot.report import load_report
from bot.report_json import report_to_json
from bot.simulator import ANTHROPIC_KEY, OPENAI_KEY, Fault, Simulator
from bot.store import Store
from bot.sync import SyncResult, sync_providers
from tests.env_support import environment

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
ONE = timedelta(days=1)
DAYS = 12
START, END = TODAY - (DAYS - 1) * ONE, TODAY + ONE
REVISED = TODAY - 2 * ONE  # inside the trailing window an automatic sync re-fetches
TIMEOUT = 0.2  # the client's; timeout faults sleep longer than this
OTHER = {"anthropic": "openai", "openai": "anthropic"}
DISPLAY = {"anthropic": "Anthropic", "openai": "OpenAI"}
COST = {"anthropic": "/v1/organizations/cost_report", "openai": "/v1/organization/costs"}
USAGE = {"anthropic": "/v1/organizations/usage_report/messages", "openai": "/v1/organization/usage/completions"}
LABELS = {"anthropic": "/v1/organizations/workspaces", "openai": "/v1/organization/projects"}
SHOWN_PATH = {  # how the error message names the path (OpenAI's is relative to OPENAI_BASE_URL)
    "/v1/organizations/cost_report": "/v1/organizations/cost_report",
    "/v1/organizations/usage_report/messages": "/v1/organizations/usage_report/messages",
    "/v1/organizations/workspaces": "/v1/organizations/workspaces",
    "/v1/organization/costs": "/organization/costs",
    "/v1/organization/usage/completions": "/organization/usage/completions",
    "/v1/organization/projects": "/organization/projects",
}


@dataclass(frozen=True)
class Before:
    """The database synced before the simulator revised a day, and each provider's numbers in it."""

    db: Path
    days: dict[str, dict[date, int]]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Simulator, Before]]:
    with Simulator(today=TODAY) as sim:
        db = tmp_path_factory.mktemp("synced") / "aispend.db"
        with Store(db) as store:
            first = sync(store, sim, NOW)
            assert [r.ok for r in first.values()] == [True, True]
            days = {p: per_day(store, p) for p in ("anthropic", "openai")}
        for provider in ("anthropic", "openai"):
            assert days[provider] == expected(sim, provider)
            sim.revise(provider, REVISED, Decimal("1.5"))
            assert expected(sim, provider) != days[provider]
        yield sim, Before(db, days)
        for client in _PROVIDERS.pop(sim.anthropic_url):
            client.close()


@pytest.fixture
def sim(shared: tuple[Simulator, Before]) -> Simulator:
    shared[0].clear_faults()
    return shared[0]


@pytest.fixture
def before(shared: tuple[Simulator, Before]) -> Before:
    return shared[1]


@pytest.fixture
def store(before: Before, tmp_path: Path) -> Iterator[Store]:
    """A copy of the synced database (closed cleanly, so the main file holds everything)."""
    copy = tmp_path / "aispend.db"
    shutil.copyfile(before.db, copy)
    with Store(copy) as opened:
        yield opened


_PROVIDERS: dict[str, list[Provider]] = {}


def providers_for(sim: Simulator) -> list[Provider]:
    """The two provider clients for `sim`, made once: an httpx client costs ~50 ms to build (its TLS context)."""
    if sim.anthropic_url in _PROVIDERS:
        return _PROVIDERS[sim.anthropic_url]
    settings = Settings(
        anthropic_admin_key=Secret(ANTHROPIC_KEY),
        openai_admin_key=Secret(OPENAI_KEY),
        anthropic_base_url=sim.anthropic_url,
        openai_base_url=sim.openai_url,
    )
    providers = _PROVIDERS[sim.anthropic_url] = build_providers(settings, timeout=TIMEOUT, sleep=lambda _: None)
    return providers


def sync(store: Store, sim: Simulator, now: datetime) -> dict[str, SyncResult]:
    results = sync_providers(store, providers_for(sim), now=now, backfill_days=DAYS, days=DAYS)
    return {result.provider: result for result in results}


def per_day(store: Store, provider: str) -> dict[date, int]:
    return {day: amount for (day, name), amount in store.daily_totals(START, END - ONE).items() if name == provider}


def expected(sim: Simulator, provider: str) -> dict[date, int]:
    days = [START + i * ONE for i in range(DAYS)]
    return {day: sim.org.expected_cost_nano(provider, day, day + ONE) for day in days}


def assert_recovered(store: Store, sim: Simulator, results: dict[str, SyncResult], provider: str) -> None:
    for name in (provider, OTHER[provider]):
        assert (results[name].ok, results[name].error) == (True, None), results[name]
        assert per_day(store, name) == expected(sim, name)
    assert store.sync_states()[provider].status == "ok"


def assert_failed_alone(
    store: Store, sim: Simulator, before: Before, results: dict[str, SyncResult], provider: str
) -> str:
    """The failed provider kept every old day and says why; the other one has its new numbers."""
    failed, other = results[provider], results[OTHER[provider]]
    assert (failed.ok, failed.rows) == (False, 0)
    assert failed.error is not None and DISPLAY[provider] in failed.error, failed.error
    assert per_day(store, provider) == before.days[provider]  # all old: nothing of the failed sync was written
    assert (other.ok, other.error) == (True, None)
    assert per_day(store, OTHER[provider]) == expected(sim, OTHER[provider])
    state = store.sync_states()[provider]
    assert (state.status, state.error) == ("error", failed.error)
    # the report does not present the failed provider as current
    report = load_report(store, parse_period("week", TODAY), now=LATER, configured=list(OTHER), budget_usd=None)
    lines = {line.provider: line for line in report.providers}
    assert (lines[provider].status, lines[provider].error) == ("error", failed.error.rstrip("."))
    assert lines[OTHER[provider]].status == "ok"
    assert f"{DISPLAY[provider]}: the last sync failed ({failed.error.rstrip('.')}); figures may be stale." in (
        report.notes
    )
    return failed.error


# ---- faults the client rides out ---------------------------------------------------------------------------

RECOVERABLE: list[tuple[str, dict[str, Any]]] = [
    ("429 with retry-after", {"kind": "status", "status": 429, "headers": {"retry-after": "0"}, "times": 2}),
    ("429 with retry-after-ms", {"kind": "status", "status": 429, "headers": {"retry-after-ms": "5"}, "times": 1}),
    ("500", {"kind": "status", "status": 500, "times": 2}),
    ("502", {"kind": "status", "status": 502, "times": 2}),
    ("503", {"kind": "status", "status": 503, "times": 2}),
    ("529 overloaded", {"kind": "status", "status": 529, "times": 2}),
    ("timeout", {"kind": "timeout", "delay": TIMEOUT * 3, "times": 2}),
    ("connection reset", {"kind": "reset", "times": 2}),
    ("unknown fields", {"kind": "extra_fields", "times": None}),
]


def placed(cases: list[tuple[str, dict[str, Any], str]], more: dict[str, tuple[str, ...]]) -> list[Any]:
    """Every case on both providers' cost report, and on the other paths `more` names for it."""
    out = []
    for name, fault, says in cases:
        for where in ("cost", *more.get(name, ())):
            for provider in ("anthropic", "openai"):
                path = {"cost": COST, "usage": USAGE, "labels": LABELS}[where][provider]
                out.append(pytest.param(provider, path, fault, says, id=f"{name}-{where}-{provider}"))
    return out


@pytest.mark.parametrize(
    ("provider", "path", "fault", "says"),
    placed(
        [(name, fault, "") for name, fault in RECOVERABLE],
        {name: ("usage", "labels") for name in ("503", "connection reset", "unknown fields")},
    ),
)
def test_transient_faults_end_in_the_exact_new_numbers(
    sim: Simulator, store: Store, provider: str, path: str, fault: dict[str, Any], says: str
) -> None:
    sim.inject(Fault(provider=provider, path=path, **fault))
    results = sync(store, sim, LATER)
    assert_recovered(store, sim, results, provider)


def test_one_spurious_openai_401_is_retried(sim: Simulator, store: Store) -> None:
    sim.inject(Fault(provider="openai", path=COST["openai"], kind="status", status=401, times=1))
    assert_recovered(store, sim, sync(store, sim, LATER), "openai")


# ---- faults that must fail the provider, and only it ------------------------------------------------------

FAILING: list[tuple[str, dict[str, Any], str]] = [
    ("500 forever", {"kind": "status", "status": 500, "times": None}, "answered HTTP 500 for {path}"),
    ("503 forever", {"kind": "status", "status": 503, "times": None}, "answered HTTP 503 for {path}"),
    ("529 forever", {"kind": "status", "status": 529, "times": None}, "answered HTTP 529 for {path}"),
    (
        "429 asking for an hour",
        {"kind": "status", "status": 429, "headers": {"retry-after": "3600"}, "times": None},
        "answered HTTP 429 for {path}",
    ),
    ("timeouts forever", {"kind": "timeout", "delay": TIMEOUT * 3, "times": None}, "after 5 attempts (ReadTimeout"),
    ("resets forever", {"kind": "reset", "times": None}, "after 5 attempts ("),
    ("truncated body", {"kind": "truncated"}, "from {path}: the HTTP 200 body is not valid JSON"),
    ("HTML body", {"kind": "non_json"}, "from {path}: the HTTP 200 body is not valid JSON (text/html)"),
    ("200 with an error envelope", {"kind": "error_envelope"}, "from {path}: HTTP 200 carried an error: "),
    ("200 without data", {"kind": "no_data"}, "from {path}: page 1"),
    ("a cursor repeated forever", {"kind": "repeat_cursor", "times": None}, "repeats the cursor of an earlier page"),
    (
        "a cursor that leads back to its own page",
        {"kind": "repeat_cursor", "times": 1},
        "from {path}: the bucket for {revised} came twice (a page repeated an earlier one)",
    ),
    ("has_more without a cursor", {"kind": "missing_cursor"}, "says has_more but gives no cursor"),
    ("endless has_more", {"kind": "endless", "times": None}, "did not end within 100 pages"),
]


# the simulator's cursor faults act on the reports' `next_page` cursors, not on the workspace/project lists
ELSEWHERE = {
    "500 forever": ("usage", "labels"),
    "HTML body": ("usage", "labels"),
    "200 without data": ("usage", "labels"),
    "a cursor repeated forever": ("usage",),
    "a cursor that leads back to its own page": ("usage",),
    "has_more without a cursor": ("usage",),
    "endless has_more": ("usage",),
}


@pytest.mark.parametrize(("provider", "path", "fault", "says"), placed(FAILING, ELSEWHERE))
def test_faults_that_fail_one_provider_keep_its_old_numbers(
    sim: Simulator, store: Store, before: Before, provider: str, path: str, fault: dict[str, Any], says: str
) -> None:
    sim.inject(Fault(provider=provider, path=path, **fault))
    error = assert_failed_alone(store, sim, before, sync(store, sim, LATER), provider)
    assert says.format(path=SHOWN_PATH[path], revised=START) in error, error


BAD_AMOUNTS = ["NaN", "Infinity", "-Infinity", "abc", "", "1e999", float("nan"), float("inf"), None, True, [1]]
GARBAGE = [
    pytest.param(provider, value, id=f"{provider}-{value!r}")
    for provider in ("anthropic", "openai")
    for value in BAD_AMOUNTS
    if not (provider == "openai" and value is None)  # OpenAI's schema allows `amount.value: null`: see below
]


@pytest.mark.parametrize(("provider", "value"), GARBAGE)
def test_garbage_amounts_fail_the_provider_never_count_as_zero(
    sim: Simulator, store: Store, before: Before, provider: str, value: object
) -> None:
    sim.inject(Fault(provider=provider, path=COST[provider], kind="bad_amount", value=value, times=None))
    error = assert_failed_alone(store, sim, before, sync(store, sim, LATER), provider)
    field = "`amount` for" if provider == "anthropic" else "`amount.value` for"
    assert field in error and "Nothing was stored; run `aispend sync` again later" in error, error


def served_rows(sim: Simulator, label: str | None) -> dict[date, tuple[int, int]]:
    """day -> (OpenAI cost rows with this line_item (None: all), their nano-dollars), as the simulator serves them."""
    out = {}
    for day in (START + i * ONE for i in range(DAYS)):
        rows = [r for r in sim.org.openai_day(day).costs if label is None or r.line_item == label]
        if rows:
            out[day] = (len(rows), sum(r.nano() for r in rows))
    return out


@pytest.mark.parametrize(
    ("kind", "value", "hit"),
    [("no_amount", "label", "label"), ("null_amount", "label", "label"), ("bad_amount", None, None)],
    ids=["no `amount`", "`amount: null`", "`amount.value: null` everywhere"],
)
def test_openai_rows_without_an_amount_count_as_no_cost_with_a_note(
    sim: Simulator, store: Store, kind: str, value: str | None, hit: str | None
) -> None:
    """All three are allowed by OpenAI's published schema: the sync succeeds, the rest is exact, the report says so."""
    label = sim.org.openai_day(TODAY - 3 * ONE).costs[0].line_item
    value, hit = (label if value else None), (label if hit else None)
    sim.inject(Fault(provider="openai", path=COST["openai"], kind=kind, value=value, times=None))
    results = sync(store, sim, LATER)
    assert (results["openai"].ok, results["openai"].error) == (True, None)
    missing = served_rows(sim, hit)
    assert missing
    left = {d: n - missing.get(d, (0, 0))[1] for d, n in expected(sim, "openai").items()}
    assert per_day(store, "openai") == {d: n for d, n in left.items() if n}
    assert store.cost_gaps(START, END - ONE) == {(d, "openai"): rows for d, (rows, _) in missing.items()}
    report = load_report(store, parse_period("week", TODAY), now=LATER, configured=list(OTHER), budget_usd=None)
    rows = sum(n for d, (n, _) in missing.items() if TODAY - 7 * ONE <= d <= TODAY - ONE)
    compared = sum(n for d, (n, _) in missing.items() if TODAY - 14 * ONE <= d <= TODAY - 8 * ONE)
    assert compared  # the comparison's total (and the change) is understated too, so it gets its own note
    note, in_comparison = [n for n in report.notes if "had no amount" in n]
    assert note.startswith(f"{rows} OpenAI cost rows on ")
    assert in_comparison.startswith(f"{compared} OpenAI cost rows on ")
    assert in_comparison.endswith(
        f"{TODAY - 8 * ONE} (in the comparison) had no amount; they are counted as $0, so OpenAI's spend may be "
        "understated: check the OpenAI usage dashboard (https://platform.openai.com/usage)."
    )
    assert note.endswith(
        "had no amount; they are counted as $0, so OpenAI's spend may be understated: check the OpenAI usage "
        "dashboard (https://platform.openai.com/usage)."
    )
    assert note in report_to_json(report)["notes"] and note in render_text(report, LATER)
    # a later sync that gets every amount replaces those days: the note goes with them
    sim.clear_faults()
    assert sync(store, sim, LATER + timedelta(hours=1))["openai"].ok
    assert store.cost_gaps(START, END - ONE) == {}
    assert per_day(store, "openai") == expected(sim, "openai")


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
@pytest.mark.parametrize("value", ["NaN", 1.5, -3, 10**30], ids=repr)
def test_garbage_token_counts_fail_the_provider(
    sim: Simulator, store: Store, before: Before, provider: str, value: object
) -> None:
    sim.inject(Fault(provider=provider, path=USAGE[provider], kind="bad_amount", value=value, times=None))
    error = assert_failed_alone(store, sim, before, sync(store, sim, LATER), provider)
    assert "`output_tokens` for" in error, error


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_a_revised_past_day_is_picked_up_by_the_next_sync(
    sim: Simulator, store: Store, before: Before, provider: str
) -> None:
    # the automatic window re-fetches the trailing days, where providers revise
    results = sync_providers(store, providers_for(sim), now=LATER, backfill_days=DAYS)
    assert [r.ok for r in results] == [True, True]
    assert [(r.start, r.end) for r in results] == [(REVISED, END), (REVISED, END)]
    assert per_day(store, provider) == expected(sim, provider)


def test_the_first_sync_failing_is_never_shown_as_zero_spend(sim: Simulator, tmp_path: Path) -> None:
    sim.inject(Fault(provider="anthropic", path=COST["anthropic"], kind="truncated", times=None))
    with Store(tmp_path / "new.db") as store:
        first_sync_fails(store, sim)


def first_sync_fails(store: Store, sim: Simulator) -> None:
    results = sync(store, sim, NOW)
    assert (results["anthropic"].ok, results["openai"].ok) == (False, True)
    assert per_day(store, "anthropic") == {}
    report = load_report(store, parse_period("week", TODAY), now=LATER, configured=list(OTHER), budget_usd=None)
    lines = {line.provider: line for line in report.providers}
    assert (lines["anthropic"].status, lines["anthropic"].last_synced_at) == ("error", None)
    error = (results["anthropic"].error or "").rstrip(".")
    assert f"Anthropic: the last sync failed ({error}); nothing has been synced yet." in report.notes


# ---- the same through the command line ---------------------------------------------------------------------


@pytest.mark.dates
def test_the_cli_reports_a_failed_provider_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], now: datetime
) -> None:
    monkeypatch.chdir(tmp_path)
    today = now.date()
    with Simulator(today=today) as sim:
        env = environment(sim, None, tmp_path / "aispend.db")
        sim.inject(Fault(provider="openai", path=COST["openai"], kind="non_json", times=None))
        assert main(["sync", "--days", "5"], env, clock=lambda: now) == 1
        error = (
            "OpenAI sent an unexpected response from /organization/costs: the HTTP 200 body is not valid JSON "
            "(text/html). Nothing was stored; run `aispend sync` again later, and report it if it keeps happening."
        )
        printed = capsys.readouterr().err
        assert f"openai: failed: {error}" in printed.splitlines() or f"openai: FAILED: {error}" in printed.splitlines()
        assert main(["report", "5d", "--json", "--as-of", str(today + ONE)], env, clock=lambda: now) == 0
        report = json.loads(capsys.readouterr().out, parse_float=Decimal)
        by_provider = {line["provider"]: line for line in report["providers"]}
        assert by_provider["openai"]["status"] == "error"
        assert by_provider["openai"]["total_usd"] == 0
        assert by_provider["openai"]["error"] == error.rstrip(".")
        assert by_provider["anthropic"]["status"] == "ok"
        expected_usd = Decimal(sim.org.expected_cost_nano("anthropic", today - 4 * ONE, today + ONE)) / 10**9
        assert by_provider["anthropic"]["total_usd"] == expected_usd

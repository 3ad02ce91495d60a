"""Claude Code activity (Anthropic's Claude Code Analytics API), end to end: fetch, store, report, CLI, Slack.

The figures are Anthropic's estimates: they must reconcile exactly with what the simulator serves, be labelled,
and never reach a billed total; per-person rows (emails) only reach admins, never a public reply.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.claude_code import (
    ESTIMATE_LABEL,
    ESTIMATE_NOTE,
    build_claude_code,
    claude_code_json,
    load_claude_code,
    people_names,
    render_claude_code_text,
)
from bot.config import Secret
from bot.errors import StoreError
from bot.periods import parse_period
from bot.providers.anthropic import AnthropicProvider
from bot.providers.anthropic_claude_code import MAX_DAYS, PATH, ClaudeCodeFetch
from bot.providers.http import FetchSession
from bot.providers.windows import run_all
from bot.records import (
    API_ACTOR,
    USER,
    USER_ACTOR,
    ClaudeCodeActorSums,
    ClaudeCodeDay,
    ClaudeCodeModel,
    ClaudeCodeStatus,
    CostRecord,
    ProviderData,
    SpenderLabel,
)
from bot.report import load_report
from bot.report_json import report_to_json
from bot.simulator import ANTHROPIC_KEY, Fault, Simulator
from bot.slack.access import Policy, may_see_people, people_refusal
from bot.slack.claude_code_blocks import claude_code_message
from bot.slack.commands import ClaudeCode, Help, parse_command
from bot.store import Store
from bot.sync import sync_providers
from tests.fake_slack import FakeSlack
from tests.scripted_server import Reply, ScriptedServer
from tests.slack_support import ADMIN, READER, running_app, settings
from tests.test_anthropic_provider import route_spenders
from tests.test_freshness import FIRST_RELEASE
from tests.test_hostile_names import HOSTILE, INVISIBLE
from tests.test_slack_app import ack_json, command, reply

VIEWER = "UVIEWER"  # a people viewer: not an admin, may see people
USERS = ("ada@acme.example", "grace@acme.example", "linus@acme.example")
CONTRACT_USER_KEYS = [
    "actor",
    "sessions",
    "lines_added",
    "lines_removed",
    "commits",
    "pull_requests",
    "edits_accepted",
    "edits_rejected",
    "estimated_usd",
]
WORKSPACES_EMPTY = Reply(200, {"data": [], "has_more": False, "first_id": None, "last_id": None})
REPORT_EMPTY = Reply(200, {"data": [], "has_more": False, "next_page": None})


@pytest.fixture
def sim(today: date) -> Iterator[Simulator]:
    with Simulator(today=today) as simulator:
        yield simulator


def anthropic(url: str) -> AnthropicProvider:
    return AnthropicProvider(Secret(ANTHROPIC_KEY), url, timeout=5.0, sleep=lambda _: None)


def synced_store(path: Path, sim: Simulator, now: datetime, days: int = 40) -> Store:
    store = Store(path)
    provider = anthropic(sim.anthropic_url)
    try:
        (result,) = sync_providers(store, [provider], now=now, backfill_days=days)
    finally:
        provider.close()
    assert result.ok, result.error
    return store


def served_sums(sim: Simulator, start: date, end: date) -> dict[str, dict[str, int]]:
    """Per actor, the sums of every row the simulator serves for [start, end] (inclusive), straight from its JSON."""
    sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    day = start
    while day <= end:
        for row in sim.org.claude_code_day(day):
            j, s = row.json, sums[row.actor]
            core = j["core_metrics"]
            s["sessions"] += core["num_sessions"]
            s["lines_added"] += core["lines_of_code"]["added"]
            s["lines_removed"] += core["lines_of_code"]["removed"]
            s["commits"] += core["commits_by_claude_code"]
            s["pull_requests"] += core["pull_requests_by_claude_code"]
            s["edits_accepted"] += sum(t["accepted"] for t in j["tool_actions"].values())
            s["edits_rejected"] += sum(t["rejected"] for t in j["tool_actions"].values())
            s["cents"] += row.estimated_cents
        day += timedelta(days=1)
    return sums


def run_cli(args: list[str], env: dict[str, str], now: datetime) -> tuple[int, str, str]:
    """The real CLI in a subprocess, its clock fixed at `now` (tests.cli_at)."""
    repo = Path(__file__).resolve().parents[1]
    full = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(repo), **env}
    done = subprocess.run(
        [sys.executable, "-m", "tests.cli_at", now.isoformat(), *args],
        cwd=repo,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout, done.stderr


# ---- the provider ---------------------------------------------------------------------------------------------


def _row(amounts: list[Any], email: str = "ada@acme.example", day: str = "2026-11-20T00:00:00Z") -> dict[str, Any]:
    return {
        "date": day,
        "actor": {"type": "user_actor", "email_address": email},
        "organization_id": "org",
        "customer_type": "api",
        "terminal_type": "vscode",
        "core_metrics": {
            "num_sessions": 5,
            "lines_of_code": {"added": 1543, "removed": 892},
            "commits_by_claude_code": 12,
            "pull_requests_by_claude_code": 2,
        },
        "tool_actions": {"edit_tool": {"accepted": 45, "rejected": 5}, "write_tool": {"accepted": 8, "rejected": 1}},
        "model_breakdown": [
            {
                "model": f"claude-{i}",
                "tokens": {"input": 100, "output": 35, "cache_read": 10, "cache_creation": 5},
                "estimated_cost": {"currency": "USD", "amount": amount},
            }
            for i, amount in enumerate(amounts)
        ],
    }


def test_estimated_cents_become_exact_nano_dollars(tmp_path: Path) -> None:
    """The documented example: `amount` 1025 is $10.25; odd cents and fractions of a cent stay exact too."""
    rows = [_row([1025, 1, "0.5"]), _row([3], email="grace@acme.example")]
    with ScriptedServer() as server:
        server.route(PATH, Reply(200, {"data": rows, "has_more": False, "next_page": None}))
        for path in ("/v1/organizations/cost_report", "/v1/organizations/usage_report/messages"):
            server.route(path, REPORT_EMPTY)
        server.route("/v1/organizations/workspaces", WORKSPACES_EMPTY)
        route_spenders(server)
        p = anthropic(server.url)
        try:
            data = p.fetch(date(2026, 11, 20), date(2026, 11, 21))
        finally:
            p.close()
    ada = data.claude_code[0]
    assert [m.estimated_cost_nano for m in ada.models] == [10_250_000_000, 10_000_000, 5_000_000]
    assert (ada.sessions, ada.lines_added, ada.lines_removed, ada.commits, ada.pull_requests) == (5, 1543, 892, 12, 2)
    assert (ada.edits_accepted, ada.edits_rejected) == (53, 6)  # every tool of the map
    assert (ada.models[0].input_tokens, ada.models[0].cache_write_tokens) == (100, 5)
    assert data.claude_code_start == date(2026, 11, 20) and data.claude_code_unavailable is None
    period = parse_period("1d", date(2026, 11, 21))
    with Store(tmp_path / "cc.db") as store:
        store.replace_provider_data(data, datetime(2026, 11, 21, 9, 0).astimezone())
        out = claude_code_json(load_claude_code(store, period))
    assert out["estimated_usd"] == Decimal("10.295")
    assert [(u["actor"], u["estimated_usd"]) for u in out["users"]] == [
        ("ada@acme.example", Decimal("10.265")),
        ("grace@acme.example", Decimal("0.03")),
    ]


@pytest.mark.dates
def test_each_day_is_one_request_per_page_and_every_page_is_read(sim: Simulator, today: date) -> None:
    start, end = today - timedelta(days=6), today + timedelta(days=1)
    fetch = ClaudeCodeFetch(anthropic(sim.anthropic_url).client, "anthropic", start, end, per_page=3)
    session = FetchSession()
    run_all(fetch.jobs(), session, 4)
    data = ProviderData("anthropic", start, end)
    fetch.fill(data)
    served = [
        (d, row.actor) for d in (start + timedelta(days=i) for i in range(7)) for row in sim.org.claude_code_day(d)
    ]
    assert sorted((r.day, r.actor) for r in data.claude_code) == sorted(served)
    pages = [len(sim.org.claude_code_day(d)) for d in (start + timedelta(days=i) for i in range(7))]
    expected_requests = sum(max(1, -(-rows // 3)) for rows in pages)
    assert session.requests == len(sim.requests) == expected_requests > 7  # weekdays hold 4 actors: 2 pages
    cursors = [r for r in sim.requests if "page" in r.query]
    assert cursors and all(r.query["limit"] == ["3"] for r in sim.requests)


@pytest.mark.dates
def test_a_backfill_reads_at_most_the_last_90_days_of_claude_code(sim: Simulator, today: date) -> None:
    p = anthropic(sim.anthropic_url)
    try:
        data = p.fetch(today - timedelta(days=399), today + timedelta(days=1))
    finally:
        p.close()
    asked = sorted({r.query["starting_at"][0] for r in sim.requests if r.path == PATH})
    assert len(asked) == MAX_DAYS == 90
    assert asked[0] == (today - timedelta(days=89)).isoformat() and asked[-1] == today.isoformat()
    assert data.claude_code_start == today - timedelta(days=89)


@pytest.mark.dates
def test_per_actor_sums_reconcile_exactly_with_what_the_simulator_serves(
    tmp_path: Path, sim: Simulator, now: datetime, today: date
) -> None:
    with synced_store(tmp_path / "cc.db", sim, now) as store:
        period = parse_period("30d", today)
        report = load_claude_code(store, period)
        spend = load_report(store, period, now=now, configured=["anthropic"], budget_usd=None)
    expected = served_sums(sim, period.start, period.end)
    assert {line.actor for line in report.actors} == set(expected) == {*USERS, "ci-claude-code"}
    for line in report.actors:
        want = expected[line.actor]
        got = {k: getattr(line, k) for k in want if k != "cents"}
        assert got == {k: v for k, v in want.items() if k != "cents"}, line.actor
        assert line.estimated == Decimal(want["cents"]) / 100
        assert line.actor_type == (API_ACTOR if line.actor == "ci-claude-code" else USER_ACTOR)
    assert report.estimated == Decimal(sum(w["cents"] for w in expected.values())) / 100 > 0
    assert [line.estimated for line in report.actors] == sorted(
        (line.estimated for line in report.actors), reverse=True
    )
    # the estimates are never part of a billed total: the total is exactly the cost report's
    billed = Decimal(sim.org.expected_cost_nano("anthropic", period.start, period.end + timedelta(days=1))) / 10**9
    assert spend.total == billed
    out = report_to_json(spend)
    assert out["total_usd"] == billed and out["claude_code"]["estimated_usd"] == report.estimated
    assert [sorted(u) for u in out["claude_code"]["users"]] == [sorted(CONTRACT_USER_KEYS)] * 4
    assert sorted(out["claude_code"]) == ["estimated_usd", "users"]


@pytest.mark.dates
def test_a_refused_claude_code_api_never_fails_the_sync_and_the_report_says_why(
    tmp_path: Path, sim: Simulator, now: datetime, today: date
) -> None:
    with synced_store(tmp_path / "cc.db", sim, now, days=7) as store:
        before = load_claude_code(store, parse_period("week", today))
        sim.inject(Fault("anthropic", PATH, status=403, times=None))
        provider = anthropic(sim.anthropic_url)
        try:
            (result,) = sync_providers(store, [provider], now=now, backfill_days=7, days=3)
        finally:
            provider.close()
        after = load_claude_code(store, parse_period("week", today))
        spend = load_report(store, parse_period("week", today), now=now, configured=["anthropic"], budget_usd=None)
    assert result.ok and result.error is None
    (warning,) = result.warnings
    assert "Claude Code Analytics API refused ANTHROPIC_ADMIN_KEY (HTTP 401/403)" in warning
    assert warning.count(". ") == 0 and warning.endswith(".")  # one sentence
    assert warning in after.notes
    assert after.actors == before.actors and after.estimated == before.estimated  # the stored rows stay
    assert spend.providers[0].status == "ok" and spend.total > 0


def test_an_organization_without_claude_code_usage_reports_zero_not_unknown(tmp_path: Path) -> None:
    with ScriptedServer() as server:
        server.route(PATH, REPORT_EMPTY)
        for path in ("/v1/organizations/cost_report", "/v1/organizations/usage_report/messages"):
            server.route(path, REPORT_EMPTY)
        server.route("/v1/organizations/workspaces", WORKSPACES_EMPTY)
        route_spenders(server)
        p = anthropic(server.url)
        try:
            data = p.fetch(date(2026, 11, 19), date(2026, 11, 21))
        finally:
            p.close()
    assert (data.claude_code, data.claude_code_start, data.claude_code_unavailable) == ([], date(2026, 11, 19), None)
    with Store(tmp_path / "cc.db") as store:
        store.replace_provider_data(data, datetime(2026, 11, 21, 9, 0).astimezone())
        out = claude_code_json(load_claude_code(store, parse_period("2d", date(2026, 11, 21))))
    assert out == {"estimated_usd": Decimal(0), "users": []}


def test_never_fetched_is_null_and_says_so() -> None:
    report = build_claude_code(parse_period("week", date(2026, 11, 22)), [], {})
    assert claude_code_json(report) == {"estimated_usd": None, "users": []}
    assert any("has not been fetched yet" in n for n in report.notes)
    assert ESTIMATE_LABEL in render_claude_code_text(report)


def test_a_period_reaching_before_the_first_fetched_day_says_so() -> None:
    period = parse_period("30d", date(2026, 11, 22))
    fetched = ClaudeCodeStatus("anthropic", None, date(2026, 10, 24), "2026-11-22T10:00:00Z")
    late = build_claude_code(period, [], {"anthropic": fetched})
    assert any("fetched from 2026-10-24 on" in n for n in late.notes) and late.estimated == 0
    covered = dataclasses.replace(fetched, first_day=period.start)
    assert build_claude_code(period, [], {"anthropic": covered}).notes == (ESTIMATE_NOTE,)


def test_people_are_named_as_the_user_list_names_them_and_emails_shown_only_when_asked() -> None:
    period = parse_period("week", date(2026, 11, 22))
    sums = [
        ClaudeCodeActorSums("anthropic", USER_ACTOR, "Ada@Acme.example", 1, 2, 3, 4, 5, 6, 7, 3_000_000_000),
        ClaudeCodeActorSums("anthropic", USER_ACTOR, "grace@acme.example", 1, 1, 1, 1, 1, 1, 1, 2_000_000_000),
        ClaudeCodeActorSums("anthropic", API_ACTOR, "ada@acme.example", 1, 1, 1, 1, 1, 1, 1, 1_000_000_000),
    ]
    labels = {
        ("anthropic", USER, "user_ada"): SpenderLabel(
            "anthropic", USER, "user_ada", "Ada L.", email="ada@acme.example"
        ),
        ("openai", USER, "user-x"): SpenderLabel(
            "openai", USER, "user-x", "Grace (OpenAI)", email="grace@acme.example"
        ),
    }
    named = build_claude_code(period, sums, {}, names=people_names(labels))
    # the email's case does not matter; an OpenAI user is not Anthropic's; a key named like an email is a key
    assert [line.shown for line in named.actors] == ["Ada L.", "grace@acme.example", "API key ada@acme.example"]
    assert [u["actor"] for u in claude_code_json(named)["users"]] == [
        "Ada L.",
        "grace@acme.example",
        "ada@acme.example",
    ]
    with_emails = build_claude_code(period, sums, {}, names=people_names(labels), emails=True)
    assert with_emails.actors[0].shown == "Ada L. (Ada@Acme.example)"


# ---- the store ------------------------------------------------------------------------------------------------


def test_a_first_release_database_upgrades_in_place_and_takes_claude_code(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    shutil.copyfile(FIRST_RELEASE, path)
    conn = sqlite3.connect(path)
    before = sorted(conn.execute("SELECT * FROM cost_daily").fetchall())
    conn.close()
    day = date(2026, 11, 30)
    record = ClaudeCodeDay(
        "anthropic", day, USER_ACTOR, "ada@acme.example", "api", "vscode", 2, 10, 3, 1, 0, 4, 1,
        (ClaudeCodeModel("claude-opus-4-8", 1, 2, 3, 4, 1_250_000_000),),
    )  # fmt: skip
    data = ProviderData("anthropic", day, day + timedelta(days=1), claude_code=[record], claude_code_start=day)
    with Store(path) as store:
        assert "006_claude_code" in store.applied_migrations() and store.pending_migrations() == []
        # the billed rows of that day are replaced by this (empty) fetch, as any sync does; the others stay
        store.replace_provider_data(data, datetime(2026, 12, 1, 9, 0).astimezone())
        (sums,) = store.claude_code_actors(day, day)
    assert (sums.actor, sums.sessions, sums.estimated_nano) == ("ada@acme.example", 2, 1_250_000_000)
    conn = sqlite3.connect(path)
    after = sorted(conn.execute("SELECT * FROM cost_daily").fetchall())
    strict = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'claude_code_daily'").fetchone()[0]
    conn.close()
    assert after == [row for row in before if row[0] != day.isoformat()] and "STRICT" in strict


def test_a_bad_claude_code_record_rolls_back_the_whole_write(tmp_path: Path) -> None:
    """Claude Code rows are written in the transaction of the provider's billed rows: all or nothing."""
    day = date(2026, 11, 20)
    cost = CostRecord("anthropic", day, "", "claude-opus-4-8", "tokens:output_tokens", "", 5 * 10**9)
    good = ClaudeCodeDay("anthropic", day, USER_ACTOR, "ada@acme.example", "api", "vscode", 1, 1, 1, 1, 1, 1, 1)
    late = dataclasses.replace(good, day=day + timedelta(days=1))
    window = (day, day + timedelta(days=1))
    with Store(tmp_path / "cc.db") as store:
        store.replace_provider_data(
            ProviderData("anthropic", *window, costs=[cost], claude_code=[good], claude_code_start=day),
            datetime(2026, 11, 21, 9, 0).astimezone(),
        )
        bad = ProviderData("anthropic", *window, claude_code=[good, late], claude_code_start=day)
        with pytest.raises(StoreError, match="outside the fetched days"):
            store.replace_provider_data(bad, datetime(2026, 11, 21, 10, 0).astimezone())
        assert store.daily_totals(day, day) == {(day, "anthropic"): 5 * 10**9}  # the billed rows stayed
        assert [s.sessions for s in store.claude_code_actors(day, day)] == [1]


# ---- Slack and the CLI ----------------------------------------------------------------------------------------


def test_claude_code_parses_with_an_optional_period() -> None:
    assert parse_command("claude-code") == ClaudeCode("week")
    assert parse_command("claude-code 30d") == ClaudeCode("30d")
    assert parse_command("claude-code month public") == ClaudeCode("month", public=True)
    assert isinstance(parse_command("claude-code fortnight"), Help)
    assert isinstance(parse_command("claude-code week extra"), Help)


def test_claude_code_is_for_those_who_may_see_people() -> None:
    # the same gate and refusal as `users`: admins and AISPEND_PEOPLE_VIEWERS, public only when allowed
    policy = Policy(admin_users=frozenset({ADMIN}), people_viewers=frozenset({VIEWER}))
    assert may_see_people(policy, ADMIN, False) and may_see_people(policy, VIEWER, False)
    assert not may_see_people(policy, READER, False) and not may_see_people(policy, ADMIN, True)
    refusal = people_refusal(policy, READER, False, "claude-code")
    assert "Claude Code" in refusal and "AISPEND_PEOPLE_VIEWERS" in refusal and READER in refusal
    public = people_refusal(policy, VIEWER, True, "claude-code")
    assert "without `public`" in public and "AISPEND_SHOW_PEOPLE_IN_CHANNEL" in public


@pytest.mark.dates
def test_slack_shows_claude_code_to_those_who_may_see_people_and_not_in_public(
    tmp_path: Path, sim: Simulator, fake: FakeSlack, now: datetime
) -> None:
    with (
        synced_store(tmp_path / "cc.db", sim, now) as store,
        running_app(fake, store, settings(people_viewers=frozenset({VIEWER})), now=lambda: now) as app,
    ):
        refused = ack_json(command(app, fake, "claude-code", user=READER, name="r"))
        public = ack_json(command(app, fake, "claude-code public", user=ADMIN, name="p"))
        assert command(app, fake, "claude-code 30d", user=ADMIN, name="a").status == 200
        assert command(app, fake, "claude-code", user=VIEWER, name="v").status == 200
        answer, viewed = reply(fake, "a"), reply(fake, "v")
    assert refused["response_type"] == "ephemeral" and "AISPEND_PEOPLE_VIEWERS" in refused["text"]
    assert public["response_type"] == "ephemeral" and "AISPEND_SHOW_PEOPLE_IN_CHANNEL" in public["text"]
    assert not any(user in refused["text"] or user in public["text"] for user in USERS)
    for shown_to in (answer, viewed):
        assert shown_to["response_type"] == "ephemeral"
        shown = json.dumps(shown_to["blocks"])
        assert all(user in shown for user in USERS) and "API key ci-claude-code" in shown
        assert ESTIMATE_LABEL in shown_to["text"] and ESTIMATE_LABEL in shown
    assert sorted(r.path for r in fake.requests if r.path.startswith("/commands/")) == ["/commands/a", "/commands/v"]


@pytest.mark.dates
def test_show_people_in_channel_lets_claude_code_go_public(
    tmp_path: Path, sim: Simulator, fake: FakeSlack, now: datetime
) -> None:
    with (
        synced_store(tmp_path / "cc.db", sim, now) as store,
        running_app(fake, store, settings(show_people_in_channel=True), now=lambda: now) as app,
    ):
        refused = ack_json(command(app, fake, "claude-code public", user=READER, name="r"))
        assert command(app, fake, "claude-code public", user=ADMIN, name="p").status == 200
        answer = reply(fake, "p")
    assert refused["response_type"] == "ephemeral" and READER in refused["text"]
    assert answer["response_type"] == "in_channel" and all(user in json.dumps(answer["blocks"]) for user in USERS)


@pytest.mark.dates
def test_the_cli_report_claude_code_prints_text_and_json(
    tmp_path: Path, sim: Simulator, now: datetime, today: date
) -> None:
    db = tmp_path / "cc.db"
    synced_store(db, sim, now).close()
    env = {"AISPEND_DB": str(db)}
    code, out, _ = run_cli(["report", "claude-code", "30d", "--as-of", today.isoformat()], env, now)
    assert code == 0 and ESTIMATE_LABEL in out and "ada@acme.example" in out and "API key ci-claude-code" in out
    code, out, _ = run_cli(["report", "claude-code", "--json", "--as-of", today.isoformat()], env, now)
    body = json.loads(out, parse_float=Decimal)
    assert code == 0 and body["period"]["name"] == "week"
    expected = served_sums(sim, today - timedelta(days=7), today - timedelta(days=1))
    assert body["claude_code"]["estimated_usd"] == Decimal(sum(w["cents"] for w in expected.values())) / 100
    code, _, err = run_cli(["report", "week", "30d"], env, now)
    assert code == 2 and "takes one period" in err


def test_hostile_actor_names_reach_slack_and_the_terminal_as_plain_text(tmp_path: Path) -> None:
    day = date(2026, 11, 20)
    records = [
        ClaudeCodeDay(
            "anthropic", day, API_ACTOR if i % 2 else USER_ACTOR, name, "api", name, 1, 1, 1, 1, 1, 1, 1,
            (ClaudeCodeModel(name, 1, 1, 1, 1, (len(HOSTILE) - i) * 10**9),),
        )
        for i, name in enumerate(HOSTILE)
    ]  # fmt: skip
    data = ProviderData("anthropic", day, day + timedelta(days=1), claude_code=records, claude_code_start=day)
    with Store(tmp_path / "cc.db") as store:
        store.replace_provider_data(data, datetime(2026, 11, 21, 9, 0).astimezone())
        report = load_claude_code(store, parse_period("1d", date(2026, 11, 21)))
    message = claude_code_message(report)
    texts = [message.text, json.dumps(message.blocks, ensure_ascii=False)]
    for text in texts:
        for bad in ("<!channel>", "<!here", "<@UEVIL>", "<#CEVIL", "<https://", "\x1b", "\u202e"):
            assert bad not in text
    table = message.blocks[2]["text"]["text"]
    assert table.startswith("```") and table.endswith("```") and table.count("```") == 2
    # inside the code block Slack formats nothing; only a backtick could end it early, and none is left
    assert "`" not in table[3:-3]
    from bot.safe_text import terminal

    shown = terminal(render_claude_code_text(report))
    assert "\x1b" not in shown and not any(
        __import__("unicodedata").category(c) in INVISIBLE for c in shown if c != "\n"
    )
    # JSON is data: the names come back exactly as sent
    assert {u["actor"] for u in claude_code_json(report)["users"]} == set(HOSTILE)

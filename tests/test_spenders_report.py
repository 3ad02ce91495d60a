"""Spend by key and by user (issue 11): exact figures, the basis on every surface, and who may see people.

Records are written through Store.replace_provider_data (tests/spender_data.py) at the suite's `today`; the
surfaces are the real CLI, the real `/aispend` listener answering from that store, and the JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.config import Secret, Settings
from bot.periods import parse_period
from bot.records import BILLED, KEY, NO_KEY, TOKEN_SHARE, USER
from bot.slack.commands import parse_command
from bot.slack.kit import Message
from bot.slack.listener import CommandListener
from bot.slack.spender_blocks import LIST_ROWS, spender_message, spender_table
from bot.spender_split import kind_rows, split_by_tokens
from bot.spenders import build_spenders, load_spenders
from bot.store import Store
from tests.spender_data import ALICE_EMAIL, ONE, SHARE_REASON, anthropic_week, fill, openai_week, synced_at

pytestmark = pytest.mark.dates

ADMIN, VIEWER, READER = "UADMIN", "UVIEWER", "UREADER"
PEOPLE = ("Alice Example", "Bob", ALICE_EMAIL, "bob@example.com", "user_alice", "user_bob")


@pytest.fixture
def db(tmp_path: Path, today: date) -> Path:
    path = tmp_path / "aispend.db"
    with Store(path) as store:
        fill(store, today)
    return path


@pytest.fixture
def store(db: Path) -> Iterator[Store]:
    with Store(db) as opened:
        yield opened


# ---- the model ---------------------------------------------------------------------------------------------


def test_split_by_tokens_is_exact_and_deterministic() -> None:
    assert split_by_tokens(10, {"b": 1, "a": 1, "c": 1}) == {"a": 4, "b": 3, "c": 3}
    assert split_by_tokens(-10, {"b": 1, "a": 1, "c": 1}) == {"a": -4, "b": -3, "c": -3}
    assert split_by_tokens(100, {"x": 2, "y": 1, "z": 0}) == {"x": 67, "y": 33}
    assert split_by_tokens(5, {"x": 0}) == {}
    for total in (1, 7, 999_999_999_999, 10**15 + 3):
        parts = split_by_tokens(total, {"k1": 3, "k2": 7, "k3": 11, "k4": 13})
        assert sum(parts.values()) == total


def test_billed_keys_sum_to_the_billed_total_and_token_shares_to_each_group(store: Store, today: date) -> None:
    week = parse_period("week", today)
    view = load_spenders(store, week, KEY, people=True)
    by_id = {(line.provider, line.id): line for line in view.lines}
    # Anthropic billed per key: exactly the cost endpoint's figures, summing to the billed total
    assert by_id[("anthropic", "key_ci")].total == Decimal("490")
    assert by_id[("anthropic", "key_alice")].total == Decimal("175.000000007")
    assert by_id[("anthropic", NO_KEY)].name == "Console / Workbench"
    assert {line.basis for line in view.lines if line.provider == "anthropic"} == {BILLED}
    anthropic = sum(line.total for line in view.lines if line.provider == "anthropic")
    assert (
        anthropic
        == Decimal("700.000000007")
        == store.daily_totals(week.start, week.end).get((week.end, "anthropic"), 0) * 7 / Decimal(10**9)
    )
    # OpenAI split by tokens, $10.00 a day among three equal keys: the odd nano goes to key_a, every day
    assert by_id[("openai", "key_a")].total == Decimal("23.333333338")
    assert by_id[("openai", "key_b")].total == by_id[("openai", "key_c")].total == Decimal("23.333333331")
    assert by_id[("openai", "key_b")].name == "key_b"  # unnamed: the id
    assert sum(line.total for line in view.lines if line.provider == "openai") == Decimal(70)
    assert {line.basis for line in view.lines if line.provider == "openai"} == {TOKEN_SHARE}
    assert view.notes == [SHARE_REASON]  # the reason once, for OpenAI's keys
    assert [line.total for line in view.lines] == sorted((line.total for line in view.lines), reverse=True)


def test_a_key_with_billed_and_share_days_has_one_line_of_each_never_added(tmp_path: Path, today: date) -> None:
    end = today - ONE
    with Store(tmp_path / "mixed.db") as store:
        store.replace_provider_data(anthropic_week(end - 7 * ONE, billed=False), synced_at(today))
        store.replace_provider_data(anthropic_week(end), synced_at(today))
        view = load_spenders(store, parse_period("14d", today), KEY, people=False)
    ci = [line for line in view.lines if line.id == "key_ci"]
    assert [(line.basis, line.total) for line in ci] == [
        (BILLED, Decimal(490)),
        # 2010 of 3030 tokens of $100.000000001 a day, split exactly
        (TOKEN_SHARE, Decimal("464.356435648")),
    ]
    assert sum(line.total for line in view.lines) == Decimal("1400.000000014")  # every nano, once
    assert any("one line of each, never added together" in note for note in view.notes)
    assert "Anthropic's Usage & Cost Analytics API is not available (HTTP 403)." in view.notes


def test_days_not_fetched_by_spender_are_a_note_never_zero(tmp_path: Path, today: date) -> None:
    end = today - ONE
    with Store(tmp_path / "old.db") as store:
        store.replace_provider_data(anthropic_week(end, basis=False), synced_at(today))
        view = load_spenders(store, parse_period("week", today), KEY, people=True)
    assert view.lines == [] and not view.fetched
    assert view.notes == [
        f"Anthropic's spend by API key was not fetched for {end - 6 * ONE} to {end}, so the $700.00 billed on those "
        "days is not shown by API key: they were synced without it (by an earlier release, or the provider did not "
        "give it); `aispend sync --days 8` fetches it where the provider can."
    ]


@pytest.mark.parametrize("kind", [KEY, USER])
def test_the_stores_aggregated_read_gives_exactly_the_models_figures(tmp_path: Path, today: date, kind: str) -> None:
    # billed, token-share and not-fetched days of both providers: the store's SQL sums and its labels of the lines'
    # spenders give the view the pure model gives from every row and every label
    end = today - ONE
    with Store(tmp_path / "mixed.db") as store:
        store.replace_provider_data(anthropic_week(end - 14 * ONE, basis=False), synced_at(today))
        store.replace_provider_data(anthropic_week(end - 7 * ONE, billed=False), synced_at(today))
        store.replace_provider_data(anthropic_week(end), synced_at(today))
        store.replace_provider_data(openai_week(end), synced_at(today))
        for word in ("week", "14d", "30d", "today"):
            period = parse_period(word, today)
            rows = store.spender_rows(period.start, period.end)
            assert store.spender_kind_rows(period.start, period.end, kind) == kind_rows(rows, period.dates(), kind)
            fast = load_spenders(store, period, kind, people=True)
            assert fast == build_spenders(rows, store.spender_labels(), period, kind, people=True)
            assert fast.lines or word == "today"
            assert load_spenders(store, period, kind, people=True, emails=True) == build_spenders(
                rows, store.spender_labels(), period, kind, people=True, emails=True
            )
            full = fast.lines
            for top in range(len(full) + 2):  # a top view's lines are the full view's first ones
                cut = load_spenders(store, period, kind, people=True, top=top)
                assert replace(cut, more={}) == replace(fast, lines=full[:top])
                # and the rest of the list sums to the same "… N more" lines, per basis
                if full:
                    assert spender_table(cut.lines, top, cut.more) == spender_table(full, top)
            assert spender_message(load_spenders(store, period, kind, people=True, top=LIST_ROWS)) == spender_message(
                fast
            )
        labels = store.spender_labels_of(KEY, {("anthropic", "key_alice")})
        assert set(labels) == {("anthropic", KEY, "key_alice"), ("anthropic", USER, "user_alice")}  # and its owner


def test_users_need_people_and_owners_who_are_people_are_hidden_without(store: Store, today: date) -> None:
    week = parse_period("week", today)
    assert load_spenders(store, week, USER, people=False).hidden
    users = load_spenders(store, week, USER, people=True)
    assert [(u.provider, u.name, u.total, u.basis) for u in users.lines] == [
        ("anthropic", "Alice Example", Decimal("175.000000007"), BILLED),
        ("openai", "Bob <@U999> Person", Decimal(70), TOKEN_SHARE),
    ]
    assert all(u.email is None for u in users.lines)  # emails only when asked for
    keys = {line.id: line for line in load_spenders(store, week, KEY, people=False).lines}
    assert keys["key_ci"].owner == "ci-bot"  # a service account is not a person
    assert keys["key_alice"].owner is None
    keys = {line.id: line for line in load_spenders(store, week, KEY, people=True).lines}
    assert keys["key_alice"].owner == "Alice Example"


def test_a_period_with_no_spender_rows_is_empty(store: Store, today: date) -> None:
    rows = store.spender_rows(today + 10 * ONE, today + 20 * ONE)
    view = build_spenders(rows, {}, parse_period("week", today + 21 * ONE), KEY, people=True)
    assert (view.lines, view.notes, view.fetched) == ([], [], False)


# ---- the CLI and the JSON ----------------------------------------------------------------------------------


def _cli(argv: list[str], db: Path, now: datetime, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(argv, {"AISPEND_DB": str(db)}, clock=lambda: now) == 0
    return capsys.readouterr().out


def test_cli_keys_and_users_say_billed_or_token_share_on_every_line(
    db: Path, now: datetime, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    out = _cli(["report", "keys"], db, now, capsys)
    rows = [line for line in out.splitlines() if "$" in line and not line.startswith("  •")]
    assert len(rows) == 6 and all(r.endswith(("  billed", "  token share")) for r in rows), out
    assert "ci-nightly (owner ci-bot) · Anthropic" in out and "Console / Workbench · Anthropic" in out
    users = _cli(["report", "users", "week"], db, now, capsys)
    assert "Alice Example · Anthropic" in users and ALICE_EMAIL not in users
    assert ALICE_EMAIL in _cli(["report", "users", "--emails"], db, now, capsys)

    loaded = json.loads(_cli(["report", "--json"], db, now, capsys), parse_float=Decimal)
    assert loaded["keys"][0] == {
        "provider": "anthropic",
        "id": "key_ci",
        "name": "ci-nightly",
        "workspace_id": "wrk_batch",
        "total_usd": Decimal(490),
        "basis": "billed",
        "owner": "ci-bot",
    }
    assert {k["name"] for k in loaded["keys"] if k["id"] is None} == {"Console / Workbench"}
    assert sum(k["total_usd"] for k in loaded["keys"]) == Decimal("770.000000007")
    assert [(u["name"], u["basis"]) for u in loaded["users"]] == [
        ("Alice Example", "billed"),
        ("Bob <@U999> Person", "token_share"),
    ]
    assert ALICE_EMAIL not in json.dumps(loaded, default=str)
    text = _cli(["report"], db, now, capsys)
    assert "Top spenders (API keys): ci-nightly (owner ci-bot) · Anthropic $490.00 (billed)" in text


# ---- Slack: basis labels and people ------------------------------------------------------------------------


def _listener(store: Store, now: datetime, **overrides: Any) -> Iterator[CommandListener]:
    conf = Settings(
        anthropic_admin_key=Secret("sk-ant-admin01-test"),
        openai_admin_key=Secret("sk-admin-test"),
        admin_users=frozenset({ADMIN}),
        people_viewers=frozenset({VIEWER}),
        **overrides,
    )
    with ThreadPoolExecutor(1) as work:
        yield CommandListener(store=store, settings=conf, now=lambda: now, sync_now=None, work=work)


@pytest.fixture
def listener(store: Store, now: datetime) -> Iterator[CommandListener]:
    yield from _listener(store, now)


def _reply(listener: CommandListener, text: str, user: str) -> str:
    answer = listener.answer(parse_command(text), user)
    return json.dumps([answer.text, answer.blocks] if isinstance(answer, Message) else answer, ensure_ascii=False)


def test_slack_keys_labels_every_line_and_the_week_reply_has_top_spenders(listener: CommandListener) -> None:
    answer = listener.answer(parse_command("keys"), READER)
    assert isinstance(answer, Message)
    table = next(b["text"]["text"] for b in answer.blocks if b.get("text", {}).get("text", "").startswith("```"))
    rows = table.strip("`").split("\n")
    assert len(rows) == 6 and all(r.endswith(("billed", "token share")) for r in rows), rows
    assert "(billed)" in answer.text and "(token share)" in answer.text
    week = _reply(listener, "week", READER)
    assert "Top spenders (API keys)" in week and "Top key: ci-nightly" in week


@pytest.mark.parametrize("text", ["users", "users 30d", "users public", "keys", "keys public", "week", "month public"])
def test_a_reader_never_sees_a_person(listener: CommandListener, text: str) -> None:
    reply = _reply(listener, text, READER)
    assert [p for p in PEOPLE if p in reply] == []


def test_users_tell_a_reader_who_can_see_them(listener: CommandListener) -> None:
    reply = listener.answer(parse_command("users"), READER)
    assert isinstance(reply, str)
    assert "AISPEND_PEOPLE_VIEWERS" in reply and READER in reply and "/aispend keys" in reply


@pytest.mark.parametrize("user", [ADMIN, VIEWER])
def test_admins_and_people_viewers_see_people_but_not_in_public_replies(listener: CommandListener, user: str) -> None:
    private = _reply(listener, "users", user)
    assert "Alice Example" in private and "token share" in private and "billed" in private
    assert ALICE_EMAIL not in private  # names, never emails, in Slack
    assert "Alice Example" in _reply(listener, "keys", user)  # the owner of her key
    for text in ("users public", "keys public", "week public"):
        public = _reply(listener, text, user)
        assert [p for p in PEOPLE if p in public] == [], text
    assert "AISPEND_SHOW_PEOPLE_IN_CHANNEL" in _reply(listener, "users public", user)


def test_show_people_in_channel_allows_public_people_for_those_who_may_see_them(store: Store, now: datetime) -> None:
    for listener in _listener(store, now, show_people_in_channel=True):
        assert "Alice Example" in _reply(listener, "users public", VIEWER)
        assert "Alice Example" not in _reply(listener, "users public", READER)


def test_openai_only_week_has_users_as_token_shares(tmp_path: Path, today: date) -> None:
    with Store(tmp_path / "o.db") as store:
        store.replace_provider_data(openai_week(today - ONE), synced_at(today))
        users = load_spenders(store, parse_period("week", today), USER, people=True)
    assert [(u.name, u.basis, u.total) for u in users.lines] == [("Bob <@U999> Person", TOKEN_SHARE, Decimal(70))]


def test_cli_refuses_a_second_period_and_emails_for_keys(
    db: Path, now: datetime, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"AISPEND_DB": str(db)}
    assert main(["report", "week", "30d"], env, clock=lambda: now) == 2
    assert "`report week` takes one period, but got '30d' too." in capsys.readouterr().err
    assert main(["report", "keys", "--emails"], env, clock=lambda: now) == 2
    assert "--emails goes with `aispend report users` and `aispend report claude-code` only." in capsys.readouterr().err
    assert main(["report", "keys", "30d", "--json"], env, clock=lambda: now) == 0
    loaded = json.loads(capsys.readouterr().out, parse_float=Decimal)
    assert len(loaded["keys"]) == 6 and loaded["notes"] == [SHARE_REASON]

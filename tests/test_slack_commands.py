"""Parsing `/aispend` text, the help text, and the access rules (pure functions)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.slack.access import Policy, admin_refusal, read_refusal
from bot.slack.commands import (
    Budget,
    Command,
    Help,
    Report,
    Sync,
    help_text,
    is_admin_command,
    parse_amount,
    parse_command,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Report("summary", "week")),
        ("   ", Report("summary", "week")),
        ("week", Report("summary", "week")),
        ("TODAY", Report("summary", "today")),
        ("yesterday", Report("summary", "yesterday")),
        ("month", Report("summary", "month")),
        ("30d", Report("summary", "30d")),
        ("400d", Report("summary", "400d")),
        ("1D", Report("summary", "1d")),
        ("public", Report("summary", "week", public=True)),
        ("week public", Report("summary", "week", public=True)),
        ("public month", Report("summary", "month", public=True)),
        ("models", Report("models", "week")),
        ("models month", Report("models", "month")),
        ("model 7d public", Report("models", "7d", public=True)),
        ("workspaces", Report("workspaces", "week")),
        ("projects yesterday", Report("workspaces", "yesterday")),
        ("budget", Budget("show")),
        ("budget show", Budget("show")),
        ("budget public", Budget("show", public=True)),
        ("budget set 500", Budget("set", Decimal("500"))),
        ("budget set $1,200", Budget("set", Decimal("1200"))),
        ("budget set 1200.50", Budget("set", Decimal("1200.50"))),
        ("BUDGET SET 0.01", Budget("set", Decimal("0.01"))),
        ("budget clear", Budget("clear")),
        ("sync", Sync()),
        ("sync public", Sync(public=True)),
        ("help", Help()),
        ("help me please", Help()),
    ],
)
def test_parse_command(text: str, expected: Command) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "weak",
            "I don't know “weak”: start with a period (today, yesterday, week, month, 30d) "
            "or one of models, workspaces, keys, users, claude-code, budget, alerts, export, sync, help.",
        ),
        ("0d", "“0d” is out of range: use between 1d and 400d."),
        ("401d", "“401d” is out of range: use between 1d and 400d."),
        ("models fortnight", "“fortnight” is not a period: use today, yesterday, week, month or Nd (1d to 400d)."),
        ("week month", "`week` takes nothing after it, but got “month”."),
        ("models week extra", "`models week` takes nothing after it, but got “extra”."),
        ("sync now", "`sync` takes nothing after it, but got “now”."),
        ("budget set", "`budget set` needs an amount in US dollars, such as `budget set 500`."),
        ("budget set abc", "“abc” is not an amount: write US dollars such as 500, 1200.50 or $1,200."),
        ("budget set 1e9", "“1e9” is not an amount: write US dollars such as 500, 1200.50 or $1,200."),
        ("budget set -5", "“-5” is not an amount: write US dollars such as 500, 1200.50 or $1,200."),
        ("budget set 0", "The budget must be above $0: to remove it, use `budget clear`."),
        ("budget set 500 now", "`budget set 500` takes nothing after it, but got “now”."),
        ("budget raise 5", "`budget` understands `set <usd>` and `clear`, not “raise”."),
        ("budget clear all", "`budget clear` takes nothing after it, but got “all”."),
        # Slack escapes &, < and >; the word is echoed as typed and escaped again for mrkdwn
        (
            "&lt;!channel&gt;",
            "I don't know “&lt;!channel&gt;”: start with a period (today, yesterday, week, month, "
            "30d) or one of models, workspaces, keys, users, claude-code, budget, alerts, export, sync, help.",
        ),
        (
            "`rm`",
            "I don't know “'rm'”: start with a period (today, yesterday, week, month, 30d) "
            "or one of models, workspaces, keys, users, claude-code, budget, alerts, export, sync, help.",
        ),
    ],
)
def test_malformed_input_names_the_problem(text: str, problem: str) -> None:
    assert parse_command(text) == Help(problem)


def test_long_words_are_shortened_in_the_problem() -> None:
    result = parse_command("x" * 500)
    assert result == Help(
        "I don't know “" + "x" * 39 + "…”: start with a period (today, yesterday, week, month, 30d) "
        "or one of models, workspaces, keys, users, claude-code, budget, alerts, export, sync, help."
    )


@pytest.mark.parametrize(
    ("text", "amount"),
    [("500", "500"), ("$500", "500"), ("1,200", "1200"), ("$1,200.5", "1200.5"), ("12345678.99", "12345678.99")],
)
def test_parse_amount_is_exact(text: str, amount: str) -> None:
    parsed = parse_amount(text)
    assert parsed == Decimal(amount) and str(parsed) == amount


@pytest.mark.parametrize("text", ["", "$", "1,20", "12,3456", "1.234", "NaN", "Infinity", "1e3", "+5", "5$", "1 200"])
def test_parse_amount_rejects(text: str) -> None:
    assert parse_amount(text) is None


def test_admin_commands() -> None:
    assert [is_admin_command(parse_command(t)) for t in ("budget set 5", "budget clear", "sync")] == [True] * 3
    assert [is_admin_command(parse_command(t)) for t in ("budget", "week", "models", "help")] == [False] * 4


def test_help_text_lists_every_subcommand_and_the_problem_first() -> None:
    text = help_text("“weak” is not a period.")
    lines = text.splitlines()
    assert lines[0] == ":warning: “weak” is not a period."
    assert lines[2] == "*`/aispend`: what the team spends on the Anthropic and OpenAI APIs*"
    for usage in (
        "/aispend [PERIOD]",
        "/aispend models [PERIOD]",
        "/aispend workspaces [PERIOD]",
        "/aispend budget`",
        "/aispend budget set 500",
        "/aispend budget clear",
        "/aispend sync",
        "/aispend help",
    ):
        assert usage in text
    assert "Add `public` to post the answer in the channel" in text
    assert not help_text().startswith(":warning:")


# --- access -----------------------------------------------------------------------------------------------------


OPEN = Policy()
LIMITED = Policy(
    admin_users=frozenset({"UADMIN"}), allowed_users=frozenset({"UREADER"}), allowed_channels=frozenset({"C1", "C2"})
)


def test_everyone_may_read_when_no_allowlist_is_set() -> None:
    assert read_refusal(OPEN, "UANY", "CANY") is None


def test_allowed_users_and_admins_may_read_in_allowed_channels() -> None:
    assert read_refusal(LIMITED, "UREADER", "C1") is None
    assert read_refusal(LIMITED, "UADMIN", "C2") is None


def test_other_users_are_told_how_to_get_access() -> None:
    assert read_refusal(LIMITED, "USTRANGER", "C1") == (
        ":lock: Sorry, AI spend is shared with a limited group and you're not in it yet. To get access, ask "
        "whoever runs aispend to add your Slack user ID `USTRANGER` to AISPEND_ALLOWED_USERS."
    )


def test_other_channels_are_refused_with_the_allowed_ones_named() -> None:
    assert read_refusal(LIMITED, "UREADER", "C9") == (
        ":lock: Sorry, aispend only answers in <#C1>, <#C2>. Try the command there, or ask whoever runs aispend "
        "to add this channel's ID `C9` to AISPEND_ALLOWED_CHANNELS."
    )


def test_only_admins_may_change_things() -> None:
    assert admin_refusal(LIMITED, "UADMIN", "change the budget") is None
    assert admin_refusal(LIMITED, "UREADER", "change the budget") == (
        ":lock: Sorry, only aispend admins can change the budget. Ask one of them to do it, or ask whoever runs "
        "aispend to add your Slack user ID `UREADER` to AISPEND_ADMIN_USERS."
    )


def test_nobody_may_change_things_without_admins() -> None:
    assert admin_refusal(OPEN, "UANY", "run a sync") == (
        ":lock: Sorry, nobody can run a sync from Slack yet: whoever runs aispend can list admins' Slack user IDs "
        "in AISPEND_ADMIN_USERS (yours is `UANY`) and restart the bot."
    )

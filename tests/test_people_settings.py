"""AISPEND_PEOPLE_VIEWERS and AISPEND_SHOW_PEOPLE_IN_CHANNEL (issue 11, CONTRACT §3): read and checked like the
other Slack ID lists and switches, and emails never reach a log."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import load_settings
from bot.errors import ConfigError
from bot.slack.access import Policy, may_see_people
from bot.slack.commands import parse_command
from bot.slack.listener import CommandListener
from bot.store import Store
from tests.spender_data import ALICE_EMAIL, fill


def test_people_settings_are_read_and_default_to_nobody(tmp_path: Path) -> None:
    default = load_settings({}, tmp_path)
    assert (default.people_viewers, default.show_people_in_channel) == (frozenset(), False)
    conf = load_settings(
        {"AISPEND_PEOPLE_VIEWERS": "U0123ABCDEF, W0456", "AISPEND_SHOW_PEOPLE_IN_CHANNEL": "true"}, tmp_path
    )
    assert conf.people_viewers == frozenset({"U0123ABCDEF", "W0456"}) and conf.show_people_in_channel


def test_malformed_people_settings_are_refused_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(
            {"AISPEND_PEOPLE_VIEWERS": "@alice,<@U0123ABCDEF>", "AISPEND_SHOW_PEOPLE_IN_CHANNEL": "maybe"}, tmp_path
        )
    problems = err.value.problems
    assert "AISPEND_PEOPLE_VIEWERS holds '<@U0123ABCDEF>': write the ID alone, U0123ABCDEF." in problems
    assert any(p.startswith("AISPEND_PEOPLE_VIEWERS holds '@alice', which is not a Slack member ID") for p in problems)
    assert "AISPEND_SHOW_PEOPLE_IN_CHANNEL must be true or false; it is 'maybe'." in problems


def test_who_may_see_people() -> None:
    policy = Policy(admin_users=frozenset({"UA"}), people_viewers=frozenset({"UV"}))
    assert may_see_people(policy, "UA", False) and may_see_people(policy, "UV", False)
    assert not may_see_people(policy, "UR", False)
    assert not may_see_people(policy, "UA", True)  # public replies: never, by default
    shown = Policy(admin_users=frozenset({"UA"}), show_people_in_channel=True)
    assert may_see_people(shown, "UA", True) and not may_see_people(shown, "UR", True)


@pytest.mark.dates
def test_emails_never_reach_a_log(
    tmp_path: Path,
    today: date,
    now: datetime,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "a.db"
    with Store(db) as store:
        fill(store, today)
        conf = load_settings({"AISPEND_ADMIN_USERS": "UADMIN", "AISPEND_DB": str(db)}, tmp_path)
        with ThreadPoolExecutor(1) as work:
            listener = CommandListener(store=store, settings=conf, now=lambda: now, sync_now=None, work=work)
            for text in ("users", "keys", "week", "users public"):
                listener.answer(parse_command(text), "UADMIN")
    env = {"AISPEND_DB": str(db)}
    for argv in (["report", "users"], ["report", "keys"], ["report", "--json"], ["alerts", "--dry-run"]):
        assert main(["-v", *argv], env, clock=lambda: now) == 0
    out = capsys.readouterr()
    assert ALICE_EMAIL not in out.out + out.err
    assert not [r for r in caplog.records if ALICE_EMAIL in r.getMessage()]

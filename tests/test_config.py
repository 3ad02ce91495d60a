"""Configuration from a mapping and .env: defaults, _FILE secrets, every problem named at once, key hints."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

from bot.config import Secret, Settings, load_settings
from bot.errors import ConfigError


def test_defaults_match_the_contract(tmp_path: Path) -> None:
    settings = load_settings({}, tmp_path)
    assert settings == Settings()
    assert settings.anthropic_base_url == "https://api.anthropic.com"
    assert settings.openai_base_url == "https://api.openai.com/v1"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert (settings.port, settings.db_path, settings.backfill_days) == (3000, "./aispend.db", 90)
    assert (settings.spike_pct, settings.spike_min_usd, settings.sync_interval_minutes) == (
        Decimal(25),
        Decimal(10),
        60,
    )
    assert settings.configured_providers == []


def test_values_are_parsed(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "ANTHROPIC_ADMIN_API_KEY": "sk-ant-admin01-abc",
            "OPENAI_ADMIN_KEY": "sk-admin-xyz",
            "AISPEND_MONTHLY_BUDGET_USD": "$1,200.50",
            "AISPEND_SPIKE_PCT": "40",
            "AISPEND_ADMIN_USERS": "U1, U2;U3",
            "AISPEND_ALERT_CHANNEL": "C0123",
            "PORT": "8080",
        },
        tmp_path,
    )
    assert settings.anthropic_admin_key == Secret("sk-ant-admin01-abc")
    assert settings.configured_providers == ["anthropic", "openai"]
    assert settings.monthly_budget_usd == Decimal("1200.50")
    assert settings.spike_pct == Decimal(40)
    assert settings.admin_users == frozenset({"U1", "U2", "U3"})
    assert (settings.alert_channel, settings.port) == ("C0123", 8080)


def test_secret_never_prints_itself() -> None:
    secret = Secret("sk-ant-admin01-very-secret")
    assert "very-secret" not in repr(secret)
    assert "very-secret" not in str(secret)
    assert "very-secret" not in repr(Settings(anthropic_admin_key=secret))
    assert secret.reveal() == "sk-ant-admin01-very-secret"


def test_secret_from_file(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("sk-admin-from-file\n")
    settings = load_settings({"OPENAI_ADMIN_KEY_FILE": str(key_file)}, tmp_path)
    assert settings.openai_admin_key == Secret("sk-admin-from-file")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(
            {
                "PORT": "http",
                "AISPEND_SPIKE_PCT": "lots",
                "AISPEND_ALERT_CHANNEL": "#alerts",
                "OPENAI_ADMIN_KEY_FILE": str(tmp_path / "missing"),
                "AISPEND_BACKFILL_DAYS": "900",
                "SLACK_API_URL": "slack.com",
            },
            tmp_path,
        )
    problems = caught.value.problems
    assert len(problems) == 6
    assert problems[0].startswith("OPENAI_ADMIN_KEY_FILE names")
    assert any(p.startswith("PORT must be a whole number from 1 to 65535") for p in problems)
    assert any(p.startswith("AISPEND_SPIKE_PCT must be a number") for p in problems)
    assert any("channel ID such as C0123456789" in p for p in problems)
    assert any(p.startswith("AISPEND_BACKFILL_DAYS must be a whole number from 1 to 400") for p in problems)
    assert any(p.startswith("SLACK_API_URL must be an http(s) URL") for p in problems)


@pytest.mark.parametrize(
    ("variable", "key", "needle"),
    [
        ("ANTHROPIC_ADMIN_KEY", "sk-ant-api03-regular", "Admin key (sk-ant-admin…)"),
        ("OPENAI_ADMIN_KEY", "sk-proj-regular", "a project key (sk-proj-…)"),
        ("OPENAI_ADMIN_KEY", "sk-svcacct-abc", "a service-account key"),
    ],
)
def test_regular_keys_get_a_hint(tmp_path: Path, variable: str, key: str, needle: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({variable: key}, tmp_path)
    message = str(caught.value)
    assert needle in message
    assert key not in message  # the key itself is never echoed


def test_anthropic_hint_mentions_individual_accounts(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="set up an Organization"):
        load_settings({"ANTHROPIC_ADMIN_KEY": "sk-ant-api03-x"}, tmp_path)


def test_dotenv_is_read_and_environment_wins(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text('AISPEND_DB="/data/spend.db"\nPORT=4000\n# comment\n')
    os.chmod(tmp_path / ".env", 0o600)
    settings = load_settings({"PORT": "5000"}, tmp_path)
    assert (settings.db_path, settings.port, settings.warnings) == ("/data/spend.db", 5000, ())


def test_world_readable_dotenv_warns(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PORT=4000\n")
    os.chmod(tmp_path / ".env", 0o644)
    settings = load_settings({}, tmp_path)
    assert len(settings.warnings) == 1
    assert "chmod 600" in settings.warnings[0]


def test_both_value_and_file_is_an_error(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("sk-admin-b")
    with pytest.raises(ConfigError, match="keep only one of them"):
        load_settings({"OPENAI_ADMIN_KEY": "sk-admin-a", "OPENAI_ADMIN_KEY_FILE": str(key_file)}, tmp_path)


@pytest.mark.parametrize("variable", ["OPENAI_ADMIN_KEY", "OPENAI_ADMIN_KEY_FILE"])
def test_a_secret_broken_across_lines_is_refused_without_echoing_it(tmp_path: Path, variable: str) -> None:
    # sent as a header, the line break made httpx raise "Illegal header value b'Bearer sk-admin-…'", key and all
    key_file = tmp_path / "key"
    key_file.write_text("sk-admin-first-half\nsecond-half\n")
    value = str(key_file) if variable.endswith("_FILE") else "sk-admin-first-half\nsecond-half"
    with pytest.raises(ConfigError) as caught:
        load_settings({variable: value}, tmp_path)
    assert caught.value.problems == [
        "OPENAI_ADMIN_KEY contains a space, line break or control character: set it to the secret alone, on one line."
    ]


def test_a_zero_spike_percent_is_kept(tmp_path: Path) -> None:
    settings = load_settings({"AISPEND_SPIKE_PCT": "0", "AISPEND_SPIKE_MIN_USD": "0"}, tmp_path)
    assert (settings.spike_pct, settings.spike_min_usd) == (Decimal(0), Decimal(0))

"""Configuration from a mapping and .env: defaults, _FILE secrets, every problem named at once, key hints."""

from __future__ import annotations

import os
import threading
from decimal import Decimal
from pathlib import Path

import pytest

from bot.config import Secret, Settings, load_settings
from bot.errors import ConfigError
from bot.slack.commands import Budget, Help, parse_command


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
    assert any(p.startswith("AISPEND_SPIKE_PCT must be a percentage") for p in problems)
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


# ---- bounds: the budget as `/aispend budget set` takes it, every number finite and in range ------------------


@pytest.mark.parametrize(
    "value", ["1e30", "1e400", "1e-30", "0", "0.00", "-5", "NaN", "inf", "1000000000.01", "12.345", "1e3"]
)
def test_a_budget_is_refused_exactly_as_budget_set_refuses_it(tmp_path: Path, value: str) -> None:
    # 1e30 was accepted and then crashed `report month`, `alerts` and every /aispend answer
    with pytest.raises(ConfigError) as caught:
        load_settings({"AISPEND_MONTHLY_BUDGET_USD": value}, tmp_path)
    [problem] = caught.value.problems
    assert problem.startswith("AISPEND_MONTHLY_BUDGET_USD must be ") and problem.endswith(f"; it is {value!r}.")
    assert isinstance(parse_command(f"budget set {value}"), Help)


@pytest.mark.parametrize(("value", "amount"), [("500", "500"), ("$1,200.50", "1200.50"), ("1000000000", "1000000000")])
def test_a_budget_is_accepted_exactly_as_budget_set_accepts_it(tmp_path: Path, value: str, amount: str) -> None:
    settings = load_settings({"AISPEND_MONTHLY_BUDGET_USD": value}, tmp_path)
    assert settings.monthly_budget_usd == Decimal(amount)
    assert parse_command(f"budget set {value}") == Budget("set", Decimal(amount))


@pytest.mark.parametrize("value", ["NaN", "inf", "-inf", "1e400", "-1", "99999999999999999999", "1e3", "1_000", "٣"])
@pytest.mark.parametrize(
    "variable",
    [
        "AISPEND_SPIKE_PCT",
        "AISPEND_SPIKE_MIN_USD",
        "AISPEND_SYNC_INTERVAL_MINUTES",
        "AISPEND_BACKFILL_DAYS",
        "PORT",
    ],
)
def test_every_number_is_finite_and_in_range(tmp_path: Path, variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({variable: value}, tmp_path)
    [problem] = caught.value.problems
    assert problem.startswith(f"{variable} must be ") and problem.endswith(f"; it is {value!r}.")


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("AISPEND_SPIKE_PCT", "12.5", Decimal("12.5")),
        ("AISPEND_SPIKE_PCT", "40%", Decimal(40)),
        ("AISPEND_SPIKE_PCT", "10000", Decimal(10000)),
        ("AISPEND_SPIKE_MIN_USD", "$1,000", Decimal(1000)),
        ("AISPEND_SPIKE_MIN_USD", "0.50", Decimal("0.50")),
    ],
)
def test_numbers_as_people_write_them(tmp_path: Path, variable: str, value: str, expected: Decimal) -> None:
    settings = load_settings({variable: value}, tmp_path)
    assert getattr(settings, variable.removeprefix("AISPEND_").lower()) == expected


@pytest.mark.parametrize(("variable", "value"), [("AISPEND_SPIKE_PCT", "10000.01"), ("AISPEND_SPIKE_MIN_USD", "2e9")])
def test_thresholds_have_an_upper_bound(tmp_path: Path, variable: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"^{variable} must be "):
        load_settings({variable: value}, tmp_path)


# ---- Slack IDs --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("variable", ["AISPEND_ADMIN_USERS", "AISPEND_ALLOWED_USERS"])
@pytest.mark.parametrize("entry", ["uadmin", "@alice", "alice@example.com", "C0123ABCDEF", "U12 3"])
def test_user_lists_refuse_what_is_not_a_member_id(tmp_path: Path, variable: str, entry: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({variable: f"U0123ABCDEF, {entry}"}, tmp_path)
    [problem] = caught.value.problems
    bad = entry.split()[-1] if entry == "U12 3" else entry
    assert problem == (
        f"{variable} holds {bad!r}, which is not a Slack member ID (U or W, then capital letters and digits, such as "
        "U0123ABCDEF): in Slack open the person's profile, then ⋮ › Copy member ID."
    )


def test_a_mention_is_refused_with_the_id_inside_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"AISPEND_ADMIN_USERS": "<@UADMIN>,<@W0123|alice>"}, tmp_path)
    assert caught.value.problems == [
        "AISPEND_ADMIN_USERS holds '<@UADMIN>': write the ID alone, UADMIN.",
        "AISPEND_ADMIN_USERS holds '<@W0123|alice>': write the ID alone, W0123.",
    ]


@pytest.mark.parametrize("entry", ["#general", "general", "c0123ABC", "U0123ABC"])
def test_channel_allowlist_refuses_what_is_not_a_channel_id(tmp_path: Path, entry: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"AISPEND_ALLOWED_CHANNELS": f"C0123ABC;{entry}"}, tmp_path)
    [problem] = caught.value.problems
    assert problem.startswith(f"AISPEND_ALLOWED_CHANNELS holds {entry!r}, which is not a Slack channel ID")
    assert problem.endswith("copy the Channel ID at the bottom.")


@pytest.mark.parametrize("value", ["Cgeneral", "C-alerts", "D0123ABC", "<#C0123ABC>"])
def test_the_alert_channel_must_be_a_channel_id(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match=r"^AISPEND_ALERT_CHANNEL must be a channel ID such as C0123456789"):
        load_settings({"AISPEND_ALERT_CHANNEL": value}, tmp_path)


def test_ids_of_every_kind_are_accepted(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "AISPEND_ADMIN_USERS": "U0123ABCDEF W0456GHIJ",
            "AISPEND_ALLOWED_USERS": "U0123ABCDEF",
            "AISPEND_ALLOWED_CHANNELS": "C0123ABC,G0456DEF,D0789GHI",
            "AISPEND_ALERT_CHANNEL": "G0456DEF",
        },
        tmp_path,
    )
    assert settings.admin_users == frozenset({"U0123ABCDEF", "W0456GHIJ"})
    assert settings.allowed_channels == frozenset({"C0123ABC", "G0456DEF", "D0789GHI"})
    assert settings.alert_channel == "G0456DEF"


# ---- files: .env and X_FILE ---------------------------------------------------------------------------------------


def test_a_dotenv_that_is_not_utf8_names_the_file_and_the_line(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_bytes(b"PORT=4000\n# caf\xe9 latin-1\nAISPEND_DB=x.db\n")
    dotenv.chmod(0o600)
    with pytest.raises(ConfigError) as caught:
        load_settings({}, tmp_path)
    assert caught.value.problems == [
        f"{dotenv} is not UTF-8 text (line 2): save it as UTF-8 (most editors offer UTF-8 under Save As › Encoding)."
    ]


def test_a_dotenv_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    # the mark used to become part of the first name, so the key on line 1 was silently not configured
    dotenv = tmp_path / ".env"
    dotenv.write_bytes("\ufeffOPENAI_ADMIN_KEY=sk-admin-bom\r\nPORT=4000\r\n".encode())
    dotenv.chmod(0o600)
    settings = load_settings({}, tmp_path)
    assert (settings.openai_admin_key, settings.port) == (Secret("sk-admin-bom"), 4000)


def test_a_huge_dotenv_is_refused(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_bytes(b"# padding\n" * 200_000)
    dotenv.chmod(0o600)
    with pytest.raises(ConfigError, match=r"\.env is larger than 1024 KiB: keep only NAME=value lines in it\.$"):
        load_settings({}, tmp_path)


def test_a_secret_file_that_is_not_utf8_is_named_without_its_content(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_bytes(b"sk-admin-latin\xe9\xff-secret\n")
    with pytest.raises(ConfigError) as caught:
        load_settings({"OPENAI_ADMIN_KEY_FILE": str(key_file)}, tmp_path)
    assert caught.value.problems == [
        f"OPENAI_ADMIN_KEY_FILE names {key_file}, which is not UTF-8 text (line 1): write the secret in it as UTF-8 "
        "text (most editors offer UTF-8 under Save As › Encoding)."
    ]
    assert "latin" not in str(caught.value)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_secret_file_that_never_ends_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"SLACK_BOT_TOKEN_FILE": "/dev/zero"}, tmp_path)
    assert caught.value.problems == [
        "SLACK_BOT_TOKEN_FILE names /dev/zero, which is larger than 64 KiB: point the variable at a file holding only "
        "the secret."
    ]


def test_a_secret_file_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_bytes("\ufeffsk-admin-from-notepad\r\n".encode())
    settings = load_settings({"OPENAI_ADMIN_KEY_FILE": str(key_file)}, tmp_path)
    assert settings.openai_admin_key == Secret("sk-admin-from-notepad")


def test_a_secret_file_that_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"OPENAI_ADMIN_KEY_FILE": str(tmp_path)}, tmp_path)
    assert caught.value.problems == [
        f"OPENAI_ADMIN_KEY_FILE names {tmp_path}, which is a directory: point the variable at the file holding the "
        "secret."
    ]


def test_a_dotenv_with_nul_bytes_is_refused_as_not_text(tmp_path: Path) -> None:
    # a NUL reached AISPEND_DB and ended in a ValueError traceback; a .env saved as UTF-16 without a BOM is full
    # of them
    dotenv = tmp_path / ".env"
    dotenv.write_bytes(b"PORT=4000\nAISPEND_DB=./a\x00.db\n")
    dotenv.chmod(0o600)
    with pytest.raises(ConfigError) as caught:
        load_settings({}, tmp_path)
    assert caught.value.problems == [
        f"{dotenv} is not UTF-8 text (line 2 has a NUL byte): save it as UTF-8 (most editors offer UTF-8 under Save "
        "As › Encoding)."
    ]


def test_a_secret_file_with_a_nul_byte_is_named_without_its_content(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_bytes(b"sk-admin-half\x00-secret\n")
    with pytest.raises(ConfigError) as caught:
        load_settings({"OPENAI_ADMIN_KEY_FILE": str(key_file)}, tmp_path)
    assert caught.value.problems == [
        f"OPENAI_ADMIN_KEY_FILE names {key_file}, which is not UTF-8 text (line 1 has a NUL byte): write the secret "
        "in it as UTF-8 text (most editors offer UTF-8 under Save As › Encoding)."
    ]
    assert "half" not in str(caught.value)


def _load_in_thread(environ: dict[str, str], cwd: Path) -> list[object]:
    """load_settings in a thread, so a read that blocks fails the test instead of hanging the suite."""
    outcome: list[object] = []

    def load() -> None:
        try:
            outcome.append(load_settings(environ, cwd))
        except ConfigError as err:
            outcome.append(err)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "load_settings blocked reading the file"
    return outcome


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_secret_file_that_is_a_pipe_nobody_writes_to_does_not_block(tmp_path: Path) -> None:
    pipe = tmp_path / "key"
    os.mkfifo(pipe)
    [outcome] = _load_in_thread({"OPENAI_ADMIN_KEY_FILE": str(pipe)}, tmp_path)
    assert isinstance(outcome, ConfigError)
    assert outcome.problems == [f"OPENAI_ADMIN_KEY_FILE names {pipe}, which is empty: put the secret in it."]


@pytest.mark.skipif(not Path("/dev/fd").is_dir(), reason="needs /dev/fd")
def test_a_secret_file_that_is_a_pipe_being_written_is_read_to_its_end(tmp_path: Path) -> None:
    # OPENAI_ADMIN_KEY_FILE=<(pass show openai) names /dev/fd/63, a pipe whose writer may still be writing
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, b"sk-admin-from-")
        closer = threading.Thread(target=lambda: (os.write(write_end, b"a-pipe\n"), os.close(write_end)))
        closer.start()
        [outcome] = _load_in_thread({"OPENAI_ADMIN_KEY_FILE": f"/dev/fd/{read_end}"}, tmp_path)
        closer.join(timeout=30)
    finally:
        os.close(read_end)
    assert isinstance(outcome, Settings)
    assert outcome.openai_admin_key == Secret("sk-admin-from-a-pipe")

"""`aispend doctor` against the provider simulator and the fake Slack: ✓ and ✗ for every check, exit codes,
and no secret in what it prints.
"""

from __future__ import annotations

import io
import os
import re
import socket
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.config import load_settings
from bot.doctor import run_doctor
from bot.money import fmt_usd, nano_to_usd
from bot.simulator import Fault, Simulator
from bot.store import Store
from tests import clock_support
from tests.env_support import (
    APP_TOKEN,
    BAD_OPENAI_KEY,
    CHANNEL,
    SECRETS,
    closed_port,
    environment,
    leaks,
)
from tests.fake_slack import FakeSlack
from tests.scripted_server import html_page, raw_http

NOW = clock_support.NOW  # the simulator's today and doctor's `now`: the real clock is never read
YESTERDAY = NOW.date() - timedelta(days=1)
MEMBER = {"ok": True, "channel": {"id": CHANNEL, "name": "ai-spend", "is_member": True}}
SCOPES = "commands,chat:write,channels:read,groups:read"


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(today=NOW.date()) as server:
        yield server


@pytest.fixture(autouse=True)
def clean_sim(sim: Simulator) -> None:
    sim.clear_faults()


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        server.responses["/api/conversations.info"] = (200, {}, MEMBER)
        yield server


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env from the working directory


def doctor(env: dict[str, str]) -> tuple[int, list[str]]:
    """run_doctor on the settings `env` gives, without waiting out retries; the exit code and the lines."""
    out = io.StringIO()
    code = run_doctor(load_settings(env, Path.cwd()), out, now=NOW, sleep=lambda seconds: None)
    text = out.getvalue()
    assert leaks({"doctor output": text}) == []
    return code, text.splitlines()


def line(lines: list[str], name: str) -> str:
    found = [entry for entry in lines if re.match(rf"^[✓✗–] {re.escape(name)}( \(optional\))?:", entry)]
    assert len(found) == 1, (name, lines)
    return found[0]


def cost_line(sim: Simulator, provider: str) -> str:
    return fmt_usd(nano_to_usd(sim.org.expected_cost_nano(provider, YESTERDAY, NOW.date())))


def named(sim: Simulator, provider: str) -> int:
    return len([w for w in sim.org.workspaces(provider) if w.id])


@pytest.mark.dates
def test_everything_configured_and_working(
    sim: Simulator, fake: FakeSlack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = environment(sim, fake, tmp_path / "aispend.db")
    assert main(["doctor"], env, clock=lambda: NOW) == 0
    captured = capsys.readouterr()
    assert leaks({"stdout": captured.out, "stderr": captured.err}) == []
    lines = captured.out.splitlines()
    org = sim.org
    assert lines[0] == (
        f"✓ Anthropic key: ANTHROPIC_ADMIN_KEY is accepted; organization {org.anthropic_org_name} "
        f"({org.anthropic_org_id})"
    )
    assert re.fullmatch(
        rf"✓ Anthropic report: one-day report for {YESTERDAY}: {re.escape(cost_line(sim, 'anthropic'))} in \d+ cost "
        rf"rows; {named(sim, 'anthropic')} workspace/project names readable",
        lines[1],
    ), lines[1]
    assert lines[2] == "✓ Anthropic spend caps: 2 spend cap(s) readable (read only)"
    assert lines[3] == f"✓ OpenAI key: OPENAI_ADMIN_KEY is accepted; organization {org.openai_org_id}"
    assert re.fullmatch(
        rf"✓ OpenAI report: one-day report for {YESTERDAY}: {re.escape(cost_line(sim, 'openai'))} in \d+ cost "
        rf"rows; {named(sim, 'openai')} workspace/project names readable",
        lines[4],
    ), lines[4]
    assert re.fullmatch(r"✓ OpenAI spend caps: [12] spend cap\(s\) readable \(read only\)", lines[5]), lines[5]
    assert lines[6:] == [
        f"✓ database: {tmp_path / 'aispend.db'} is writable (it did not exist, so it was created); its schema is "
        "current",
        "Settings in force (admins change them in the App Home's Settings):",
        "  Monthly budget (USD): none, the default",
        "  Spike percent: 25%, the default",
        "  Spike dollar floor (USD): $10.00, the default",
        f"  Alert channel ID: {CHANNEL}, from the environment (AISPEND_ALERT_CHANNEL)",
        "  Digest time (UTC): mon 09:00 UTC, the default",
        "✓ Slack bot token: auth.test ok: bot UBOT in workspace Acme",
        "✓ alert channel: #ai-spend exists and the bot is a member",
        "✓ connection mode: Socket Mode: the app-level token can open a connection",
        "",
        "All required checks passed.",
    ]
    # the app-level token went to apps.connections.open in the Authorization header, as Slack expects
    (opened,) = fake.received("/api/apps.connections.open")
    assert opened.headers["authorization"] == f"Bearer {APP_TOKEN}"
    assert opened.body == {}


def test_a_second_run_finds_the_database_as_it_left_it(sim: Simulator, fake: FakeSlack, tmp_path: Path) -> None:
    env = environment(sim, fake, tmp_path / "aispend.db")
    doctor(env)
    code, lines = doctor(env)
    assert code == 0
    assert line(lines, "database") == f"✓ database: {tmp_path / 'aispend.db'} is writable; its schema is current"


def test_http_mode_needs_the_signing_secret(sim: Simulator, fake: FakeSlack, tmp_path: Path) -> None:
    port = closed_port()  # doctor binds it, as `aispend run` would: not 3000, which anything may hold
    env = environment(sim, fake, tmp_path / "a.db", SLACK_APP_TOKEN=None, PORT=str(port))
    code, lines = doctor(env)
    assert code == 0
    assert line(lines, "connection mode") == (
        f"✓ connection mode: HTTP mode on 0.0.0.0:{port} at /slack/events (SLACK_SIGNING_SECRET is set); point the "
        "Request URLs in manifest.yml at https://<your host>/slack/events"
    )
    code, lines = doctor(environment(sim, fake, tmp_path / "a.db", SLACK_APP_TOKEN=None, SLACK_SIGNING_SECRET=None))
    assert code == 1
    assert line(lines, "connection mode") == (
        "✗ connection mode: HTTP mode needs SLACK_SIGNING_SECRET (Basic Information › App Credentials), or set "
        "SLACK_APP_TOKEN for Socket Mode."
    )
    assert lines[-1] == ("1 required check(s) failed: fix them as each line says, then run aispend doctor again.")


def test_socket_mode_token_problems(sim: Simulator, fake: FakeSlack, tmp_path: Path) -> None:
    code, lines = doctor(environment(sim, fake, tmp_path / "a.db", SLACK_APP_TOKEN="xoxb-not-an-app-token"))
    assert code == 1
    assert line(lines, "connection mode") == (
        "✗ connection mode: Socket Mode: SLACK_APP_TOKEN must be an app-level token (xapp-…)."
    )
    fake.responses["/api/apps.connections.open"] = (200, {}, {"ok": False, "error": "invalid_auth"})
    code, lines = doctor(environment(sim, fake, tmp_path / "a.db"))
    assert code == 1
    assert line(lines, "connection mode") == (
        "✗ connection mode: Socket Mode: apps.connections.open said invalid_auth: create an app-level token with "
        "connections:write (Basic Information › App-Level Tokens) for SLACK_APP_TOKEN, and turn Socket Mode on."
    )


def test_restricted_openai_key_without_organization_read_is_an_optional_failure(
    sim: Simulator, fake: FakeSlack, tmp_path: Path
) -> None:
    code, lines = doctor(environment(sim, fake, tmp_path / "a.db", OPENAI_ADMIN_KEY="sk-admin-restricted-noorg"))
    assert code == 0  # costs and usage still work; only project names are missing
    assert (
        line(lines, "OpenAI key") == f"✓ OpenAI key: OPENAI_ADMIN_KEY is accepted; organization {sim.org.openai_org_id}"
    )
    assert line(lines, "OpenAI report").endswith("0 workspace/project names readable")
    assert line(lines, "OpenAI permissions") == (
        "✗ OpenAI permissions (optional): OpenAI project, API key and user names could not be read (the key lacks "
        "Organization Administration: Read, scope api.management.read), so they are shown by id: give the key "
        "Organization Administration: Read at https://platform.openai.com/settings/organization/admin-keys."
    )


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("sk-ant-admin01-individual", "individual account, which has no Admin API"),
        ("sk-ant-admin01-forbidden", "Anthropic refused ANTHROPIC_ADMIN_KEY (HTTP 403"),
        ("sk-ant-admin01-CANARY-refused-9d2c4b", "Anthropic refused ANTHROPIC_ADMIN_KEY (HTTP 401"),
    ],
)
def test_refused_anthropic_keys_fail_with_the_fix(
    sim: Simulator, fake: FakeSlack, tmp_path: Path, key: str, expected: str
) -> None:
    code, lines = doctor(environment(sim, fake, tmp_path / "a.db", ANTHROPIC_ADMIN_KEY=key))
    assert code == 1
    entry = line(lines, "Anthropic key")
    assert entry.startswith("✗ Anthropic key: ") and expected in entry, entry
    assert "console.anthropic.com/settings/admin-keys" in entry
    assert key not in entry
    # no report is attempted with a refused key, and the other provider is checked as usual
    assert [x for x in lines if x.startswith(("✓ Anthropic report", "✗ Anthropic report"))] == []
    assert line(lines, "OpenAI report").startswith("✓ OpenAI report: ")


def test_a_refused_openai_key_fails_with_the_fix(sim: Simulator, fake: FakeSlack, tmp_path: Path) -> None:
    code, lines = doctor(environment(sim, fake, tmp_path / "a.db", OPENAI_ADMIN_KEY=BAD_OPENAI_KEY))
    assert code == 1
    entry = line(lines, "OpenAI key")
    assert entry.startswith("✗ OpenAI key: OpenAI refused OPENAI_ADMIN_KEY (HTTP 401: ")
    assert entry.endswith(
        "a Restricted key is fine with Usage: Read and Organization Administration: Read, at "
        "https://platform.openai.com/settings/organization/admin-keys. Put it in OPENAI_ADMIN_KEY."
    )


@pytest.mark.parametrize(
    ("variable", "key", "expected"),
    [
        ("ANTHROPIC_ADMIN_KEY", "sk-ant-api03-CANARY-regular-key", "holds a regular API key (sk-ant-api…)"),
        ("OPENAI_ADMIN_KEY", "sk-proj-CANARY-project-key", "holds a project key (sk-proj-…)"),
    ],
)
def test_non_admin_keys_are_configuration_errors(
    sim: Simulator,
    fake: FakeSlack,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    key: str,
    expected: str,
) -> None:
    assert main(["doctor"], environment(sim, fake, tmp_path / "a.db", **{variable: key}), clock=lambda: NOW) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"aispend: {variable} {expected}" in captured.err
    assert leaks({"stderr": captured.err}, [*SECRETS, key]) == []


def test_no_provider_key(sim: Simulator, fake: FakeSlack, tmp_path: Path) -> None:
    code, lines = doctor(environment(sim, fake, tmp_path / "a.db", ANTHROPIC_ADMIN_KEY=None, OPENAI_ADMIN_KEY=None))
    assert code == 1
    assert lines[0] == (
        "✗ providers: no provider key is configured: set ANTHROPIC_ADMIN_KEY and/or OPENAI_ADMIN_KEY (or the _FILE "
        "variant naming a file that holds the key)."
    )


def test_an_unreachable_provider_fails_alone(sim: Simulator, fake: FakeSlack, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    code, lines = doctor(environment(sim, fake, tmp_path / "a.db", OPENAI_BASE_URL=url))
    assert code == 1
    assert line(lines, "OpenAI key") == (
        f"✗ OpenAI key: Could not get an answer from OpenAI at {url} after 5 attempts (ConnectError: [Errno 111] "
        "Connection refused). Check this host's network access to it, or OPENAI_BASE_URL if you set it."
    )
    assert line(lines, "Anthropic report").startswith("✓ Anthropic report: ")


def test_a_failing_report_after_a_good_key(sim: Simulator, fake: FakeSlack, tmp_path: Path) -> None:
    sim.inject(Fault("anthropic", "/v1/organizations/cost_report", kind="status", status=503, times=None))
    code, lines = doctor(environment(sim, fake, tmp_path / "a.db"))
    assert code == 1
    assert line(lines, "Anthropic key").startswith("✓ Anthropic key: ")
    assert line(lines, "Anthropic report").startswith(
        "✗ Anthropic report: Anthropic answered HTTP 503 for /v1/organizations/cost_report: "
    )
    assert line(lines, "Anthropic report").endswith(
        "It is having problems: run `aispend sync` again later (status: https://status.anthropic.com)."
    )
    assert line(lines, "OpenAI report").startswith("✓ OpenAI report: ")


# ---- Slack --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "fix"),
    [
        (
            "invalid_auth",
            "the token is wrong: copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions into SLACK_BOT_TOKEN.",
        ),
        ("token_revoked", "the token was revoked (app uninstalled?): reinstall the app and update SLACK_BOT_TOKEN."),
        ("something_new", "check SLACK_BOT_TOKEN."),
    ],
)
def test_a_refused_bot_token(sim: Simulator, fake: FakeSlack, tmp_path: Path, code: str, fix: str) -> None:
    fake.responses["/api/auth.test"] = (200, {}, {"ok": False, "error": code})
    status, lines = doctor(environment(sim, fake, tmp_path / "a.db"))
    assert status == 1
    assert lines[-4:] == [
        f"✗ Slack bot token: auth.test said {code}: {fix}",
        # the channel cannot be checked with a refused token; the connection mode still is
        "✓ connection mode: Socket Mode: the app-level token can open a connection",
        "",
        "1 required check(s) failed: fix them as each line says, then run aispend doctor again.",
    ]


def test_a_user_token_is_not_a_bot_token(sim: Simulator, fake: FakeSlack, tmp_path: Path) -> None:
    fake.responses["/api/auth.test"] = (200, {}, {"ok": True, "user_id": "U1", "user": "someone", "team": "Acme"})
    code, lines = doctor(environment(sim, fake, tmp_path / "a.db"))
    assert code == 1
    assert line(lines, "Slack bot token") == (
        "✗ Slack bot token: SLACK_BOT_TOKEN is not a bot token (a user token, xoxp-…?): use the Bot User OAuth "
        "Token (xoxb-…) from OAuth & Permissions."
    )


def test_slack_unreachable(sim: Simulator, tmp_path: Path) -> None:
    env = environment(sim, None, tmp_path / "a.db", SLACK_APP_TOKEN=None)
    env["SLACK_API_URL"] = f"http://127.0.0.1:{closed_port()}/api/"
    code, lines = doctor(env)
    assert code == 1
    assert line(lines, "Slack bot token") == (
        "✗ Slack bot token: cannot reach Slack (URLError): check SLACK_API_URL and this host's network access to Slack."
    )


def test_slack_settings_without_a_bot_token(sim: Simulator, fake: FakeSlack, tmp_path: Path) -> None:
    code, lines = doctor(environment(sim, fake, tmp_path / "a.db", SLACK_BOT_TOKEN=None, SLACK_SIGNING_SECRET=None))
    assert code == 1
    assert lines[-3] == (
        "✗ Slack bot token: SLACK_APP_TOKEN, AISPEND_ALERT_CHANNEL is set but SLACK_BOT_TOKEN is not: set it to the "
        "Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page."
    )


def test_slack_not_configured_is_not_a_failure(sim: Simulator, tmp_path: Path) -> None:
    env = environment(
        sim,
        None,
        tmp_path / "a.db",
        SLACK_BOT_TOKEN=None,
        SLACK_APP_TOKEN=None,
        SLACK_SIGNING_SECRET=None,
        AISPEND_ALERT_CHANNEL=None,
    )
    code, lines = doctor(env)
    assert code == 0
    assert lines[-3:] == [
        "– Slack: not configured; `aispend run` needs SLACK_BOT_TOKEN (and SLACK_APP_TOKEN or SLACK_SIGNING_SECRET).",
        "",
        "All required checks passed.",
    ]


def _channel(info: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
    return 200, {}, {"ok": True, "channel": {"id": CHANNEL, "name": "ai-spend", **info}}


@pytest.mark.parametrize(
    ("scopes", "answer", "expected", "code"),
    [
        (
            None,
            _channel({"is_member": False}),
            "✓ alert channel: #ai-spend is public; the bot posts there with "
            "chat:write.public (otherwise type /invite @aispend in that channel)",
            0,
        ),
        (
            SCOPES + ",chat:write.public",
            _channel({"is_member": False}),
            "✓ alert channel: #ai-spend is public and the app has chat:write.public, so the bot may post",
            0,
        ),
        (
            SCOPES,
            _channel({"is_member": False}),
            "✗ alert channel: the bot is not in #ai-spend and the app lacks "
            "chat:write.public: type /invite @aispend in that channel, or add the scope and reinstall.",
            1,
        ),
        (SCOPES, _channel({"is_member": True}), "✓ alert channel: #ai-spend exists and the bot is a member", 0),
        (
            "commands",
            _channel({"is_member": True}),
            "✗ alert channel: the app lacks the chat:write scope: add it (see manifest.yml) and reinstall.",
            1,
        ),
        (
            None,
            _channel({"is_member": False, "is_private": True}),
            "✗ alert channel: #ai-spend is private and the bot is not in it: type /invite @aispend in that channel.",
            1,
        ),
        (
            None,
            _channel({"is_member": True, "is_archived": True}),
            "✗ alert channel: #ai-spend is archived: choose another channel for AISPEND_ALERT_CHANNEL.",
            1,
        ),
        (
            None,
            (200, {}, {"ok": False, "error": "channel_not_found"}),
            f"✗ alert channel: {CHANNEL} not found: set "
            "AISPEND_ALERT_CHANNEL to the channel ID (C…), and if the channel is private, type /invite @aispend in "
            "that channel.",
            1,
        ),
        (
            None,
            (200, {}, {"ok": False, "error": "missing_scope"}),
            "✗ alert channel: the app lacks channels:read/groups:read: add them (see manifest.yml) and reinstall.",
            1,
        ),
        (
            None,
            (200, {}, {"ok": True}),
            "✗ alert channel: conversations.info gave no channel: check SLACK_API_URL points at Slack.",
            1,
        ),
    ],
)
def test_the_alert_channel(
    sim: Simulator,
    fake: FakeSlack,
    tmp_path: Path,
    scopes: str | None,
    answer: tuple[int, dict[str, str], dict[str, Any]],
    expected: str,
    code: int,
) -> None:
    if scopes is not None:
        body = {"ok": True, "user_id": "UBOT", "user": "aispend", "bot_id": "B1", "team": "Acme"}
        fake.responses["/api/auth.test"] = (200, {"x-oauth-scopes": scopes}, body)
    fake.responses["/api/conversations.info"] = answer
    status, lines = doctor(environment(sim, fake, tmp_path / "a.db"))
    assert (status, line(lines, "alert channel")) == (code, expected)


def test_settings_are_listed_with_where_each_comes_from(sim: Simulator, fake: FakeSlack, tmp_path: Path) -> None:
    """A value saved from Slack wins over the environment's, and doctor checks the channel in force."""
    db = tmp_path / "a.db"
    with Store(db) as store:
        store.set_settings({"budget_usd": "2500", "alert_channel": "C0SAVED", "digest_at": "fri 17:30"})
    env = environment(sim, fake, db, AISPEND_SPIKE_PCT="30", AISPEND_MONTHLY_BUDGET_USD="900")
    code, lines = doctor(env)
    assert code == 0
    start = lines.index("Settings in force (admins change them in the App Home's Settings):")
    assert lines[start + 1 : start + 6] == [
        "  Monthly budget (USD): $2,500.00, saved from Slack",
        "  Spike percent: 30%, from the environment (AISPEND_SPIKE_PCT)",
        "  Spike dollar floor (USD): $10.00, the default",
        "  Alert channel ID: C0SAVED, saved from Slack",
        "  Digest time (UTC): fri 17:30 UTC, saved from Slack",
    ]
    (checked,) = fake.received("/api/conversations.info")
    assert checked.body["channel"] == "C0SAVED"


def test_a_saved_setting_that_no_longer_passes_is_set_aside(sim: Simulator, fake: FakeSlack, tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    with Store(db) as store:
        store.set_setting("spike_pct", "lots")  # a database edited by hand
    code, lines = doctor(environment(sim, fake, db))
    assert code == 0  # optional: the environment's value applies
    assert line(lines, "saved settings").startswith(
        "✗ saved settings (optional): The spike percent saved from Slack ('lots') is set aside: Must be a percentage"
    )
    assert "  Spike percent: 25%, the default" in lines


def test_no_alert_channel_is_not_a_failure(sim: Simulator, fake: FakeSlack, tmp_path: Path) -> None:
    code, lines = doctor(environment(sim, fake, tmp_path / "a.db", AISPEND_ALERT_CHANNEL=None))
    assert code == 0
    assert line(lines, "alert channel") == (
        "– alert channel: AISPEND_ALERT_CHANNEL is not set; alerts and digests are not posted."
    )


# ---- the database -------------------------------------------------------------------------------------------


def test_a_database_in_a_missing_directory(sim: Simulator, fake: FakeSlack, tmp_path: Path) -> None:
    db = tmp_path / "nowhere" / "aispend.db"
    code, lines = doctor(environment(sim, fake, db))
    assert code == 1
    assert line(lines, "database") == (
        f"✗ database: Cannot open the database {db}: the directory {db.parent} does not exist; set AISPEND_DB to a "
        "writable path."
    )


def test_a_file_that_is_not_a_database(sim: Simulator, fake: FakeSlack, tmp_path: Path) -> None:
    db = tmp_path / "aispend.db"
    db.write_bytes(b"this is not an SQLite database, just some text that happens to be here" * 20)
    code, lines = doctor(environment(sim, fake, db))
    assert code == 1
    assert line(lines, "database") == (
        f"✗ database: The database {db} is damaged or is not an aispend database (file is not a database): restore "
        "it from a backup, or move it aside and run `aispend sync` to build a new one (set AISPEND_DB if it is the "
        "wrong file)."
    )


def test_a_database_from_a_newer_release(sim: Simulator, fake: FakeSlack, tmp_path: Path) -> None:
    db = tmp_path / "aispend.db"
    Store(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('aispend', '900_next', 'later')"
        )
    conn.close()
    code, lines = doctor(environment(sim, fake, db))
    assert code == 1
    assert line(lines, "database") == (
        f"✗ database: The database {db} was made by a newer aispend (its schema has aispend/900_next, which this "
        "release does not know): upgrade aispend to use it."
    )


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_a_database_others_can_read_is_an_optional_failure(sim: Simulator, fake: FakeSlack, tmp_path: Path) -> None:
    db = tmp_path / "aispend.db"
    Store(db).close()
    db.chmod(0o644)
    code, lines = doctor(environment(sim, fake, db))
    assert code == 0
    assert line(lines, "database permissions") == (
        f"✗ database permissions (optional): {db} is readable by other users; the database holds your organization's "
        f"spend, names and settings, so run: chmod 600 {db}"
    )


# ---- doctor refuses what `aispend run` refuses, in the same words ---------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"AISPEND_DIGEST_AT": "someday 25:99"},
        {"AISPEND_DIGEST_AT": "mon 09:00", "AISPEND_MONTHLY_BUDGET_USD": "1e30"},
        {"AISPEND_DIGEST_AT": "funday 09:00", "AISPEND_ADMIN_USERS": "uadmin"},
    ],
)
def test_doctor_refuses_what_run_refuses(
    sim: Simulator,
    fake: FakeSlack,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    overrides: dict[str, str],
) -> None:
    env = environment(sim, fake, tmp_path / "a.db", **overrides)
    assert main(["doctor"], env, clock=lambda: NOW) == 2
    doctor_said = capsys.readouterr()
    assert doctor_said.out == "" and doctor_said.err.startswith("aispend: ")
    assert main(["run"], env, clock=lambda: NOW) == 2
    run_said = capsys.readouterr()
    assert run_said.err == doctor_said.err
    assert "Traceback" not in doctor_said.err
    assert not (tmp_path / "a.db").exists()  # refused before anything was opened


def test_a_web_page_answering_for_slack_is_not_blamed_on_the_bot_token(
    sim: Simulator, fake: FakeSlack, tmp_path: Path
) -> None:
    with raw_http(html_page(b"<html><h1>Please sign in to the hotel Wi-Fi</h1></html>")) as url:
        env = {**environment(sim, fake, tmp_path / "a.db"), "SLACK_API_URL": f"{url}/api/"}
        status, lines = doctor(env)
    assert status == 1
    assert line(lines, "Slack bot token") == (
        "✗ Slack bot token: SLACK_API_URL answered auth.test with a page that is not Slack's Web API (a proxy or a "
        "captive portal?): check this host's network connection and any HTTPS_PROXY setting, and set SLACK_API_URL "
        "to https://slack.com/api/ (or remove it)."
    )


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port on 127.0.0.1 another program listens on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_http_mode_checks_the_address_it_would_listen_on(sim: Simulator, fake: FakeSlack, tmp_path: Path) -> None:
    port = closed_port()
    env = environment(sim, fake, tmp_path / "a.db", SLACK_APP_TOKEN=None, AISPEND_HOST="127.0.0.1", PORT=str(port))
    code, lines = doctor(env)
    assert code == 0
    assert line(lines, "connection mode") == (
        f"✓ connection mode: HTTP mode on 127.0.0.1:{port} at /slack/events (SLACK_SIGNING_SECRET is set); point the "
        "Request URLs in manifest.yml at https://<your host>/slack/events"
    )


def test_doctor_refuses_an_address_run_cannot_listen_on(
    sim: Simulator, fake: FakeSlack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `aispend run` ended in a SchedulerNotRunningError traceback here, and doctor passed; 192.0.2.1 (TEST-NET-1)
    # is no address of this machine, and needs no name lookup
    env = environment(sim, fake, tmp_path / "a.db", SLACK_APP_TOKEN=None, AISPEND_HOST="192.0.2.1")
    assert main(["run"], env, clock=lambda: NOW) == 2
    run_said = capsys.readouterr().err
    assert "Traceback" not in run_said
    problem = run_said.removeprefix("aispend: ").strip()
    assert problem == (
        "Cannot listen on 192.0.2.1:3000 (Cannot assign requested address): set PORT to a free port (and "
        "AISPEND_HOST to an address of this machine)."
    )
    code, lines = doctor(env)
    assert code == 1
    assert line(lines, "connection mode") == f"✗ connection mode: HTTP mode: {problem}"


def test_a_port_in_use_is_an_optional_failure_since_it_may_be_the_running_bot(
    sim: Simulator, fake: FakeSlack, tmp_path: Path, capsys: pytest.CaptureFixture[str], taken_port: int
) -> None:
    env = environment(
        sim, fake, tmp_path / "a.db", SLACK_APP_TOKEN=None, AISPEND_HOST="127.0.0.1", PORT=str(taken_port)
    )
    assert main(["run"], env, clock=lambda: NOW) == 2
    run_said = capsys.readouterr().err
    assert run_said == (
        f"aispend: Cannot listen on 127.0.0.1:{taken_port} (Address already in use): set PORT to a free port (and "
        "AISPEND_HOST to an address of this machine).\n"
    )
    code, lines = doctor(env)
    assert code == 0
    assert line(lines, "connection mode") == (
        f"✗ connection mode (optional): HTTP mode: Cannot listen on 127.0.0.1:{taken_port} (Address already in use): "
        "if that is aispend already running, this is expected; otherwise set PORT to a free port."
    )


def test_claude_code_analytics_refused_is_an_optional_failure_in_one_sentence(
    sim: Simulator, fake: FakeSlack, tmp_path: Path
) -> None:
    sim.inject(Fault("anthropic", "/v1/organizations/usage_report/claude_code", status=403, times=None))
    code, lines = doctor(environment(sim, fake, tmp_path / "aispend.db"))
    assert code == 0  # billed spend still syncs: the estimates are optional
    assert line(lines, "Anthropic report").startswith("✓ Anthropic report:")
    assert line(lines, "Anthropic permissions") == (
        "✗ Anthropic permissions (optional): Anthropic's Claude Code Analytics API refused ANTHROPIC_ADMIN_KEY "
        "(HTTP 401/403), so Claude Code activity is not shown (billed spend is unaffected): it needs an Admin key of "
        "an organization that uses Claude Code on the Claude API."
    )

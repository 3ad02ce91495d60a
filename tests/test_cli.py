"""The CLI as a user runs it: a subprocess, its exit code and its streams."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.store import Store
from tests.clock_support import NOW
from tests.env_support import closed_port

REPO = Path(__file__).resolve().parents[1]


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    # `aispend demo | head -1`: the reader leaves after one line; no traceback may follow
    with subprocess.Popen(
        [sys.executable, "-m", "tests.cli_at", NOW.isoformat(), "demo"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()
        errors = proc.stderr.read().decode()
        code = proc.wait(timeout=60)
    assert first.startswith(b"aispend demo: simulator on http://127.0.0.1:")
    assert "Traceback" not in errors and "BrokenPipeError" not in errors
    assert code == 1


@pytest.mark.dates
def test_the_demo_shows_spend_by_key_and_the_key_behind_the_spike(now: datetime) -> None:
    # the demo's clock is the suite's (tests/cli_at.py), so its simulator's week is the same on any real date
    done = subprocess.run(
        [sys.executable, "-m", "tests.cli_at", now.isoformat(), "demo"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    week, rest = done.stdout.split("\n`aispend report keys` would print:\n\n", 1)
    keys, spike = rest.split("\n\nThe spike alert aispend would post to AISPEND_ALERT_CHANNEL:\n\n", 1)
    assert "\nTop spenders (API keys): ci-nightly · Anthropic $" in week
    first, last = now.date() - timedelta(days=7), now.date() - timedelta(days=1)
    title, *lines = keys.splitlines()
    assert title == f"AI spend by API key, last 7 days: {first} to {last} (UTC)"
    assert lines[0].lstrip().startswith("ci-nightly (owner ") and " · Anthropic " in lines[0]
    names = {line.strip().rsplit("  ", 2)[0].strip() for line in lines}
    assert {"Console / Workbench · Anthropic", "No API key · OpenAI", "web-prod (owner web-backend) · OpenAI"} <= names
    assert all(line.endswith(("  billed", "  token share")) for line in lines)
    assert "@" not in keys  # keys and their owners' names; never an email
    assert "Top spenders: +$" in spike
    assert "from key ci-nightly (anthropic: batch-jobs / claude-opus-4-8), new this week" in spike
    spike, home = spike.split("\nThe App Home tab an admin would see (its blocks' text):\n\n", 1)
    assert home.startswith("AI spend dashboard\n")
    for part in ("*This week*", "*Month to date*", "*Top models this week*", "*Top API keys this week*"):
        assert f"\n{part}" in home
    assert "*Recent alerts*\nNone yet." in home and "\n• *Anthropic*: complete through " in home
    assert "*Top people this week*" not in home and "@" not in home  # no people in a demo
    assert home.endswith("\nSettings\n")  # the admin's button


def test_no_command_prints_help_and_exits_2() -> None:
    done = subprocess.run([sys.executable, "-m", "bot"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "usage: aispend" in done.stdout and "demo" in done.stdout


def aispend(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`aispend ARGS` in `cwd` (where a .env would be read) with only `env` set, as a user would run it."""
    clean = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), **env}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=cwd, env=clean, capture_output=True, text=True, timeout=120
    )


def one_sentence(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr + done.stdout
    [line] = done.stderr.splitlines()
    return line


def test_a_dotenv_that_is_not_utf8_is_one_sentence(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_bytes(b"AISPEND_DB=spend.db\nAISPEND_ALERT_CHANNEL=C0123 # caf\xe9\n")
    dotenv.chmod(0o600)
    done = aispend("report", cwd=tmp_path)
    assert done.returncode == 2
    assert one_sentence(done) == (
        f"aispend: {dotenv} is not UTF-8 text (line 2): save it as UTF-8 (most editors offer UTF-8 under Save As › "
        "Encoding)."
    )


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_secret_file_that_never_ends_is_one_sentence(tmp_path: Path) -> None:
    done = aispend("report", cwd=tmp_path, ANTHROPIC_ADMIN_KEY_FILE="/dev/zero")
    assert done.returncode == 2
    assert one_sentence(done) == (
        "aispend: ANTHROPIC_ADMIN_KEY_FILE names /dev/zero, which is larger than 64 KiB: point the variable at a file "
        "holding only the secret."
    )


def test_a_database_from_a_newer_release_is_refused_in_one_sentence(tmp_path: Path) -> None:
    db = tmp_path / "aispend.db"
    Store(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('aispend', '900_next', 'later')"
        )
    conn.close()
    for command in (["report"], ["alerts", "--dry-run"], ["sync"]):
        # a closed port: nothing may go out, even if the database were opened
        offline = {"OPENAI_ADMIN_KEY": "sk-admin-unused", "OPENAI_BASE_URL": f"http://127.0.0.1:{closed_port()}/v1"}
        done = aispend(*command, cwd=tmp_path, AISPEND_DB=str(db), **offline)
        assert done.returncode == 1, command
        assert one_sentence(done) == (
            f"aispend: The database {db} was made by a newer aispend (its schema has aispend/900_next, which this "
            "release does not know): upgrade aispend to use it."
        )


@pytest.mark.parametrize("stored", ["1e30", "lots"])
def test_a_broken_stored_budget_is_a_note_in_the_report(tmp_path: Path, stored: str) -> None:
    db = tmp_path / "aispend.db"
    with Store(db) as store:
        store.set_setting("budget_usd", stored)
    done = aispend("report", "month", "--as-of", "2026-11-21", cwd=tmp_path, AISPEND_DB=str(db))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert (
        f"The budget stored in the database ({stored!r}) is not a valid amount, so no budget applies: set it again "
        "with `/aispend budget set <usd>`, or remove it with `/aispend budget clear`."
    ) in done.stdout
    evaluated = aispend("alerts", "--dry-run", "--as-of", "2026-11-21", cwd=tmp_path, AISPEND_DB=str(db))
    assert evaluated.returncode == 0, evaluated.stderr
    assert "Traceback" not in evaluated.stderr

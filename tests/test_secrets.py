"""Secrets never leak: every command, and the bot through failures, with canary secrets; then a scan of all
output, every log record (library debug logging included), every Slack message and the database files.

The provider keys of the success paths are the simulator's own (the only ones it accepts); failure paths use
canary keys it refuses. In-process runs capture stdout/stderr and log records at DEBUG (httpx, httpcore and
slack_sdk included); subprocess runs (`-v`, the real logging setup) cover `sync`, `doctor` and `aispend run`.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from slack_bolt import BoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.cli import main
from bot.config import SECRET_VARS, Secret, load_settings
from bot.providers import build_providers
from bot.simulator import ANTHROPIC_KEY, OPENAI_KEY, Fault, Simulator
from bot.slack.app import Pools, create_app
from bot.slack.client import build_client
from bot.store import Store
from bot.sync import sync_providers
from tests import clock_support
from tests.env_support import (
    APP_TOKEN,
    BAD_ANTHROPIC_KEY,
    BAD_OPENAI_KEY,
    BOT_TOKEN,
    CHANNEL,
    SIGNING_SECRET,
    closed_port,
    environment,
    leaks,
)
from tests.fake_slack import FakeSlack

REPO = Path(__file__).resolve().parent.parent
ADMIN = "UADMIN"
MEMBER = {"ok": True, "channel": {"id": CHANNEL, "name": "ai-spend", "is_member": True}}
LIBRARY_LOGGERS = ("httpx", "httpcore", "slack_sdk", "slack_bolt", "urllib3", "uvicorn")
NOW = clock_support.NOW  # the simulator's today and every command's clock (subprocesses via tests/cli_at.py)


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(today=NOW.date()) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    sim.clear_faults()
    monkeypatch.chdir(tmp_path)
    caplog.set_level(logging.DEBUG)
    for name in LIBRARY_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        server.responses["/api/conversations.info"] = (200, {}, MEMBER)
        yield server


class Transcript:
    """Everything a run showed anyone: command output, log records, what Slack received, the database."""

    def __init__(self, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
        self.capsys = capsys
        self.caplog = caplog
        self.texts: list[tuple[str, str | bytes]] = []
        self.codes: list[tuple[str, int]] = []

    def cli(self, argv: list[str], env: dict[str, str]) -> int:
        code = main(argv, env, clock=lambda: NOW)
        captured = self.capsys.readouterr()
        where = "aispend " + " ".join(argv)
        self.texts += [(f"{where} stdout", captured.out), (f"{where} stderr", captured.err)]
        self.codes.append((where, code))
        return code

    def add(self, where: str, text: str | bytes) -> None:
        self.texts.append((where, text))

    def scan(self, fake: FakeSlack | None, *dbs: Path) -> None:
        texts = list(self.texts)
        texts += [(f"log {r.name}", _record_text(r)) for r in self.caplog.records]
        if fake is not None:
            # what the bot sent Slack, minus the Authorization header Slack itself needs
            texts += [(f"slack {r.path}", json.dumps(r.body)) for r in fake.requests]
        for db in dbs:
            for suffix in ("", "-wal", "-shm", "-journal"):
                file = Path(f"{db}{suffix}")
                if file.exists():
                    texts.append((file.name, file.read_bytes()))
        assert leaks(texts) == []
        headers = [where for where, text in texts if _shows_credentials(text)]
        assert headers == []


def _record_text(record: logging.LogRecord) -> str:
    text = record.getMessage()
    if record.exc_info:
        text += logging.Formatter().formatException(record.exc_info)
    return text


def _shows_credentials(text: str | bytes) -> bool:
    """A request's credential header printed with a value (library debug logs print headers)."""
    raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    lowered = raw.lower()
    return "bearer sk-" in lowered or "bearer xox" in lowered or "'x-api-key': 's" in lowered


@pytest.fixture
def transcript(capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> Transcript:
    return Transcript(capsys, caplog)


# ---- every command, in process --------------------------------------------------------------------------------


def test_every_command_with_working_secrets(
    sim: Simulator, fake: FakeSlack, tmp_path: Path, transcript: Transcript
) -> None:
    db = tmp_path / "aispend.db"
    env = environment(sim, fake, db, AISPEND_ADMIN_USERS=ADMIN)
    http_env = environment(sim, fake, db, SLACK_APP_TOKEN=None)
    runs = [
        (["sync", "--days", "20"], env, 0),
        (["-v", "sync", "--days", "3", "--provider", "openai"], env, 0),
        (["report"], env, 0),
        (["report", "month", "--json"], env, 0),
        (["report", "models"], env, 2),  # not a period: a usage error
        (["alerts", "--dry-run"], env, 0),
        (["alerts"], env, 0),
        (["doctor"], env, 0),
        (["doctor"], http_env, 0),
        (["demo"], {}, 0),
    ]
    for argv, run_env, expected in runs:
        assert transcript.cli(argv, run_env) == expected, transcript.texts[-2:]
    assert fake.received("/api/chat.postMessage")  # the alert was posted, so Slack messages are scanned too
    transcript.scan(fake, db)


def test_every_command_with_refused_secrets(
    sim: Simulator, fake: FakeSlack, tmp_path: Path, transcript: Transcript
) -> None:
    db = tmp_path / "aispend.db"
    env = environment(sim, fake, db, ANTHROPIC_ADMIN_KEY=BAD_ANTHROPIC_KEY, OPENAI_ADMIN_KEY=BAD_OPENAI_KEY)
    for endpoint in ("auth.test", "conversations.info", "chat.postMessage", "apps.connections.open"):
        fake.responses[f"/api/{endpoint}"] = (200, {}, {"ok": False, "error": "invalid_auth"})
    assert transcript.cli(["sync", "--days", "2"], env) == 1
    assert transcript.cli(["report", "--json"], env) == 0
    assert transcript.cli(["doctor"], env) == 1
    assert transcript.cli(["alerts"], env) == 0  # nothing synced, so nothing to post
    assert transcript.cli(["alerts", "--dry-run"], env) == 0
    errors = Store(db).sync_states()
    assert {p: s.status for p, s in errors.items()} == {"anthropic": "error", "openai": "error"}
    transcript.scan(fake, db)


@pytest.mark.parametrize(
    "fault",
    [
        Fault("anthropic", None, kind="error_envelope", times=None),
        Fault("anthropic", None, kind="truncated", times=None),
        Fault("openai", None, kind="non_json", times=None),
        Fault("openai", None, kind="bad_amount", value="NaN", times=None),
        Fault("anthropic", None, kind="status", status=400, times=None),
        Fault("openai", None, kind="status", status=404, times=None),
    ],
    ids=lambda f: f"{f.provider}-{f.kind}-{f.status}",
)
def test_provider_failures_show_no_secret(sim: Simulator, tmp_path: Path, transcript: Transcript, fault: Fault) -> None:
    db = tmp_path / "aispend.db"
    env = environment(sim, None, db, SLACK_BOT_TOKEN=None, SLACK_APP_TOKEN=None, SLACK_SIGNING_SECRET=None)
    sim.inject(fault)
    assert transcript.cli(["-v", "sync", "--days", "2"], env) == 1
    assert transcript.cli(["report"], env) == 0
    transcript.scan(None, db)


def test_unreachable_services_show_no_secret(tmp_path: Path, transcript: Transcript) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    env = {
        "ANTHROPIC_ADMIN_KEY": ANTHROPIC_KEY,
        "OPENAI_ADMIN_KEY": OPENAI_KEY,
        "ANTHROPIC_BASE_URL": dead,
        "OPENAI_BASE_URL": dead + "/v1",
        "SLACK_API_URL": dead + "/api/",
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "AISPEND_DB": str(tmp_path / "aispend.db"),
    }
    settings = load_settings(env, tmp_path)
    providers = build_providers(settings, sleep=lambda _: None)
    with Store(tmp_path / "aispend.db") as store:
        results = sync_providers(store, providers, now=NOW, backfill_days=2)
    for provider in providers:
        provider.close()
    assert [r.ok for r in results] == [False, False]
    transcript.add("sync errors", "\n".join(r.error or "" for r in results))
    transcript.scan(None, tmp_path / "aispend.db")


def test_configuration_errors_never_echo_a_secret(tmp_path: Path, transcript: Transcript) -> None:
    key_file = tmp_path / "anthropic.key"
    key_file.write_text(ANTHROPIC_KEY + "\n")
    cases: list[dict[str, str]] = [
        {"ANTHROPIC_ADMIN_KEY": ANTHROPIC_KEY, "ANTHROPIC_ADMIN_KEY_FILE": str(key_file)},  # both
        {"ANTHROPIC_ADMIN_KEY": "sk-ant-api03-" + BAD_ANTHROPIC_KEY},  # a regular key
        {"OPENAI_ADMIN_KEY": "sk-proj-" + BAD_OPENAI_KEY},  # a project key
        {"OPENAI_ADMIN_KEY_FILE": str(tmp_path / "missing.key")},
        {"SLACK_BOT_TOKEN": BOT_TOKEN, "PORT": "not-a-port", "AISPEND_ALERT_CHANNEL": "#general"},
    ]
    for env in cases:
        for command in (["sync"], ["doctor"], ["report"]):
            assert transcript.cli(command, {**env, "AISPEND_DB": str(tmp_path / "a.db")}) == 2
    transcript.scan(None)
    # the refused keys themselves are secrets too
    assert leaks(transcript.texts, ["sk-ant-api03-" + BAD_ANTHROPIC_KEY, "sk-proj-" + BAD_OPENAI_KEY]) == []


# ---- every secret may come from a file; .env permissions ------------------------------------------------------


def test_every_secret_can_come_from_a_file(
    sim: Simulator, fake: FakeSlack, tmp_path: Path, transcript: Transcript
) -> None:
    values = {
        "ANTHROPIC_ADMIN_KEY": ANTHROPIC_KEY,
        "OPENAI_ADMIN_KEY": OPENAI_KEY,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    }
    assert set(values) == set(SECRET_VARS)
    env = environment(sim, fake, tmp_path / "aispend.db", **{name: None for name in values})
    for name, value in values.items():
        path = tmp_path / "secrets" / name.lower()
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"{value}\n")
        env[f"{name}_FILE"] = str(path)
    settings = load_settings(env, tmp_path)
    assert [
        settings.anthropic_admin_key,
        settings.openai_admin_key,
        settings.slack_bot_token,
        settings.slack_app_token,
        settings.slack_signing_secret,
    ] == [Secret(v) for v in values.values()]
    # the alias has its _FILE too
    alias_env = {"ANTHROPIC_ADMIN_API_KEY_FILE": env["ANTHROPIC_ADMIN_KEY_FILE"]}
    assert load_settings(alias_env, tmp_path).anthropic_admin_key == Secret(ANTHROPIC_KEY)
    # and the commands work with them
    assert transcript.cli(["sync", "--days", "2"], env) == 0
    assert transcript.cli(["doctor"], env) == 0
    transcript.scan(fake, tmp_path / "aispend.db")


def test_a_dotenv_readable_by_others_gets_a_warning(sim: Simulator, tmp_path: Path, transcript: Transcript) -> None:
    dotenv = tmp_path / ".env"
    lines = [f"ANTHROPIC_ADMIN_KEY={ANTHROPIC_KEY}", f"OPENAI_ADMIN_KEY={OPENAI_KEY}"]
    lines += [f"ANTHROPIC_BASE_URL={sim.anthropic_url}", f"OPENAI_BASE_URL={sim.openai_url}"]
    dotenv.write_text("\n".join(lines) + "\n")
    env = {"AISPEND_DB": str(tmp_path / "aispend.db")}
    warning = f"aispend: warning: {dotenv} is readable by other users; it holds admin keys, so run: chmod 600 {dotenv}"
    for mode, warned in ((0o644, True), (0o640, True), (0o600, False)):
        os.chmod(dotenv, mode)
        assert transcript.cli(["sync", "--days", "1"], env) == 0
        assert (warning in str(transcript.texts[-1][1]).splitlines()) is warned, (oct(mode), transcript.texts[-1])
    transcript.scan(None, tmp_path / "aispend.db")


# ---- the Slack app: messages, acks and logs ------------------------------------------------------------------


def _signed(form: dict[str, str], secret: str = SIGNING_SECRET, ts: int | None = None) -> BoltRequest:
    body = urlencode(form)
    stamp = str(int(time.time()) if ts is None else ts)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body) or ""
    headers: dict[str, str | Sequence[str]] = {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": signature,
    }
    return BoltRequest(body=body, headers=headers)


def _slash(text: str, fake: FakeSlack, n: int, user: str = ADMIN) -> dict[str, str]:
    return {
        "command": "/aispend",
        "text": text,
        "user_id": user,
        "channel_id": CHANNEL,
        "team_id": "T1",
        "response_url": fake.response_url(str(n)),
        "trigger_id": "1.2.3",
    }


def test_slack_replies_and_logs_show_no_secret(
    sim: Simulator, fake: FakeSlack, tmp_path: Path, transcript: Transcript
) -> None:
    db = tmp_path / "aispend.db"
    env = environment(
        sim, fake, db, ANTHROPIC_ADMIN_KEY=BAD_ANTHROPIC_KEY, OPENAI_ADMIN_KEY=BAD_OPENAI_KEY, AISPEND_ADMIN_USERS=ADMIN
    )
    settings = load_settings(env, tmp_path)
    store = Store(db)

    def sync_now() -> str:  # what `aispend run` does on `/aispend sync`: here both keys are refused
        providers = build_providers(settings, sleep=lambda _: None)
        try:
            results = sync_providers(store, providers, now=NOW, backfill_days=2)
        finally:
            for provider in providers:
                provider.close()
        return "; ".join(f"{r.provider}: failed ({r.error})" for r in results)

    pools = Pools(work=4)
    app = create_app(
        client=build_client(BOT_TOKEN, fake.api_url),
        store=store,
        settings=settings,
        signing_secret=SIGNING_SECRET,
        now=lambda: NOW,
        sync_now=sync_now,
        pools=pools,
    )
    try:
        texts = ["sync", "week", "budget set 100", "models 30d public", "nonsense words", ""]
        for n, text in enumerate(texts, start=1):
            response = app.dispatch(_signed(_slash(text, fake, n)))
            assert response.status == 200
            transcript.add(f"ack of {text!r}", response.body)
        for n in range(1, len(texts)):
            if texts[n - 1] != "nonsense words":  # answered in the ack
                fake.wait_for(f"/commands/{n}")
        forged = app.dispatch(_signed(_slash("week", fake, 99), secret="not-the-secret"))
        stale = app.dispatch(_signed(_slash("week", fake, 98), ts=int(time.time()) - 600))
        assert (forged.status, stale.status) == (401, 401)
        transcript.add("forged", forged.body + stale.body)
    finally:
        pools.shutdown()
        store.close()
    [sync_reply] = [r.body for r in fake.received("/commands/1")][-1:]
    assert "ANTHROPIC_ADMIN_KEY" in json.dumps(sync_reply)  # the reply does explain the refused key
    transcript.scan(fake, db)


# ---- subprocesses: the real logging setup with -v -------------------------------------------------------------


def _child_env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "PYTHONPATH": str(REPO), "PATH": os.environ.get("PATH", ""), "SKIP_SLACK_SDK_WARNING": "1"}


def _run(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.cli_at", NOW.isoformat(), *argv],
        env=_child_env(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_commands_in_a_subprocess_with_debug_logging(sim: Simulator, fake: FakeSlack, tmp_path: Path) -> None:
    db = tmp_path / "aispend.db"
    good = environment(sim, fake, db)
    bad = environment(sim, fake, db, ANTHROPIC_ADMIN_KEY=BAD_ANTHROPIC_KEY, OPENAI_ADMIN_KEY=BAD_OPENAI_KEY)
    outputs: list[tuple[str, str | bytes]] = []
    for argv, env, expected in (
        (["-v", "sync", "--days", "3"], good, 0),
        (["-v", "doctor"], good, 0),
        (["-v", "report", "--json"], good, 0),
        (["-v", "sync", "--days", "2"], bad, 1),
        (["-v", "doctor"], bad, 1),
        (["-v", "alerts"], good, 0),
    ):
        done = _run(argv, env, tmp_path)
        assert done.returncode == expected, (argv, done.stderr[-2000:])
        outputs += [(f"{argv} stdout", done.stdout), (f"{argv} stderr", done.stderr)]
    # -v really turned on the libraries' debug logs that could have printed headers
    everything = "".join(str(text) for _, text in outputs)
    assert "httpcore" in everything and "slack_sdk" in everything
    outputs += [(f"{db.name}{s}", Path(f"{db}{s}").read_bytes()) for s in ("", "-wal") if Path(f"{db}{s}").exists()]
    assert leaks(outputs) == []
    assert [where for where, text in outputs if _shows_credentials(text)] == []


def _free_port() -> int:
    return closed_port()


@pytest.mark.slow
def test_the_running_bot_through_failures(sim: Simulator, fake: FakeSlack, tmp_path: Path) -> None:
    """`aispend -v run` in HTTP mode with refused provider keys: startup sync, slash commands, forged requests."""
    db = tmp_path / "aispend.db"
    port = _free_port()
    env = environment(
        sim,
        fake,
        db,
        ANTHROPIC_ADMIN_KEY=BAD_ANTHROPIC_KEY,
        OPENAI_ADMIN_KEY=BAD_OPENAI_KEY,
        SLACK_APP_TOKEN=None,
        AISPEND_ADMIN_USERS=ADMIN,
        AISPEND_BACKFILL_DAYS="3",
        AISPEND_HOST="127.0.0.1",
        PORT=str(port),
    )
    out_file, err_file = tmp_path / "run.out", tmp_path / "run.err"  # files: -v logs would fill a pipe
    with out_file.open("wb") as out_stream, err_file.open("wb") as err_stream:
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.cli_at", NOW.isoformat(), "-v", "run"],
            env=_child_env(env),
            cwd=tmp_path,
            stdout=out_stream,
            stderr=err_stream,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, child)
        with httpx.Client(timeout=10) as client:
            for n, text in enumerate(["sync", "week", "budget", "help"], start=1):
                body = urlencode(_slash(text, fake, n))
                answer = client.post(f"{base}/slack/events", content=body, headers=_headers(body))
                assert answer.status_code == 200, answer.text
            forged = urlencode(_slash("week", fake, 9))
            assert (
                client.post(f"{base}/slack/events", content=forged, headers=_headers(forged, "wrong")).status_code
                == 401
            )
        for n in (1, 2, 3):
            fake.wait_for(f"/commands/{n}", timeout=30)
    finally:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    err = err_file.read_bytes()
    assert child.returncode == 0, err.decode()[-3000:]
    texts: list[tuple[str, str | bytes]] = [("run stdout", out_file.read_bytes()), ("run stderr", err)]
    texts += [(f"slack {r.path}", json.dumps(r.body)) for r in fake.requests]
    texts += [(f"{db.name}{s}", Path(f"{db}{s}").read_bytes()) for s in ("", "-wal") if Path(f"{db}{s}").exists()]
    assert b"ANTHROPIC_ADMIN_KEY" in err  # the refused key was explained in the log
    assert leaks(texts) == []
    assert [where for where, text in texts if _shows_credentials(text)] == []


def _headers(body: str, secret: str = SIGNING_SECRET) -> dict[str, str]:
    stamp = str(int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body) or ""
    return {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": signature,
    }


def _wait_until_up(base: str, child: subprocess.Popen[Any]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise AssertionError(f"aispend run exited with {child.returncode} before listening")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("aispend run did not start listening within 30 s")

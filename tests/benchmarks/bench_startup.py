"""Issue 6 §5: start-up. `aispend report` done in < 1 s; `aispend run` ready in < 2 s.

- `python -m bot report week --as-of TODAY` against the 730-day database, in a fresh process each time: the
  wall time from spawning to exit (median of RUNS).
- `python -m bot run` in HTTP mode (PORT a free loopback port, the Web API on a fake Slack, both providers on the
  simulator so the start-up sync runs too, a copy of the 730-day database): the time from spawning until
  GET /healthz answers, and until a signed `/aispend week` is acked (the answer itself follows at the
  response_url). Median of RUNS spawns.
`spawn_bot` is shared with the idle-memory benchmark.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.benchmarks.bench_dbs import TODAY, ensure_db
from tests.benchmarks.bench_simproc import simulator_process
from tests.benchmarks.bench_support import (
    PYTHON,
    REPO,
    SIGNING_SECRET,
    Figure,
    below,
    child_env,
    free_port,
    median,
    slash_request,
)

RUNS = 5
REPORT_TARGET_S = 1.0
READY_TARGET_S = 2.0
DB_DAYS = 730
N_WORKSPACES, N_MODELS = 40, 25  # the simulated providers the bot syncs from at start


def report_cli(db: Path) -> float:
    env = child_env({"AISPEND_DB": str(db)})
    started = time.perf_counter()
    done = subprocess.run(
        [PYTHON, "-m", "bot", "report", "week", "--as-of", TODAY.isoformat()],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0 or "AI spend" not in done.stdout:
        raise RuntimeError(f"aispend report failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return elapsed


@dataclass
class Bot:
    proc: subprocess.Popen[bytes]
    port: int
    started: float  # perf_counter when spawned
    ready_s: float  # spawn → /healthz answered
    db: Path

    def slash(self, text: str, response_url: str) -> int:
        """POST a signed `/aispend text`; the HTTP status of the ack."""
        body, headers = slash_request(text, response_url)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("POST", "/slack/events", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()


def _healthy(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        try:
            conn.request("GET", "/healthz")
            return conn.getresponse().status == 200
        finally:
            conn.close()
    except OSError:
        return False


@contextmanager
def spawn_bot(
    workdir: Path,
    db: Path,
    slack_api_url: str,
    *,
    sim_urls: tuple[str, str] | None = None,
    alert_channel: str | None = None,
) -> Iterator[Bot]:
    """`python -m bot run` in `workdir` on the database `db`; yields once /healthz answers. SIGTERM on exit."""
    port = free_port()
    extra = {
        "AISPEND_DB": str(db),
        "PORT": str(port),
        "AISPEND_HOST": "127.0.0.1",
        "SLACK_BOT_TOKEN": "xoxb-bench-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_api_url,
        "AISPEND_BACKFILL_DAYS": "400",
    }
    if sim_urls is not None:
        from bot.simulator import ANTHROPIC_KEY, OPENAI_KEY

        extra |= {
            "ANTHROPIC_ADMIN_KEY": ANTHROPIC_KEY,
            "OPENAI_ADMIN_KEY": OPENAI_KEY,
            "ANTHROPIC_BASE_URL": sim_urls[0],
            "OPENAI_BASE_URL": sim_urls[1],
        }
    if alert_channel is not None:
        extra["AISPEND_ALERT_CHANNEL"] = alert_channel
    log = (workdir / "bot.log").open("wb")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [PYTHON, "-m", "bot", "run"], cwd=workdir, env=child_env(extra), stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = started + 30
        while not _healthy(port):
            if proc.poll() is not None or time.perf_counter() > deadline:
                log.flush()
                tail = (workdir / "bot.log").read_text(errors="replace")[-1500:]
                raise RuntimeError(f"`aispend run` did not become ready (exit {proc.poll()}):\n{tail}")
            time.sleep(0.005)
        yield Bot(proc, port, started, time.perf_counter() - started, db)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def run(runs: int = RUNS, directory: Path | None = None, db_days: int = DB_DAYS) -> list[Figure]:
    import tempfile

    from tests.fake_slack import FakeSlack

    figures: list[Figure] = []
    db = ensure_db(db_days, directory=directory)
    report_cli(db)  # warm the OS file cache and the .pyc files
    samples = [report_cli(db) for _ in range(runs)]
    figures.append(
        below(
            "startup.report_cli",
            median(samples),
            "s",
            REPORT_TARGET_S,
            note=f"`python -m bot report week` on the {db_days}-day database, spawn to exit, median of {runs}",
        )
    )
    ready, acked = [], []
    with (
        FakeSlack() as fake,
        tempfile.TemporaryDirectory(prefix="aispend-bench-run-", dir=directory) as tmp,
        simulator_process(TODAY, N_WORKSPACES, N_MODELS) as sim,
    ):
        urls = (sim.anthropic_url, sim.openai_url)
        for attempt in range(runs):
            workdir = Path(tmp) / f"run-{attempt}"
            workdir.mkdir()
            shutil.copyfile(db, workdir / "bot.db")
            with spawn_bot(workdir, workdir / "bot.db", fake.api_url, sim_urls=urls) as bot:
                ready.append(bot.ready_s)
                status = bot.slash("week", fake.response_url(f"startup-{attempt}"))
                acked.append(time.perf_counter() - bot.started)
                if status != 200:
                    raise RuntimeError(f"the bot answered HTTP {status} to a signed /aispend week")
                fake.wait_for(f"/commands/startup-{attempt}", timeout=30)
            os.remove(workdir / "bot.db")
    note = f"`python -m bot run` (HTTP mode, fake Slack), median of {runs} spawns"
    figures.append(
        below("startup.run_ready", median(ready), "s", READY_TARGET_S, note=f"spawn → /healthz answers; {note}")
    )
    figures.append(
        below(
            "startup.run_first_ack", median(acked), "s", READY_TARGET_S, note=f"spawn → a signed /aispend acked; {note}"
        )
    )
    return figures

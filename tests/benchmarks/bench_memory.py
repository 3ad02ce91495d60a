"""Issue 6 §4: memory. Peak RSS of a 400-day backfill < 150 MB; the idle bot < 120 MB (< 150 MB once it drew a
chart, issue 12).

- Backfill: `python -m bot sync` in a child process, both providers on the simulator (scale mode, its own
  process), AISPEND_BACKFILL_DAYS=400, an empty database. Peak RSS is the child's own VmHWM, written by a
  launcher as the CLI exits: not ru_maxrss, which Linux starts at the peak of the process that spawned the child
  (run.py, after the other benchmarks).
- Idle bot: `python -m bot run` in HTTP mode (fake Slack, both providers on the simulator, alerts on, a copy of
  the 730-day database), after it is ready and its start-up sync and alert round have finished (its VmRSS steady
  for 2 s): no chart drawn yet, against issue 6's 120 MB; then after it has answered one `/aispend week`, which
  draws and uploads the week's chart (matplotlib is imported on first use), against issue 12's 150 MB. VmRSS from
  /proc/PID/status (VmHWM, the peak so far, is reported beside it).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

from bot.simulator import ANTHROPIC_KEY, OPENAI_KEY
from tests.benchmarks.bench_dbs import TODAY, ensure_db
from tests.benchmarks.bench_simproc import simulator_process
from tests.benchmarks.bench_startup import DB_DAYS, spawn_bot
from tests.benchmarks.bench_support import PYTHON, Figure, below, child_env, info, vm_status

BACKFILL_DAYS = 400
N_WORKSPACES, N_MODELS = 40, 25
BACKFILL_TARGET_MB = 150.0
IDLE_TARGET_MB = 120.0
IDLE_AFTER_CHART_TARGET_MB = 150.0  # issue 12: "the bot's idle RSS stays < 150 MB after a chart was drawn"
# `python -c _LAUNCH PEAK_FILE ARGS...`: the CLI as `python -m bot ARGS...` runs it, then its VmHWM into PEAK_FILE
_LAUNCH = """
import runpy, sys
from pathlib import Path
peak_file = sys.argv[1]
sys.argv = ["aispend", *sys.argv[2:]]
try:
    runpy.run_module("bot", run_name="__main__", alter_sys=True)
finally:
    hwm = [line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM:")]
    Path(peak_file).write_text(hwm[0].split()[1])
"""


def backfill_peak(workdir: Path, urls: tuple[str, str], days: int) -> tuple[float, float]:
    """(peak RSS in MiB, wall seconds) of `python -m bot sync` doing a `days`-day backfill."""
    env = child_env(
        {
            "AISPEND_DB": str(workdir / "backfill.db"),
            "AISPEND_BACKFILL_DAYS": str(days),
            "ANTHROPIC_ADMIN_KEY": ANTHROPIC_KEY,
            "OPENAI_ADMIN_KEY": OPENAI_KEY,
            "ANTHROPIC_BASE_URL": urls[0],
            "OPENAI_BASE_URL": urls[1],
        }
    )
    log = workdir / "sync.log"
    with log.open("wb") as out:
        started = time.perf_counter()
        peak_file = workdir / "sync.peak"
        cmd = [PYTHON, "-c", _LAUNCH, str(peak_file), "sync"]
        proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=out, stderr=out)
        returncode = proc.wait()
        wall = time.perf_counter() - started
    if returncode != 0:
        raise RuntimeError(f"aispend sync failed ({returncode}): {log.read_text(errors='replace')[-800:]}")
    return int(peak_file.read_text()) / 1024, wall  # VmHWM is in KiB


def _syncs_done(db: Path, after_id: int) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        row = conn.execute("SELECT COUNT(*) FROM sync_log WHERE id > ? AND status != 'running'", (after_id,)).fetchone()
    return int(row[0])


def _last_sync_id(db: Path) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM sync_log").fetchone()[0])


def _steady(pid: int, timeout: float = 30.0) -> dict[str, int]:
    """The process's status once its VmRSS has not moved for 2 s (the alert round after the sync has ended)."""
    deadline = time.monotonic() + timeout
    last, since = vm_status(pid), time.monotonic()
    while time.monotonic() - since < 2.0:
        if time.monotonic() > deadline:
            raise RuntimeError("the bot's memory did not settle after its start-up sync; see bot.log")
        time.sleep(0.25)
        now = vm_status(pid)
        if now["VmRSS"] != last["VmRSS"]:
            last, since = now, time.monotonic()
    return last


def idle_bot(workdir: Path, db: Path, urls: tuple[str, str]) -> tuple[dict[str, int], dict[str, int]]:
    """The bot's /proc status (before any reply, after one /aispend week with its chart)."""
    from tests.fake_slack import FakeSlack

    before = _last_sync_id(db)
    with FakeSlack() as fake, spawn_bot(workdir, db, fake.api_url, sim_urls=urls, alert_channel="C0ALERTS") as bot:
        deadline = time.monotonic() + 60
        while _syncs_done(db, before) < 2:  # the start-up sync of both providers
            if time.monotonic() > deadline or bot.proc.poll() is not None:
                raise RuntimeError("the bot's start-up sync did not finish within 60 s; see bot.log")
            time.sleep(0.05)
        before_reply = _steady(bot.proc.pid)
        if bot.slash("week", fake.response_url("idle")) != 200:
            raise RuntimeError("the bot did not ack /aispend week")
        fake.wait_for("/commands/idle", timeout=30)
        time.sleep(1.0)  # let the answer's threads settle
        if not fake.files:
            raise RuntimeError("the bot answered /aispend week without uploading its chart; see bot.log")
        return before_reply, vm_status(bot.proc.pid)


def run(
    *,
    backfill_days: int = BACKFILL_DAYS,
    n_workspaces: int = N_WORKSPACES,
    n_models: int = N_MODELS,
    db_days: int = DB_DAYS,
    directory: Path | None = None,
) -> list[Figure]:
    figures: list[Figure] = []
    with (
        tempfile.TemporaryDirectory(prefix="aispend-bench-mem-", dir=directory) as tmp,
        simulator_process(TODAY, n_workspaces, n_models) as sim,
    ):
        work = Path(tmp)
        urls = (sim.anthropic_url, sim.openai_url)
        peak, wall = backfill_peak(work, urls, backfill_days)
        figures.append(
            below(
                "memory.backfill_peak_rss",
                peak,
                "MB",
                BACKFILL_TARGET_MB,
                note=f"`aispend sync`, {backfill_days}-day backfill of both providers "
                f"({n_workspaces} workspaces/projects × {n_models} models), its VmHWM; took {wall:.1f} s",
            )
        )
        db = work / "bot.db"
        shutil.copyfile(ensure_db(db_days, directory=directory), db)
        before_reply, status = idle_bot(work, db, urls)
        note = f"`aispend run` after ready + start-up sync and alert round, no chart drawn yet, {db_days}-day database"
        figures.append(below("memory.idle_bot_rss", before_reply["VmRSS"] / 1024, "MB", IDLE_TARGET_MB, note=note))
        note = f"the same bot after one /aispend week with its chart (matplotlib loaded), {db_days}-day database"
        rss = status["VmRSS"] / 1024
        figures.append(below("memory.idle_bot_rss_after_chart", rss, "MB", IDLE_AFTER_CHART_TARGET_MB, note=note))
        figures.append(info("memory.idle_bot_peak_rss", status["VmHWM"] / 1024, "MB", "VmHWM of the same process"))
    return figures

"""Issue 12: charts. Render p99 < 300 ms at 730 days of history; the bot's idle RSS < 150 MB after a chart.

- Render: in this process, on the 730-day database (40 workspaces/projects × 25 models, both providers, a
  budget set): the daily chart of `week`, `30d` and `400d` (weekly bars), the `month` burn-up and the spike's
  drivers, each drawn to PNG (bot.charts.render: matplotlib Agg, PNG encoding included) RUNS times after a
  warm-up; wall time, and CPU time beside it. The chart data is built from the store first; that read is the
  report's and is reported beside it. The first chart of a process also imports matplotlib: measured apart,
  in a fresh interpreter.
- Idle RSS: `python -m bot run` in HTTP mode (fake Slack, no provider keys) on a copy of the 730-day database,
  after it answered `/aispend week`, `month` and `30d` with their charts drawn and uploaded; VmRSS from
  /proc/PID/status once the answers have settled (VmHWM, the peak so far, beside it).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from bot.charts.model import Chart
from tests.benchmarks.bench_dbs import NOW, TODAY, ensure_db
from tests.benchmarks.bench_startup import spawn_bot
from tests.benchmarks.bench_support import PYTHON, REPO, Figure, below, child_env, info, percentile, vm_status

DB_DAYS = 730
RUNS = 30
RENDER_TARGET_MS = 300.0
IDLE_TARGET_MB = 150.0
BUDGET = Decimal("25000")
REPLIES = ("week", "month", "30d")


def _charts(db: Path) -> dict[str, Chart | None]:
    """Each chart's data, built from the store as the bot builds it."""
    from bot.alerts.evaluation import spike_report
    from bot.alerts.rules import SpikeAlert
    from bot.charts import daily_chart, month_chart, previous_by_day, spike_chart
    from bot.config import Settings
    from bot.periods import parse_period
    from bot.report import load_report
    from bot.store import Store

    out: dict[str, Chart | None] = {}
    with Store(db) as store:
        for word in ("week", "30d", "400d", "month"):
            report = load_report(
                store, parse_period(word, TODAY), now=NOW, configured=["anthropic", "openai"], budget_usd=BUDGET
            )
            out[word] = month_chart(report) if word == "month" else daily_chart(report, previous_by_day(store, report))
        spike = spike_report(store, Settings(db_path=str(db)), TODAY)
        # the generated history has no spike: draw its largest changes as the organization's drivers
        lead = SpikeAlert(spike.week.key, spike.org, False, (), 0)
        out["spike"] = spike_chart(spike.only([lead]))
    return out


def render_times(db: Path, runs: int) -> tuple[dict[str, list[float]], list[float], float]:
    """(chart -> wall milliseconds of each render, CPU milliseconds of every render, milliseconds to build all the
    charts' data from the store)."""
    from bot.charts import render

    started = time.perf_counter()
    charts = _charts(db)
    load_ms = (time.perf_counter() - started) * 1000
    samples: dict[str, list[float]] = {}
    cpu: list[float] = []
    for name, chart in charts.items():
        if chart is None:
            raise RuntimeError(f"the benchmark database drew no {name} chart")
        render(chart)  # warm-up: fonts and caches
        samples[name] = []
        for _ in range(runs):
            t, c = time.perf_counter(), time.process_time()
            png = render(chart).png
            samples[name].append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
            if not png.startswith(b"\x89PNG"):
                raise RuntimeError(f"{name} did not draw a PNG")
    return samples, cpu, load_ms


def cold_first_chart(db: Path) -> float:
    """Milliseconds of a fresh interpreter's first chart (the matplotlib import included), data already built."""
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from tests.benchmarks.bench_charts import _charts\n"
        "chart = _charts(Path(sys.argv[1]))['week']\n"
        "t = time.perf_counter()\n"
        "from bot.charts import render\n"
        "render(chart)\n"
        "print((time.perf_counter() - t) * 1000)\n"
    )
    done = subprocess.run(
        [PYTHON, "-c", script, str(db)], cwd=REPO, env=child_env(), capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise RuntimeError(f"the cold chart failed: {done.stderr[-800:]}")
    return float(done.stdout.strip().splitlines()[-1])


def idle_after_charts(workdir: Path, db: Path) -> dict[str, int]:
    from tests.fake_slack import FakeSlack

    with FakeSlack() as fake, spawn_bot(workdir, db, fake.api_url) as bot:
        for n, word in enumerate(REPLIES):
            if bot.slash(word, fake.response_url(str(n))) != 200:
                raise RuntimeError(f"the bot did not ack /aispend {word}")
            reply = fake.wait_for(f"/commands/{n}", timeout=60)[0].body
            if not any(b.get("type") == "image" for b in reply.get("blocks") or []):
                raise RuntimeError(f"/aispend {word} came without its chart; see bot.log")
        if len(fake.files) != len(REPLIES):
            raise RuntimeError(f"expected {len(REPLIES)} uploads, Slack got {len(fake.files)}")
        time.sleep(1.0)  # let the answers' threads settle
        return vm_status(bot.proc.pid)


def run(*, runs: int = RUNS, db_days: int = DB_DAYS, directory: Path | None = None) -> list[Figure]:
    source = ensure_db(db_days, directory=directory)
    samples, cpu, load_ms = render_times(source, runs)
    every = [ms for values in samples.values() for ms in values]
    kinds = ", ".join(f"{name} p99 {percentile(values, 99):.0f} ms" for name, values in samples.items())
    figures = [
        below(
            "charts.render_p99",
            percentile(every, 99),
            "ms",
            RENDER_TARGET_MS,
            note=f"bot.charts.render to PNG, {runs} runs of each chart on the {db_days}-day database ({kinds})",
        ),
        info("charts.render_p50", percentile(every, 50), "ms", "the same runs"),
        info(
            "charts.render_cpu_p99",
            percentile(cpu, 99),
            "ms",
            "CPU time of the same runs (time.process_time): the render's own cost, without waiting for a busy core",
        ),
        info(
            "charts.data_from_store",
            load_ms,
            "ms",
            "building the five charts' data from the store (reports, previous periods, spike), once",
        ),
        info(
            "charts.first_chart_cold",
            cold_first_chart(source),
            "ms",
            "a fresh interpreter's first chart: the lazy matplotlib import plus one render",
        ),
    ]
    with tempfile.TemporaryDirectory(prefix="aispend-bench-charts-", dir=directory) as tmp:
        work = Path(tmp)
        db = work / "bot.db"
        shutil.copyfile(source, db)
        status = idle_after_charts(work, db)
    note = f"`aispend run` after answering /aispend {', '.join(REPLIES)} with their charts, {db_days}-day database"
    figures.append(below("charts.idle_bot_rss_after_charts", status["VmRSS"] / 1024, "MB", IDLE_TARGET_MB, note=note))
    figures.append(info("charts.idle_bot_peak_rss", status["VmHWM"] / 1024, "MB", "VmHWM of the same process"))
    return figures

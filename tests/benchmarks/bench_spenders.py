"""Issue 11 §7: who spent it at scale, an organization with N_KEYS API keys and N_USERS users on both providers.

Against the simulator (scale mode, N_WORKSPACES workspaces/projects × N_MODELS models, N_KEYS keys and N_USERS
users, in its own process), through the real provider clients and bot.sync.sync_providers:

- Backfill of BACKFILL_DAYS days of both providers into an empty database, in a child process of its own (the
  simulator in another), so its peak RSS (ru_maxrss from wait4) is the client's alone: requests as the simulator
  counts them against the minimum the limit caps allow (bench_sync.min_requests with the spender pages of
  bench_sync.anthropic_spender_pages and openai_name_pages), and peak RSS < RSS_TARGET_MB.
- Incremental: the scheduled sync an hour after backfills of HISTORIES days; requests per provider equal to the
  minimum for its window (the key listings of a 2,000-key organization are several pages, so bench_sync's ≤ 6 of
  an organization without spenders does not apply) and constant as history grows.
- Latency at DB_DAYS days of history: the backfill's database extended back to DB_DAYS days by one more sync of
  the same simulator with an earlier `now` (a sync can reach back at most 400 days), cached like bench_dbs' by
  size and generator version. p50/p99 of RUNS runs of the `keys` and `users` replies (load_spenders +
  spender_message, as /aispend keys|users builds them on a cache miss) for `week` and `month`, and of the week
  reply (load_report + load_spenders for its top spenders + report_message). Target p99 < 50 ms.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path

from bot.config import Secret, Settings
from bot.periods import Period, parse_period
from bot.providers import build_providers
from bot.records import KEY, USER
from bot.report import load_report
from bot.simulator import ANTHROPIC_KEY, OPENAI_KEY, Org
from bot.slack.blocks import report_message
from bot.slack.spender_blocks import TOP_ROWS, spender_message
from bot.spenders import load_spenders
from bot.store import Store
from bot.sync import SyncResult, sync_providers
from tests.benchmarks.bench_simproc import simulator_process
from tests.benchmarks.bench_support import PYTHON, REPO, Figure, below, cache_dir, child_env, info, percentile, timed
from tests.benchmarks.bench_sync import (
    NOW,
    TODAY,
    anthropic_spender_pages,
    cap_requests,
    min_requests,
    openai_name_pages,
)

GENERATOR_VERSION = 1
N_WORKSPACES, N_MODELS = 40, 25
N_KEYS, N_USERS = 2000, 300
BACKFILL_DAYS = 400
DB_DAYS = 730
HISTORIES = (30, BACKFILL_DAYS)
PERIODS = ("week", "month")
RUNS = 50
P99_TARGET_MS = 50.0
RSS_TARGET_MB = 200.0
CONFIGURED = ["anthropic", "openai"]
MAX_SYNC_DAYS = 400  # `aispend sync --days` reaches back at most this far


@dataclass(frozen=True, slots=True)
class Urls:
    anthropic: str
    openai: str


def sync(urls: Urls, db: Path, now: datetime, backfill_days: int, days: int | None = None) -> list[SyncResult]:
    """One `aispend sync` (build_providers + sync_providers) against the simulator at `urls`."""
    settings = Settings(
        anthropic_admin_key=Secret(ANTHROPIC_KEY),
        openai_admin_key=Secret(OPENAI_KEY),
        anthropic_base_url=urls.anthropic,
        openai_base_url=urls.openai,
        db_path=str(db),
        backfill_days=backfill_days,
    )
    providers = build_providers(settings)
    try:
        with Store(db) as store:
            results = sync_providers(store, providers, now=now, backfill_days=backfill_days, days=days)
    finally:
        for provider in providers:
            provider.close()
    failed = [r for r in results if not r.ok]
    if failed:
        raise RuntimeError(f"the benchmark sync failed: {failed[0].provider}: {failed[0].error}")
    return results


def backfill_child(urls: Urls, db: Path, days: int) -> tuple[float, float, dict[str, int]]:
    """(peak RSS in MiB, wall seconds, rows per provider) of a `days`-day backfill at NOW in a child process."""
    cmd = [PYTHON, "-m", "tests.benchmarks.bench_spenders", urls.anthropic, urls.openai, str(db), str(days)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"the backfill child failed ({proc.returncode}): {err.decode(errors='replace')[-800:]}")
    answer = json.loads(out.decode())
    return answer["peak_kib"] / 1024, wall, answer["rows"]


def _child(urls: Urls, db: Path, days: int) -> None:
    results = sync(urls, db, NOW, days)
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"peak_kib": peak, "rows": {r.provider: r.rows for r in results}}))


def spender_db(
    urls: Urls, backfill_db: Path, db_days: int, backfill_days: int, sizes: str, directory: Path | None
) -> Path:
    """The `db_days`-day database: a copy of the backfill's, extended back by syncs with an earlier `now`."""
    name = f"spenders-{db_days}d-{sizes}-v{GENERATOR_VERSION}.db"
    path = cache_dir() / name if directory is None else directory / name
    if path.exists():
        return path
    building = path.with_name(path.name + f".building-{os.getpid()}")
    for leftover in (building, building.with_name(building.name + "-wal"), building.with_name(building.name + "-shm")):
        leftover.unlink(missing_ok=True)
    with Store(backfill_db):
        pass  # closing checkpoints the WAL, so the file alone is the database
    shutil.copyfile(backfill_db, building)
    building.chmod(0o600)  # as the store makes its files: it warns about a database others can read
    covered = backfill_days
    while covered < db_days:
        days = min(MAX_SYNC_DAYS, db_days - covered)
        # a window of `days` days ending `covered` days before today, overlapping the history by one day
        sync(urls, building, NOW - timedelta(days=covered - 1), MAX_SYNC_DAYS, days=days + 1)
        covered += days
    os.replace(building, path)
    return path


def _spender_reply(store: Store, period: Period, kind: str) -> None:
    spender_message(load_spenders(store, period, kind, people=True))


def latency_figures(db: Path, db_days: int, runs: int) -> list[Figure]:
    figures: list[Figure] = []
    with Store(db) as store:
        for word in PERIODS:
            period = parse_period(word, TODAY)
            for kind, view in ((KEY, "keys"), (USER, "users")):
                spenders = load_spenders(store, period, kind, people=True)
                samples = timed(partial(_spender_reply, store, period, kind), runs)
                note = (
                    f"load_spenders + spender_message, {runs} runs on one open Store, {db_days}-day database, "
                    f"{len(spenders.lines)} {view} lines"
                )
                for pct in (50, 99):
                    name = f"spenders.{view}.{word}.{db_days}d.p{pct}"
                    figures.append(below(name, percentile(samples, pct), "ms", P99_TARGET_MS, note=note))
        week = parse_period("week", TODAY)

        def week_reply() -> None:
            report = load_report(store, week, now=NOW, configured=CONFIGURED, budget_usd=None)
            report_message(report, NOW, "summary", load_spenders(store, week, KEY, people=False, top=TOP_ROWS))

        samples = timed(week_reply, runs)
        note = f"load_report + load_spenders (keys) + report_message with its top spenders, {runs} runs"
        for pct in (50, 99):
            name = f"spenders.week_reply.{db_days}d.p{pct}"
            figures.append(below(name, percentile(samples, pct), "ms", P99_TARGET_MS, note=note))
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT COUNT(*) FROM spender_usage_daily").fetchone()[0]
    figures.append(info("spenders.db.usage_rows", rows, "rows", f"spender_usage_daily rows in {db_days} days"))
    return figures


def spender_pages(org: Org, provider: str, start: date, end: date) -> int:
    """The fewest spender requests (names, per-key cost) of a sync of [start, end) ending today."""
    if provider == "anthropic":
        return anthropic_spender_pages(org, start, end)
    return openai_name_pages(org, (end - start).days)


def run(
    *,
    n_workspaces: int = N_WORKSPACES,
    n_models: int = N_MODELS,
    n_keys: int = N_KEYS,
    n_users: int = N_USERS,
    backfill_days: int = BACKFILL_DAYS,
    db_days: int = DB_DAYS,
    histories: tuple[int, ...] = HISTORIES,
    runs: int = RUNS,
    directory: Path | None = None,
) -> list[Figure]:
    figures: list[Figure] = []
    org = Org(TODAY, n_workspaces=n_workspaces, n_models=n_models, n_keys=n_keys, n_users=n_users)
    labels = {"anthropic": len(org.listed_workspaces()), "openai": len(org.listed_projects())}
    first = TODAY - timedelta(days=backfill_days - 1)
    names = {p: spender_pages(org, p, first, TODAY + timedelta(days=1)) for p in ("anthropic", "openai")}
    sizes = f"{n_workspaces}x{n_models}-{n_keys}k{n_users}u"
    with (
        tempfile.TemporaryDirectory(prefix="aispend-bench-spenders-", dir=directory) as tmp,
        simulator_process(TODAY, n_workspaces, n_models, n_keys, n_users) as sim,
    ):
        work = Path(tmp)
        urls = Urls(sim.anthropic_url, sim.openai_url)
        sim.set_latency(0)
        # a cold simulator takes long enough over a 180-day page of costs by key for the client to time out and
        # retry: the requests measured must be the client's, so every day served is computed beforehand
        sim.warm(db_days)
        # --- the backfill: requests and the client's peak RSS ---------------------------------------------------
        sim.clear()
        backfill_db = work / "backfill.db"
        peak, wall, rows = backfill_child(urls, backfill_db, backfill_days)
        served = Counter(request.provider for request in sim.requests())
        total, minimum = 0, 0
        for provider in ("anthropic", "openai"):
            made, least = served[provider], min_requests(provider, backfill_days, labels[provider], names[provider])
            least += cap_requests(org, provider, first, TODAY + timedelta(days=1))  # the spend caps, once a sync
            total, minimum = total + made, minimum + least
            figures.append(
                Figure(
                    f"spenders.backfill.{provider}.requests",
                    made,
                    "requests",
                    f"= {least} (minimum)",
                    made == least,
                    f"{backfill_days}-day backfill of {n_keys} keys / {n_users} users, counted by the simulator; "
                    f"minimum = Σ ceil(days / limit cap) + label pages + {names[provider]} spender pages",
                )
            )
        figures.append(
            Figure("spenders.backfill.requests", total, "requests", f"= {minimum} (minimum)", total == minimum)
        )
        figures.append(
            below(
                "spenders.backfill.peak_rss",
                peak,
                "MB",
                RSS_TARGET_MB,
                note=f"the syncing process alone (simulator in another), ru_maxrss; {backfill_days} days, "
                f"{sum(rows.values())} rows, {wall:.1f} s",
            )
        )
        # --- incremental runs after growing histories --------------------------------------------------------
        later = NOW + timedelta(hours=1)
        counts: dict[str, list[int]] = {"anthropic": [], "openai": []}
        for history in histories:
            db = backfill_db if history == backfill_days else work / f"history-{history}.db"
            if history != backfill_days:
                sync(urls, db, NOW, history)
            for result in sync(urls, db, later, history):
                counts[result.provider].append(result.requests)
                least = min_requests(
                    result.provider,
                    (result.end - result.start).days,
                    labels[result.provider],
                    spender_pages(org, result.provider, result.start, result.end),
                ) + cap_requests(org, result.provider, result.start, result.end)
                figures.append(
                    Figure(
                        f"spenders.incremental.{history}d.{result.provider}.requests",
                        result.requests,
                        "requests",
                        f"= {least} (minimum)",
                        result.requests == least,
                        f"the scheduled sync an hour after a {history}-day backfill of {n_keys} keys / {n_users} "
                        f"users (window {result.start}..{result.end - timedelta(days=1)}); the minimum includes "
                        "the spender pages of that window (key listings grow with keys, not with history)",
                    )
                )
        for provider, seen in counts.items():
            spread = max(seen) - min(seen)
            figures.append(
                Figure(
                    f"spenders.incremental.{provider}.spread",
                    spread,
                    "requests",
                    "= 0 (constant)",
                    spread == 0,
                    f"max - min requests per scheduled run over histories of {', '.join(map(str, histories))} days",
                )
            )
        # --- latency at db_days of history --------------------------------------------------------------------
        db = spender_db(urls, backfill_db, db_days, backfill_days, sizes, directory)
    figures += latency_figures(db, db_days, runs)
    return figures


if __name__ == "__main__":
    _child(Urls(sys.argv[1], sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))

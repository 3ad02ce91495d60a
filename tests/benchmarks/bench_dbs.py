"""Big generated databases for the latency, start-up and memory benchmarks, cached by size.

History of `days` days ending today (today partial) for both providers: 20 workspaces/projects each (40 in all,
the first being the Default Workspace / org-level spend) × 25 models, one cost row and one usage row per
(day, workspace, model): 40 × 25 = 1000 cost rows a day, so 730 days ≈ 730k cost rows (and as many usage rows).
Anthropic has Priority Tier usage on one day of the last week, as the real org does.

The rows are written through Store.replace_provider_data (the path a sync takes, rollups included), 31 days per
transaction, never through HTTP. A finished database is renamed into the cache only when complete, so an
interrupted build is never reused; the file name carries a version to bump when the generator changes.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.records import CostRecord, Label, ProviderData, UsageRecord
from bot.store import Store
from tests.benchmarks.bench_support import cache_dir

GENERATOR_VERSION = 1
TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
WORKSPACES_PER_PROVIDER = 20
MODELS = 25
CHUNK_DAYS = 31
PROVIDERS = ("anthropic", "openai")
SIZES = (30, 365, 730)


def workspace_ids(provider: str) -> list[str]:
    prefix = "wrkspc_bench" if provider == "anthropic" else "proj_bench"
    return ["", *(f"{prefix}{i:03d}" for i in range(1, WORKSPACES_PER_PROVIDER))]


def model_names(provider: str) -> list[str]:
    prefix = "claude-bench" if provider == "anthropic" else "gpt-bench"
    return [f"{prefix}-{k:02d}" for k in range(1, MODELS + 1)]


def _provider_data(provider: str, start: date, end: date) -> ProviderData:
    data = ProviderData(provider, start, end)
    workspaces, models = workspace_ids(provider), model_names(provider)
    priority_day = TODAY - timedelta(days=4)
    day = start
    while day < end:
        scale = 1 if day < TODAY else 3  # today is partial: a fraction of a day
        ordinal = day.toordinal()
        for w, workspace in enumerate(workspaces):
            for m, model in enumerate(models):
                # deterministic, uneven amounts between $0.001 and $1 (in nano-dollars)
                amount = ((w * 31 + m * 17 + ordinal * 7) % 997 + 1) * 1_000_000 // scale
                item = f"{model}, output" if provider == "openai" else "tokens:output_tokens"
                data.costs.append(CostRecord(provider, day, workspace, model, item, "standard", amount))
                tokens = amount // 1000
                data.usage.append(
                    UsageRecord(
                        provider, day, workspace, model, "standard", tokens * 4, tokens, tokens * 2, tokens // 3, 1
                    )
                )
        if provider == "anthropic" and day == priority_day:
            data.usage.append(
                UsageRecord(provider, day, workspaces[1], models[0], "priority", 500_000, 20_000, 0, 0, 5)
            )
        day += timedelta(days=1)
    data.labels = [Label(provider, w, f"{provider}-workspace-{i:02d}") for i, w in enumerate(workspaces) if w]
    return data


def fill(store: Store, days: int) -> int:
    """Write `days` days of history ending today into `store`, logged as one successful sync per provider."""
    first, end = TODAY - timedelta(days=days - 1), TODAY + timedelta(days=1)
    rows = 0
    for provider in PROVIDERS:
        sync_id = store.begin_sync(provider, NOW - timedelta(minutes=5), (first, end))
        written = 0
        lo = first
        while lo < end:
            hi = min(lo + timedelta(days=CHUNK_DAYS), end)
            written += store.replace_provider_data(_provider_data(provider, lo, hi), NOW - timedelta(minutes=4))
            lo = hi
        store.finish_sync(sync_id, NOW - timedelta(minutes=4), "ok", None, written)
        rows += written
    return rows


def db_path(days: int) -> Path:
    return cache_dir() / f"history-{days}d-{WORKSPACES_PER_PROVIDER * 2}x{MODELS}-v{GENERATOR_VERSION}.db"


def ensure_db(days: int, *, directory: Path | None = None) -> Path:
    """The cached database of `days` days, building it first if needed (a few seconds per 100 days)."""
    path = db_path(days) if directory is None else directory / f"history-{days}d.db"
    if path.exists():
        return path
    building = path.with_name(path.name + f".building-{os.getpid()}")
    for leftover in (building, building.with_name(building.name + "-wal"), building.with_name(building.name + "-shm")):
        leftover.unlink(missing_ok=True)
    with Store(building) as store:
        fill(store, days)
    # closing the last connection checkpointed the WAL into the file, so the file alone is the database
    os.replace(building, path)
    return path

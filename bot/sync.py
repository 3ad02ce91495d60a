"""Sync orchestration: pick each provider's window, fetch all providers concurrently, store each one atomically.

Every provider gets its own sync-log row (running -> ok | error), its own fetch thread and its own write
transaction, so one provider failing never stops or rolls back another. Fetching is the slow part and runs in
the worker threads; the writes happen on the calling thread as each fetch completes, which keeps the progress
callback single-threaded and opens no database connection per sync thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from bot.errors import AispendError, ProviderDataError, StoreError, UsageError
from bot.freshness import TRAILING_DAYS
from bot.providers.base import Provider
from bot.records import ProviderData
from bot.store import Store

logger = logging.getLogger(__name__)

Progress = Callable[[str, str], None]
_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class SyncResult:
    provider: str
    ok: bool
    start: date  # first day fetched
    end: date  # end of the window, excluded (today + 1)
    rows: int  # cost and usage rows written
    requests: int  # HTTP requests the fetch made
    error: str | None  # one-line, secret-free reason when not ok
    warnings: list[str] = field(default_factory=list)


def sync_window(
    today: date,
    synced: tuple[date, date] | None,
    *,
    backfill_days: int,
    days: int | None,
    trailing_days: int,
    unfinished: date | None = None,
) -> tuple[date, date]:
    """The days [start, end) to fetch; `synced` is the provider's Store.data_range (None = never synced).

    `unfinished` is its first day within the backfill horizon not yet fetched after it ended, or skipped
    (Store.first_unfinished_day): an incremental sync reaches back to it, so a day that `sync --days` left
    partial becomes final. Nothing is fetched from before the horizon.
    """
    end = today + _DAY  # today's partial bucket is included
    if days is not None:
        return today - (days - 1) * _DAY, end
    earliest = today - (backfill_days - 1) * _DAY
    if synced is None:
        return earliest, end
    last_end = synced[1] + _DAY
    # Recent days are revised by the providers, so the trailing window is always fetched again; starting from
    # the last synced window also fills any gap a downtime left, up to the backfill horizon.
    start = min(today - (trailing_days - 1) * _DAY, last_end - trailing_days * _DAY)
    if unfinished is not None:
        start = min(start, unfinished)
    return max(start, earliest), end


@dataclass(frozen=True, slots=True)
class _Plan:
    provider: Provider
    start: date
    end: date
    sync_id: int


def sync_providers(
    store: Store,
    providers: Sequence[Provider],
    *,
    now: datetime,
    backfill_days: int,
    days: int | None = None,
    trailing_days: int = TRAILING_DAYS,
    progress: Progress | None = None,
) -> list[SyncResult]:
    """Sync every provider concurrently; one SyncResult per provider, in the order given.

    `now` is an aware datetime; today is its UTC date. Provider failures are results (ok=False), never raised;
    a StoreError raised while logging the start of the syncs (database unusable) propagates.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime (UTC)")
    if days is not None and days < 1:
        raise UsageError(f"--days must be at least 1, not {days}; use e.g. --days 7.")
    if backfill_days < 1 or trailing_days < 1:
        raise ValueError(f"backfill_days ({backfill_days}) and trailing_days ({trailing_days}) must be at least 1")
    names = [provider.name for provider in providers]
    if len(set(names)) != len(names):
        raise ValueError(f"each provider can be synced once per run, got {names}")
    report: Progress = progress or _silent
    today = now.astimezone(UTC).date()

    plans = []
    for provider in providers:
        synced = store.data_range(provider.name)
        start, end = sync_window(
            today,
            synced,
            backfill_days=backfill_days,
            days=days,
            trailing_days=trailing_days,
            unfinished=store.first_unfinished_day(provider.name, today - (backfill_days - 1) * _DAY),
        )
        sync_id = store.begin_sync(provider.name, now, (start, end))
        plans.append(_Plan(provider, start, end, sync_id))
        kind = "re-fetch" if days is not None else "backfill" if synced is None else "incremental"
        report(provider.name, f"fetching {start} to {end - _DAY} ({(end - start).days} days, {kind})")

    if not plans:
        return []
    results: dict[str, SyncResult] = {}
    with ThreadPoolExecutor(max_workers=len(plans), thread_name_prefix="aispend-sync") as pool:
        futures = {pool.submit(_fetch, plan.provider, plan.start, plan.end): plan for plan in plans}
        for future in as_completed(futures):
            plan = futures.pop(future)
            results[plan.provider.name] = _complete(store, plan, future, now, report)
            # the future holds the fetched data: let it go once stored, not when the slowest provider is done
            del future
    return [results[name] for name in names]


def _fetch(provider: Provider, start: date, end: date) -> ProviderData:
    """The window's data, then the provider's spend caps as they are now (a refusal there is a note, not a failure)."""
    data = provider.fetch(start, end)
    caps = provider.fetch_caps(data)
    data.caps, data.requests = caps, data.requests + caps.requests
    if caps.note is not None:
        data.warnings.append(caps.note)
    return data


def _complete(store: Store, plan: _Plan, future: Future[ProviderData], now: datetime, report: Progress) -> SyncResult:
    """Write one provider's fetch (or record its failure) and close its sync-log row."""
    name = plan.provider.name
    rows = requests = 0
    warnings: list[str] = []
    error: str | None = None
    try:
        data = future.result()
        _check_window(plan, data)
        requests, warnings = data.requests, list(data.warnings)
        report(name, f"fetched {len(data.costs) + len(data.usage)} rows in {requests} requests")
        rows = store.replace_provider_data(data, now)
    except Exception as err:
        error = _describe(name, err)
        rows = 0
    try:
        store.finish_sync(plan.sync_id, now, "ok" if error is None else "error", error, rows)
    except StoreError as err:
        logger.exception("could not record the end of the %s sync", name)
        error = error or str(err)
    if error is None:
        suffix = f", {len(warnings)} warning(s)" if warnings else ""
        report(name, f"done: {rows} rows written{suffix}")
    else:
        report(name, f"failed: {error}")
    return SyncResult(name, error is None, plan.start, plan.end, rows, requests, error, warnings)


def _check_window(plan: _Plan, data: ProviderData) -> None:
    # The store replaces exactly the days the data claims; anything else would delete or keep the wrong days.
    if (data.provider, data.start, data.end) != (plan.provider.name, plan.start, plan.end):
        raise ProviderDataError(
            plan.provider.name,
            f"{plan.provider.name} returned {data.provider} data for {data.start}..{data.end} when asked for "
            f"{plan.start}..{plan.end}; this is a bug in the provider module, please report it.",
        )


def _describe(name: str, err: Exception) -> str:
    """The sync log's reason: our own errors are secret-free by construction; anything else is only named."""
    if isinstance(err, AispendError):
        # info, not warning: the caller shows the result (the CLI prints it, `run` logs at INFO)
        logger.info("sync of %s failed: %s", name, err)
        return str(err)
    logger.exception("sync of %s failed with an unexpected error", name)
    return f"unexpected error: {type(err).__name__}; see the bot's log"


def _silent(provider: str, message: str) -> None:
    pass

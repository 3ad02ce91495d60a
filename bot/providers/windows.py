"""UTC-day windows: splitting [start, end) into per-request chunks, running the chunks concurrently, and
turning a bucket's timestamp back into the day it covers (refusing buckets that are not day-aligned).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

from bot.errors import ProviderDataError
from bot.providers.http import ApiError, FetchCancelled, FetchSession, JsonClient, JsonObject, Params
from bot.providers.paging import fetch_all

T = TypeVar("T")


def day_chunks(start: date, end: date, size: int) -> list[tuple[date, date]]:
    """[start, end) cut into consecutive end-exclusive ranges of at most `size` days."""
    chunks = []
    cursor = start
    while cursor < end:
        stop = min(cursor + timedelta(days=size), end)
        chunks.append((cursor, stop))
        cursor = stop
    return chunks


def padded_start(lo: date, hi: date, min_days: int) -> date:
    """Where a request for the days [lo, hi) starts so that it spans at least `min_days` days (the caller drops
    the rows of the days before lo)."""
    return min(lo, hi - timedelta(days=min_days))


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def rfc3339(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def unix_seconds(day: date) -> int:
    return int(midnight(day).timestamp())


def day_of_timestamp(value: object, lo: date, hi: date) -> date | str:
    """The UTC day a bucket's start stands for, or a reason it cannot be trusted.

    Accepts RFC 3339 strings (Anthropic) and unix seconds (OpenAI). The bucket must start at a UTC
    midnight inside [lo, hi): we only ever ask for whole days, so anything else means the window
    was misread and its amounts would land on the wrong day.
    """
    when: datetime
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return f"bucket start {value!r} is not an RFC 3339 time"
        if when.tzinfo is None:
            return f"bucket start {value!r} has no time zone"
    elif isinstance(value, int) and not isinstance(value, bool):
        when = datetime.fromtimestamp(value, UTC)
    else:
        return f"bucket start {value!r} is not a timestamp"
    when = when.astimezone(UTC)
    if when.timetz() != time(0, tzinfo=UTC):
        return f"bucket start {value!r} is not a UTC midnight"
    day = when.date()
    if not lo <= day < hi:
        return f"bucket for {day} is outside the requested days {lo}..{hi - timedelta(days=1)}"
    return day


def bucket_rows(
    client: JsonClient,
    path: str,
    buckets: list[object],
    start_field: str,
    lo: date,
    hi: date,
    seen: set[date] | None = None,
) -> Iterator[tuple[date, JsonObject]]:
    """(day, row) for every result row of every bucket, checking each bucket's shape and day.

    `seen` carries the days already read across calls, for buckets that arrive one at a time.
    """
    seen = set() if seen is None else seen
    for bucket in buckets:
        if not isinstance(bucket, dict):
            raise client.data_error(path, f"a bucket is a {type(bucket).__name__}, not an object")
        day = day_of_timestamp(bucket.get(start_field), lo, hi)
        if isinstance(day, str):
            raise client.data_error(path, day)
        # a cursor that leads back to a page already read repeats its buckets; summing them would double the day
        if day in seen:
            raise client.data_error(path, f"the bucket for {day} came twice (a page repeated an earlier one)")
        seen.add(day)
        results = bucket.get("results")
        if not isinstance(results, list):
            raise client.data_error(path, f"the bucket for {day} has no `results` list")
        for row in results:
            if not isinstance(row, dict):
                raise client.data_error(path, f"a result row for {day} is not an object")
            yield day, row


def report_rows(
    client: JsonClient,
    path: str,
    params: Params,
    session: FetchSession,
    start_field: str,
    lo: date,
    hi: date,
    on_row: Callable[[date, JsonObject], None],
    after_bucket: Callable[[], object] | None = None,
    refused: Callable[[ApiError], bool] | None = None,
) -> None:
    """Every (day, row) of a daily report over [lo, hi), handed to on_row bucket by bucket as the pages stream;
    `after_bucket` is called when a bucket's rows are all handed over (its day is complete). An error answer that
    `refused` accepts raises RequestRefused (see JsonClient.get_json).

    Only one bucket is decoded at a time (issue 6). Errors keep the order a whole-page decode gives them: a
    page's paging is checked when it ends, so a bad bucket or row met while it streams is raised after that.
    """
    seen: set[date] = set()
    failures: list[ProviderDataError] = []

    def on_bucket(bucket: object) -> None:
        if failures:
            return
        try:
            for day, row in bucket_rows(client, path, [bucket], start_field, lo, hi, seen):
                on_row(day, row)
            if after_bucket is not None:
                after_bucket()
        except ProviderDataError as err:
            failures.append(err)

    fetch_all(client, path, params, session, context=f"days {lo}..{hi} exclusive", on_item=on_bucket, refused=refused)
    if failures:
        raise failures[0]


def run_all(jobs: list[Callable[[FetchSession], T]], session: FetchSession, max_workers: int) -> list[T]:
    """Run every job on a small pool; on the first failure stop the rest and raise that failure.

    Results come back in job order. Jobs cut short by the stop flag raise FetchCancelled, which is
    never the error reported: the first real failure (in job order) is.
    """
    if not jobs:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(jobs))), thread_name_prefix="fetch") as pool:
        futures: list[Future[T]] = [pool.submit(_stop_others_on_failure, job, session) for job in jobs]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        if any(f.exception() is not None for f in done):
            session.cancelled.set()
            for future in futures:
                future.cancel()
            wait(futures)
            for future in futures:
                if future.cancelled():
                    continue
                error = future.exception()
                if error is not None and not isinstance(error, FetchCancelled):
                    raise error
        return [f.result() for f in futures]


def _stop_others_on_failure(job: Callable[[FetchSession], T], session: FetchSession) -> T:
    # set the flag in the failing worker itself, before it can pick up the next queued job
    try:
        return job(session)
    except BaseException:
        session.cancelled.set()
        raise

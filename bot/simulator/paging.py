"""Query parsing, daily bucket plans and opaque cursors shared by both API surfaces.

A cursor is `page_` + base64 of JSON {"q": fingerprint of every other query parameter, "o": bucket offset},
so it is opaque to clients, survives URL encoding only if they encode it (it can hold '+', '/' and '='),
and a cursor reused with different parameters is detected and refused, as the real APIs do.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

DAY = timedelta(days=1)
Query = dict[str, list[str]]


class ParamError(Exception):
    """A 400: `param` names the offending parameter."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


def values(query: Query, name: str) -> list[str]:
    """Every value of one parameter, exactly as spelled (`group_by[]` and `group_by` are different names)."""
    return query.get(name, [])


def single(query: Query, name: str) -> str | None:
    found = values(query, name)
    return found[-1] if found else None


def parse_limit(query: Query, default: int, cap: int, noun: str) -> int:
    raw = single(query, "limit")
    if raw is None:
        return default
    try:
        limit = int(raw)
    except ValueError:
        raise ParamError(f"limit: Input should be a valid integer, got {raw!r}", "limit") from None
    if not 1 <= limit <= cap:
        raise ParamError(f"limit: must be between 1 and {cap} {noun} per page, got {limit}", "limit")
    return limit


def parse_bool(query: Query, name: str) -> bool:
    raw = single(query, name)
    return raw is not None and raw.lower() in ("true", "1", "yes")


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def parse_rfc3339(raw: str | None, name: str) -> datetime:
    if raw is None:
        raise ParamError(f"{name}: Field required", name)
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ParamError(f"{name}: Input should be a valid RFC 3339 datetime, got {raw!r}", name) from None
    if value.tzinfo is None:
        raise ParamError(f"{name}: Input should have timezone info, got {raw!r}", name)
    return value.astimezone(UTC)


def parse_unix(raw: str | None, name: str) -> datetime:
    if raw is None:
        raise ParamError(f"Missing required parameter: '{name}'.", name)
    try:
        return datetime.fromtimestamp(int(raw), tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise ParamError(f"Invalid value for '{name}': expected a unix timestamp in seconds.", name) from None


def rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


@dataclass(frozen=True, slots=True)
class Bucket:
    start: datetime
    end: datetime
    day: date
    covered_seconds: int  # how much of the UTC day the bucket spans (86400 unless partial)


@dataclass(frozen=True, slots=True)
class BucketPlan:
    """Daily buckets from `start` (snapped to midnight, or raw for a partial first bucket) until `end`."""

    start: datetime
    end: datetime
    first_day: date
    count: int
    clip: bool  # clip the first/last bucket to the requested range instead of whole days

    def bucket(self, index: int) -> Bucket:
        day = self.first_day + index * DAY
        start, end = midnight(day), midnight(day + DAY)
        if self.clip:
            start, end = max(start, self.start), min(end, self.end)
        return Bucket(start, end, day, int((end - start).total_seconds()))


def plan(start: datetime, end: datetime, *, clip: bool, end_name: str, empty: str | None = None) -> BucketPlan:
    """The buckets of [start, end); an empty range is a 400 (`empty` is the provider's wording for it)."""
    if end <= start:
        raise ParamError(empty or f"{end_name} must be after the start of the range", end_name)
    first_day = start.date()
    span = end - midnight(first_day)
    count = span.days + (1 if span % DAY else 0)
    return BucketPlan(start, end, first_day, count, clip)


def fingerprint(query: Query) -> str:
    """Every parameter but the cursor itself, order-insensitive."""
    pairs = sorted((key, value) for key, vals in query.items() if key != "page" for value in vals)
    return hashlib.sha256(json.dumps(pairs).encode()).hexdigest()[:16]


def encode_cursor(fp: str, offset: int) -> str:
    return "page_" + base64.b64encode(json.dumps({"q": fp, "o": offset}).encode()).decode()


def decode_cursor(cursor: str, fp: str) -> int:
    try:
        body = json.loads(base64.b64decode(cursor.removeprefix("page_"), validate=True))
        offset, bound_to = body["o"], body["q"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise ParamError("page: invalid pagination cursor; pass the next_page value unchanged", "page") from None
    if not isinstance(offset, int) or offset < 0:
        raise ParamError("page: invalid pagination cursor; pass the next_page value unchanged", "page")
    if bound_to != fp:
        raise ParamError(
            "page: this cursor belongs to a request with different parameters; repeat the original query", "page"
        )
    return offset


@dataclass(frozen=True, slots=True)
class PageState:
    """Where a served page sits, so cursor faults can rewrite its paging fields."""

    fp: str
    offset: int
    limit: int
    given: str | None  # the cursor the request carried


def page_window(query: Query, bucket_plan: BucketPlan, limit: int) -> tuple[list[Bucket], str | None, PageState]:
    """The buckets of this page, the next cursor (None at the end) and the page state."""
    fp = fingerprint(query)
    given = single(query, "page")
    offset = decode_cursor(given, fp) if given else 0
    stop = min(offset + limit, bucket_plan.count)
    buckets = [bucket_plan.bucket(i) for i in range(offset, stop)]
    next_page = encode_cursor(fp, stop) if stop < bucket_plan.count else None
    return buckets, next_page, PageState(fp, offset, limit, given)


def id_page(query: Query, items: list[dict[str, Any]], noun: str, *, unknown: str = "id") -> dict[str, Any]:
    """An Anthropic list page by `after_id` / `before_id` / `limit` (1-1000, default 20) over `items` (each with an
    `id`), with `has_more`, `first_id` and `last_id`, as the workspaces, API keys and users lists page."""
    limit = parse_limit(query, 20, 1000, noun)
    ids = [i["id"] for i in items]
    start, stop = 0, len(items)
    after, before = single(query, "after_id"), single(query, "before_id")
    if after is not None:
        if after not in ids:
            raise ParamError(f"after_id: unknown {unknown} {after!r}", "after_id")
        start = ids.index(after) + 1
    if before is not None:
        if before not in ids:
            raise ParamError(f"before_id: unknown {unknown} {before!r}", "before_id")
        stop = ids.index(before)
        start = max(start, stop - limit) if after is None else start
    page = items[start : min(stop, start + limit)]
    has_more = start + len(page) < stop if before is None else start > 0
    first, last = (page[0]["id"], page[-1]["id"]) if page else (None, None)
    return {"data": page, "has_more": has_more, "first_id": first, "last_id": last}

"""The retry policy: which failed answers are retried, bounded exponential backoff with jitter, and retry-after."""

from __future__ import annotations

import random
from email.utils import parsedate_to_datetime

import httpx

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
MAX_ATTEMPTS = 5
BACKOFF_START = 0.5
BACKOFF_MAX = 8.0
RETRY_AFTER_MAX = 60.0  # a server asking for longer is not a blip; fail and let the next sync try
UNAUTHORIZED_RETRY_DELAY = 2.0


def should_retry(response: httpx.Response) -> bool:
    hint = str(response.headers.get("x-should-retry", "")).lower()
    if hint in ("true", "false"):
        return hint == "true"
    return response.status_code in RETRY_STATUSES or response.status_code >= 500


def backoff(attempt: int, rng: random.Random) -> float:
    base: float = min(BACKOFF_START * 2.0 ** (attempt - 1), BACKOFF_MAX)
    return base * (1 - 0.25 * rng.random())


def retry_delay(response: httpx.Response, attempt: int, rng: random.Random, now: float) -> float | None:
    """The server's requested wait if it gave one (None if too long to wait for), else backoff."""
    asked = retry_after_seconds(response.headers, now)
    if asked is None:
        return backoff(attempt, rng)
    return asked if asked <= RETRY_AFTER_MAX else None


def retry_after_seconds(headers: httpx.Headers, now: float) -> float | None:
    """Seconds the server asked us to wait (`retry-after-ms`, `retry-after` seconds or HTTP date)."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - now, 0.0)

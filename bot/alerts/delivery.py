"""Posting recorded alerts to Slack under the alerts lease: exactly once, or kept pending for the next try.

The lease is a row in SQLite (bot.store.alerts) with an expiry, so two threads or two processes on one database
never post at the same time, and a crashed holder blocks nobody for longer than LEASE_TTL. Slack 5xx,
`ratelimited` (after the client's own retries) and network failures leave a message pending; refusals that
will not fix themselves (channel_not_found, not_in_channel, invalid_auth...) mark it failed_permanent and log
the fix. Messages go out oldest first, about one a second, as chat.postMessage allows per channel.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.alerts.model import FAILED, PENDING, POSTED, AlertRecord, Delivery
from bot.alerts.overview import fix_for
from bot.alerts.render import render_record
from bot.store.alerts import AlertStore

logger = logging.getLogger("aispend.alerts")

LEASE = "alerts"
LEASE_TTL = timedelta(minutes=10)
LEASE_POLL = 0.2  # seconds between attempts while another evaluation holds the lease
MAX_ATTEMPTS = 48  # an unknown Slack error is retried this many evaluations before it counts as permanent
TRANSIENT_CODES = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout", "team_added_to_org"}
)


@dataclass(frozen=True, slots=True)
class ElapsedClock:
    """The caller's `now`, advanced by real elapsed time, so a lease renewed mid-run really moves forward."""

    start: datetime
    t0: float

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.t0)


def new_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"


def acquire(alert_store: AlertStore, holder: str, clock: Callable[[], datetime], wait: float) -> bool:
    """Take the lease, waiting up to `wait` seconds for another evaluation to finish with it."""
    deadline = time.monotonic() + wait
    while not alert_store.acquire_lease(LEASE, holder, clock(), clock() + LEASE_TTL):
        if time.monotonic() >= deadline:
            return False
        time.sleep(LEASE_POLL)
    return True


def _redact(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "********")
    return text


def _classify(err: SlackApiError, attempts: int) -> tuple[str, bool]:
    """(error code, permanent?) for a Slack refusal."""
    status = getattr(err.response, "status_code", 200)
    code = str(err.response.get("error") or f"http_{status}")
    if status >= 500 or status == 429 or code in TRANSIENT_CODES:
        return code, False
    if fix_for(code) is not None:
        return code, True
    return code, attempts + 1 >= MAX_ATTEMPTS


def deliver(
    alert_store: AlertStore,
    client: WebClient,
    channel: str,
    *,
    clock: Callable[[], datetime],
    holder: str,
    include_failed: bool = False,
    pace: float = 1.0,
    secrets: Sequence[str] = (),
) -> list[Delivery]:
    """Post every pending message (and failed ones when asked), oldest first, while holding the lease."""
    results: list[Delivery] = []
    tried: set[str] = set()
    while True:
        # asked again after each round: a message recorded meanwhile (the digest, a follow-up) goes out too
        batch = [r for r in alert_store.to_deliver(include_failed) if r.identity not in tried]
        if not batch:
            return results
        for record in batch:
            if tried and pace:
                time.sleep(pace)  # chat.postMessage allows about one message per second per channel
            tried.add(record.identity)
            now = clock()
            if not alert_store.acquire_lease(LEASE, holder, now, now + LEASE_TTL):
                logger.warning("lost the alerts lease; the process that holds it posts the rest")
                return results
            results.append(_post(alert_store, client, channel, record, now, secrets))


def _post(
    alert_store: AlertStore,
    client: WebClient,
    channel: str,
    record: AlertRecord,
    now: datetime,
    secrets: Sequence[str],
) -> Delivery:
    message = render_record(record)
    try:
        response = client.chat_postMessage(
            channel=channel, text=message.text, blocks=message.blocks, unfurl_links=False, unfurl_media=False
        )
    except SlackApiError as err:
        code, permanent = _classify(err, record.attempts)
        alert_store.mark_failed(record.identity, code, permanent=permanent, channel=channel)
        if permanent:
            fix = fix_for(code) or "check the aispend log, then run `aispend alerts` to resend."
            logger.error("alert %s was NOT posted to %s: Slack said %s; %s", record.identity, channel, code, fix)
            return Delivery(record.identity, FAILED, code, fix)
        logger.warning(
            "alert %s not posted yet (Slack said %s); retrying at the next evaluation", record.identity, code
        )
        return Delivery(record.identity, PENDING, code)
    except Exception as err:  # network failures and anything unexpected: keep it pending, never lose it
        error = _redact(f"{type(err).__name__}: {err}", secrets)[:300]
        alert_store.mark_failed(record.identity, error, permanent=False, channel=channel)
        logger.warning("alert %s not posted yet (%s); retrying at the next evaluation", record.identity, error)
        return Delivery(record.identity, PENDING, error)
    alert_store.mark_posted(
        record.identity, str(response.get("channel") or channel), str(response.get("ts") or ""), now
    )
    logger.info("posted alert %s to %s", record.identity, channel)
    return Delivery(record.identity, POSTED)

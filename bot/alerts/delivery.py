"""Posting recorded alerts to Slack under the alerts lease: exactly once, never blindly twice.

A post is not idempotent, so every attempt is committed as `posting` (with attempt_at) before the request goes
out, and only an answer from Slack decides what happens next:

| what happened to chat.postMessage                                  | known?   | state                   |
|--------------------------------------------------------------------|----------|-------------------------|
| ok, with its ts                                                    | posted   | posted (ts recorded)    |
| refused: ratelimited (after the client's retries), unknown codes   | not      | pending: retried        |
| refused for good: channel_not_found, not_in_channel, invalid_auth… | not      | failed_permanent        |
| the request never left: connection refused, DNS (urllib URLError)  | not      | pending: retried        |
| 5xx, internal_error, fatal_error, timeout, reset or dropped answer | unknown  | posting: checked first  |
| an answer that is not Slack's JSON (a proxy's HTML page)           | unknown  | posting: checked first  |
| the process died during the post                                   | unknown  | posting (committed)     |

Before a `posting` or `uncertain` message is posted again, the channel is read (bot.alerts.lookup), once the
attempt is CHECK_AFTER old:

| the channel's history                                              | state                                       |
|--------------------------------------------------------------------|---------------------------------------------|
| holds this bot's message with the alert's identity in its metadata | posted, with that message's ts              |
| readable, and no such message since the attempt                    | posted again now (a new attempt)            |
| unreadable: missing_scope, not_in_channel…                         | uncertain: logged once, shown to admins,    |
|                                                                    | looked for again at every evaluation; posted|
|                                                                    | only by `aispend alerts --resend ID`        |
| Slack or the network failed the read                               | unchanged: checked at the next evaluation   |

Messages go out oldest first, about one a second, as chat.postMessage allows per channel. A message's picture
(bot.alerts.pictures) is uploaded before its attempt is recorded; without one, the message goes out all the same.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.alerts.lease import LEASE, LEASE_TTL, ElapsedClock, acquire, new_holder
from bot.alerts.lookup import alert_metadata, find_alert
from bot.alerts.model import FAILED, PENDING, POSTED, POSTING, UNCERTAIN, AlertRecord, AlertRun, Delivery
from bot.alerts.overview import fix_for, uncertain_fix
from bot.alerts.pictures import Pictures
from bot.alerts.render import render_record
from bot.alerts.routing import Route
from bot.config import Settings
from bot.saved_settings import effective_settings
from bot.slack.client import answered_by_a_page
from bot.store import Store
from bot.store.alerts import AlertStore

__all__ = ["LEASE", "ElapsedClock", "acquire", "deliver", "new_holder", "resend"]

logger = logging.getLogger("aispend.alerts")

MAX_ATTEMPTS = 48  # an unknown Slack error is retried this many evaluations before it counts as permanent
CHECK_AFTER = timedelta(minutes=2)  # a post this recent may still be on its way: look for it later
NOT_POSTED_CODES = frozenset({"ratelimited", "team_added_to_org"})  # Slack turned it away before doing anything
# Slack failed while handling it: some of the operation may have happened, so the message may exist
MAYBE_POSTED_CODES = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout"})
NOT_JSON = "not_json"  # an answer that is not Slack's (a proxy's HTML page): whether Slack got the post is unknown


def _redact(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "********")
    return text


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _code(err: SlackApiError) -> tuple[str, int]:
    status = int(getattr(err.response, "status_code", 200))
    code = err.response.get("error")
    return (NOT_JSON if answered_by_a_page(code) else str(code or f"http_{status}")), status


def _classify(code: str, status: int, attempts: int) -> tuple[bool, bool]:
    """(maybe posted?, permanent?) for a Slack refusal."""
    if status >= 500 or code in MAYBE_POSTED_CODES or code == NOT_JSON:
        return True, False
    if status == 429 or code in NOT_POSTED_CODES:
        return False, False
    if fix_for(code) is not None:
        return False, True
    return False, attempts + 1 >= MAX_ATTEMPTS


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
    route: Route | None = None,
    pictures: Pictures | None = None,
) -> list[Delivery]:
    """Post (or first look for) every message still due, oldest first, while holding the lease.

    With `route`, each message goes to its kind's channel, and one that waits for quiet hours stays pending.
    """
    results: list[Delivery] = []
    tried: set[str] = set()
    posted_any = False
    while True:
        # asked again after each round: a message recorded meanwhile (the digest, a follow-up) goes out too
        batch = [r for r in alert_store.to_deliver(include_failed) if r.identity not in tried]
        if not batch:
            return results
        for record in batch:
            held = route.held(record, clock()) if route is not None else None
            if held is not None:  # not urgent, inside quiet hours: it stays as it is for a later evaluation
                tried.add(record.identity)
                results.append(Delivery(record.identity, record.state, held))
                continue
            if posted_any and pace:
                time.sleep(pace)  # chat.postMessage allows about one message per second per channel
            posted_any = True
            tried.add(record.identity)
            now = clock()
            target = route.channel_for(record.kind) if route is not None else channel
            if not alert_store.acquire_lease(LEASE, holder, now, now + LEASE_TTL):
                logger.warning("lost the alerts lease; the process that holds it posts the rest")
                return results
            delivery = _deliver_one(alert_store, client, target, record, now, secrets, pictures)
            if delivery is not None:
                results.append(delivery)


def _deliver_one(
    alert_store: AlertStore,
    client: WebClient,
    channel: str,
    record: AlertRecord,
    now: datetime,
    secrets: Sequence[str],
    pictures: Pictures | None = None,
) -> Delivery | None:
    if record.state in (POSTING, UNCERTAIN):
        settled = _look_first(alert_store, client, channel, record, now)
        if settled is not None:
            return settled
    return _post(alert_store, client, channel, record, now, secrets, pictures)


def _look_first(
    alert_store: AlertStore, client: WebClient, channel: str, record: AlertRecord, now: datetime
) -> Delivery | None:
    """Settle an attempt whose outcome is unknown; None when the channel showed it absent (post it again)."""
    identity, where = record.identity, record.channel or channel
    started = _parse(record.attempt_at or record.created_at)
    if record.state == POSTING and now - started < CHECK_AFTER:
        return Delivery(identity, POSTING, record.last_error or "a post began moments ago")
    found = find_alert(client, where, identity, started)
    if found.outcome == "found" and found.ts is not None:
        alert_store.mark_posted(identity, where, found.ts, now)
        logger.info("alert %s was in %s already (ts %s): recorded, not posted again", identity, where, found.ts)
        return Delivery(identity, POSTED)
    if found.outcome == "absent":
        logger.info("alert %s is not in %s after an uncertain post: posting it again", identity, where)
        return None
    error = found.error or "unknown"
    if found.outcome == "unavailable":
        logger.warning(
            "could not read %s to look for alert %s (%s); trying at the next evaluation", where, identity, error
        )
        if record.state == UNCERTAIN:
            code = record.last_error or error
            return Delivery(identity, UNCERTAIN, code, uncertain_fix(identity, code))
        return Delivery(identity, POSTING, record.last_error or error)
    fix = uncertain_fix(identity, error)
    if record.state == POSTING:  # said once, when it becomes uncertain; the admin notice repeats it
        logger.error("alert %s may or may not have been posted to %s and cannot be checked: %s", identity, where, fix)
    alert_store.mark_uncertain(identity, error)
    return Delivery(identity, UNCERTAIN, error, fix)


def _post(
    alert_store: AlertStore,
    client: WebClient,
    channel: str,
    record: AlertRecord,
    now: datetime,
    secrets: Sequence[str],
    pictures: Pictures | None = None,
) -> Delivery | None:
    identity = record.identity
    message = render_record(record)
    if pictures is not None:  # before the attempt is recorded: nothing sits between `posting` and the post
        message = pictures.attach(record, message)
    if not alert_store.begin_attempt(identity, channel, now, expected=record.state, expected_attempt=record.attempt_at):
        return None  # another evaluation took it meanwhile
    try:
        response = client.chat_postMessage(
            channel=channel,
            text=message.text,
            blocks=message.blocks,
            unfurl_links=False,
            unfurl_media=False,
            metadata=alert_metadata(identity),
        )
    except SlackApiError as err:
        code, status = _code(err)
        maybe, permanent = _classify(code, status, record.attempts)
        if maybe:
            alert_store.mark_unknown(identity, code)
            logger.warning(
                "alert %s: Slack said %s, so it may have been posted; checking before any new post", identity, code
            )
            return Delivery(identity, POSTING, code)
        alert_store.mark_failed(identity, code, permanent=permanent, channel=channel)
        if permanent:
            fix = fix_for(code) or "check the aispend log, then run `aispend alerts` to resend."
            logger.error("alert %s was NOT posted to %s: Slack said %s; %s", identity, channel, code, fix)
            return Delivery(identity, FAILED, code, fix)
        logger.warning("alert %s not posted yet (Slack said %s); retrying at the next evaluation", identity, code)
        return Delivery(identity, PENDING, code)
    except URLError as err:  # urllib failed before the whole request was sent: Slack cannot have it
        error = _redact(f"{type(err).__name__}: {err}", secrets)[:300]
        alert_store.mark_failed(identity, error, permanent=False, channel=channel)
        logger.warning("alert %s not posted yet (%s); retrying at the next evaluation", identity, error)
        return Delivery(identity, PENDING, error)
    except Exception as err:  # sent, then no answer (timeout, reset, a broken reply): it may be in the channel
        error = _redact(f"{type(err).__name__}: {err}", secrets)[:300]
        alert_store.mark_unknown(identity, error)
        logger.warning("alert %s: %s after it was sent; checking the channel before any new post", identity, error)
        return Delivery(identity, POSTING, error)
    alert_store.mark_posted(identity, str(response.get("channel") or channel), str(response.get("ts") or ""), now)
    logger.info("posted alert %s to %s", identity, channel)
    return Delivery(identity, POSTED)


def resend(
    store: Store,
    client: WebClient,
    *,
    settings: Settings,
    identities: Sequence[str],
    today: date,
    now: datetime,
    pace: float = 1.0,
    lease_wait: float = 30.0,
) -> AlertRun:
    """`aispend alerts --resend ID`: an admin found an uncertain (or refused) alert missing from the channel."""
    settings = effective_settings(store, settings)
    if settings.alert_channel is None:
        raise ValueError("resend needs AISPEND_ALERT_CHANNEL")
    alert_store = AlertStore(store)
    clock = ElapsedClock(now, time.monotonic())
    holder = new_holder()
    if not acquire(alert_store, holder, clock, lease_wait):
        return AlertRun(today, False, skipped="another aispend process is posting right now; run it again shortly")
    notes: list[str] = []
    try:
        for identity in identities:
            record = alert_store.allow_resend(identity)
            if record is None:
                notes.append(f"No alert {identity!r}: `aispend alerts` and `/aispend alerts` name those to resend.")
            elif record.state != PENDING:
                notes.append(f"{identity} is {record.state.replace('_', ' ')}, not uncertain: nothing to resend.")
        deliveries = deliver(
            alert_store,
            client,
            settings.alert_channel,
            clock=clock,
            holder=holder,
            pace=pace,
            secrets=settings.secrets(),
            # an admin asked for these now: each goes to its kind's channel, quiet hours or not
            route=replace(Route.of(settings, settings.alert_channel), quiet=None),
        )
    finally:
        alert_store.release_lease(LEASE, holder)
    return AlertRun(today, False, deliveries=tuple(deliveries), notes=tuple(notes))

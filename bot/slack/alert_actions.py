"""The buttons on alert messages: Acknowledge, Snooze 7 days, Details.

Each handler acks first (Slack wants it within 3 s), then does its work in the `work` pool: a listener must never
block, because HTTP mode dispatches on its event loop (see bot.slack.http_server).
- Acknowledge records who clicked (the first click wins) and edits the message to say so.
- Snooze 7 days mutes every scope of that alert (all budget warnings, for a budget alert); admins only
  (AISPEND_ADMIN_USERS), others get a polite ephemeral refusal.
- Details posts the full breakdown as a thread reply.
- Expected / Not expected (anomaly kinds) record who judged the alert and when (bot.store.alert_feedback); Expected
  also mutes the anomalies of its scopes for 7 days. Admins only, like Snooze: Expected mutes, and both answers are
  kept as labelled data for tuning the rules.
Wire it with
`create_app(..., registrars=[lambda app: register_alert_actions(app, alert_store, settings, work=pool, now=clock)])`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from urllib.error import URLError

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.alerts.feedback import EXPECTED, FEEDBACK_KINDS, FEEDBACK_MUTE_DAYS, NOT_EXPECTED
from bot.alerts.messages import (
    ACK_ACTION,
    DETAILS_ACTION,
    EXPECTED_ACTION,
    NOT_EXPECTED_ACTION,
    SNOOZE_ACTION,
    SNOOZE_DAYS,
    MessageState,
)
from bot.alerts.model import AlertRecord
from bot.alerts.pictures import POSITION
from bot.alerts.render import render_details, render_record
from bot.alerts.rules import BUDGET
from bot.alerts.service import BUDGET_LABEL
from bot.config import Settings
from bot.safe_text import mrkdwn
from bot.slack.access import Policy, admin_refusal
from bot.slack.charts import picture_in, with_picture
from bot.slack.kit import fit_text
from bot.store.alert_feedback import feedback_for, record_feedback
from bot.store.alerts import AlertStore

logger = logging.getLogger("aispend.slack.alerts")

Body = dict[str, Any]
_GONE = (
    "This alert is no longer in aispend's database (was the database replaced?), so there is nothing to do here; "
    "`/aispend alerts` lists the current ones."
)
_NO_ALERT = (
    "This button does not say which alert it belongs to, so there is nothing to do here; "
    "`/aispend alerts` lists the current ones."
)
_LOST_DETAILS = (
    "Slack did not answer when the details were sent, so they may be in the alert's thread already: look there "
    "before you press Details again."
)
_NO_USER = "Slack did not say who clicked this button, so nothing was recorded: please click it again."


class AlertActions:
    def __init__(
        self, alert_store: AlertStore, settings: Settings, now: Callable[[], datetime], work: Executor
    ) -> None:
        self.alert_store = alert_store
        self.policy = Policy.from_settings(settings)
        self.now = now
        self.work = work

    def _later(self, fn: Callable[..., None], *args: Any) -> None:
        def run() -> None:
            try:
                fn(*args)
            except Exception:  # after the ack nobody else would see it
                logger.exception("alert button handler failed")

        self.work.submit(run)

    # Bolt injects listener arguments by parameter name.
    def on_ack(self, ack: Ack, body: Body, client: WebClient, respond: Respond) -> None:
        ack()
        self._later(self.acknowledge, body, client, respond)

    def on_snooze(self, ack: Ack, body: Body, client: WebClient, respond: Respond) -> None:
        ack()
        self._later(self.snooze, body, client, respond)

    def on_details(self, ack: Ack, body: Body, client: WebClient, respond: Respond) -> None:
        ack()
        self._later(self.details, body, client, respond)

    def on_expected(self, ack: Ack, body: Body, client: WebClient, respond: Respond) -> None:
        ack()
        self._later(self.judge, body, client, respond, EXPECTED)

    def on_not_expected(self, ack: Ack, body: Body, client: WebClient, respond: Respond) -> None:
        ack()
        self._later(self.judge, body, client, respond, NOT_EXPECTED)

    # --- the work after the ack ----------------------------------------------------------------------------

    def acknowledge(self, body: Body, client: WebClient, respond: Respond) -> None:
        identity, user = _identity(body), _user(body)
        if user is None:
            _tell(respond, _NO_USER)
            return
        if identity is None:
            _tell(respond, _NO_ALERT)
            return
        record = self.alert_store.acknowledge(identity, user, self.now())
        if record is None:
            _tell(respond, _GONE)
            return
        if record.acked_by != user:
            _tell(respond, f"<@{record.acked_by}> already acknowledged this alert.")
            return
        self._update(body, client, respond, record, self._state(record))

    def _admin_click(self, body: Body, respond: Respond, what: str) -> tuple[str, AlertRecord, str] | None:
        """(identity, record, user) of an admin's click on an alert still in the ledger; else the clicker is told
        why and None."""
        identity, user = _identity(body), _user(body)
        if user is None:
            _tell(respond, _NO_USER)
            return None
        refusal = admin_refusal(self.policy, user, what)
        if refusal is not None:
            _tell(respond, refusal + " You can still Acknowledge it.")
            return None
        if identity is None:
            _tell(respond, _NO_ALERT)
            return None
        record = self.alert_store.get(identity)
        if record is None:
            _tell(respond, _GONE)
            return None
        return identity, record, user

    def snooze(self, body: Body, client: WebClient, respond: Respond) -> None:
        click = self._admin_click(body, respond, "snooze alerts")
        if click is None:
            return
        _, record, user = click
        now = self.now()
        until = now + timedelta(days=SNOOZE_DAYS)
        mutes = self._mutes(record)
        self.alert_store.snooze(mutes, until=until, by=user, now=now)
        _tell(respond, f":zzz: Muted until {until:%Y-%m-%d %H:%M} UTC: {_labels([label for _, label in mutes])}.")
        self._update(body, client, respond, record, self._state(record))

    def judge(self, body: Body, client: WebClient, respond: Respond, verdict: str) -> None:
        click = self._admin_click(body, respond, "say whether an alert was expected")
        if click is None:
            return
        identity, record, user = click
        if record.kind not in FEEDBACK_KINDS:  # a hand-made click: budget warnings are not anomalies
            _tell(respond, "Only anomaly alerts (spikes, unusual days, stopped spend) take Expected / Not expected.")
            return
        now = self.now()
        until = now + timedelta(days=FEEDBACK_MUTE_DAYS) if verdict == EXPECTED else None
        if record_feedback(self.alert_store, identity, verdict, by=user, now=now, until=until) is None:
            _tell(respond, _GONE)
            return
        if until is not None:
            _tell(
                respond,
                f":calendar: Recorded as expected: anomalies of its scopes are muted until {until:%Y-%m-%d %H:%M} UTC.",
            )
        else:
            _tell(respond, ":mag: Recorded as not expected, thank you: it is kept to tune the anomaly rules.")
        self._update(body, client, respond, record, self._state(record))

    def details(self, body: Body, client: WebClient, respond: Respond) -> None:
        identity = _identity(body)
        if identity is None:
            _tell(respond, _NO_ALERT)
            return
        record = self.alert_store.get(identity)
        if record is None:
            _tell(respond, _GONE)
            return
        channel, ts = _where(body, record)
        message = render_details(record)
        try:
            client.chat_postMessage(
                channel=channel, thread_ts=ts, text=message.text, blocks=message.blocks, unfurl_links=False
            )
        except (SlackApiError, SlackClientError, URLError) as err:  # Slack answered no, or was never reached
            logger.warning("could not post alert details for %s: %s", record.identity, _code(err))
            _tell(respond, f"Slack refused the details ({_code(err)}); `aispend alerts --dry-run` prints them too.")
        except Exception as err:  # sent, then no answer: the reply may be in the thread, so it is not sent again
            logger.warning(
                "alert details for %s: no answer from Slack (%s); not posted again", record.identity, _code(err)
            )
            _tell(respond, _LOST_DETAILS)

    # --- helpers ---------------------------------------------------------------------------------------------

    def _mutes(self, record: AlertRecord) -> list[tuple[str, str]]:
        if record.kind == BUDGET:
            return [(BUDGET, BUDGET_LABEL)]
        return self.alert_store.message_scopes(record.identity)

    def _state(self, record: AlertRecord) -> MessageState:
        state = self._snooze_state(record)
        answer = feedback_for(self.alert_store, record.identity)
        if answer is None:
            return state
        until = datetime.fromisoformat(answer.until.replace("Z", "+00:00")).date() if answer.until else None
        return replace(state, verdict=answer.verdict, verdict_by=answer.by, muted_until=until)

    def _snooze_state(self, record: AlertRecord) -> MessageState:
        mutes = [scope for scope, _ in self._mutes(record)]
        active = {s.scope: s for s in self.alert_store.active_snoozes(self.now())}
        snoozes = [active[m] for m in mutes if m in active]
        if mutes and len(snoozes) == len(mutes):
            latest = max(snoozes, key=lambda s: s.created_at)
            until = datetime.fromisoformat(latest.until.replace("Z", "+00:00")).date()
            return MessageState(record.acked_by, latest.by, until)
        return MessageState(record.acked_by)

    def _update(
        self, body: Body, client: WebClient, respond: Respond, record: AlertRecord, state: MessageState
    ) -> None:
        channel, ts = _where(body, record)
        # the edit keeps the chart the message was posted with (bot.alerts.pictures)
        shown = body.get("message")
        picture = picture_in(shown.get("blocks") if isinstance(shown, dict) else None)
        message = with_picture(render_record(record, state), picture, POSITION)
        try:
            client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)
        except Exception as err:  # refused, unreachable or no answer: what was clicked is recorded either way
            logger.warning("could not edit alert %s: %s", record.identity, _code(err))
            _tell(respond, f"Recorded, but Slack would not edit the message ({_code(err)}).")


def _text_at(value: object, *path: str | int) -> str | None:
    """The text at `path` (keys of objects, indexes of arrays) in a payload, or None if any step of the way is
    missing or of another type: a click carries whatever the signed payload says, not what Slack documents."""
    for step in path:
        if isinstance(step, int) and isinstance(value, list) and 0 <= step < len(value):
            value = value[step]
        elif isinstance(step, str) and isinstance(value, dict):
            value = value.get(step)
        else:
            return None
    return value if isinstance(value, str) else None


def _identity(body: Body) -> str | None:
    return _text_at(body, "actions", 0, "value")


def _user(body: Body) -> str | None:
    return _text_at(body, "user", "id") or None


def _where(body: Body, record: AlertRecord) -> tuple[str, str]:
    """The clicked message's channel and ts (the record's, if the payload lacks them)."""
    channel = _text_at(body, "channel", "id") or _text_at(body, "container", "channel_id") or record.channel
    ts = _text_at(body, "container", "message_ts") or _text_at(body, "message", "ts") or record.ts
    return str(channel), str(ts)


def _code(err: Exception) -> str:
    if isinstance(err, SlackApiError):
        return str(err.response.get("error") or "unknown_error")
    return type(err).__name__


MAX_LABELS = 10


def _labels(labels: list[str]) -> str:
    """The muted scopes as the Snooze confirmation lists them: their titles name workspaces and models."""
    shown = ", ".join(mrkdwn(label, 200) for label in labels[:MAX_LABELS])
    return shown + (f" and {len(labels) - MAX_LABELS} more" if len(labels) > MAX_LABELS else "")


def _tell(respond: Respond, text: str) -> None:
    if not respond.response_url:  # a click outside a message (App Home) has nowhere to answer
        logger.info("a click without a response_url was not answered: %s", text)
        return
    try:
        respond(text=fit_text(text), response_type="ephemeral", replace_original=False)
    except Exception as err:  # refused, unreachable or no answer: not sent again (it may have arrived); go on
        logger.warning("could not answer a click at its response_url: %s", _code(err))


def register_alert_actions(
    app: App,
    alert_store: AlertStore,
    settings: Settings,
    *,
    work: Executor,
    now: Callable[[], datetime],
) -> AlertActions:
    """Register the button handlers on `app`; returns the handler object (tests call its methods)."""
    handlers = AlertActions(alert_store, settings, now, work)
    app.action(ACK_ACTION)(handlers.on_ack)
    app.action(SNOOZE_ACTION)(handlers.on_snooze)
    app.action(DETAILS_ACTION)(handlers.on_details)
    app.action(EXPECTED_ACTION)(handlers.on_expected)
    app.action(NOT_EXPECTED_ACTION)(handlers.on_not_expected)
    return handlers

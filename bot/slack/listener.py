"""The `/aispend` listener: parse, check access, ack at once, then answer from SQLite in the work pool.

The ack carries the help text or a refusal when that is all there is to say; otherwise it is empty (or asks for
`in_channel` when the user said `public`) and the answer follows through `respond()` to the response_url.
Nothing raises into Slack: a failure is logged with its traceback and the user gets one line saying so.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import datetime
from typing import Any, Protocol

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.budget import BUDGET_KEY, current_budget
from bot.claude_code import load_claude_code
from bot.config import Settings
from bot.errors import AispendError
from bot.money import fmt_usd
from bot.periods import parse_period
from bot.records import KEY, USER
from bot.report import Report, ReportStore, load_report
from bot.safe_text import TEXT_LIMIT, mrkdwn
from bot.slack.access import Policy, admin_refusal, may_see_people, people_refusal, read_refusal
from bot.slack.blocks import budget_message, report_message
from bot.slack.cache import AnswerCache
from bot.slack.charts import ChartUploads, Picture, with_picture
from bot.slack.claude_code_blocks import claude_code_message
from bot.slack.commands import (
    COMMAND,
    Alerts,
    Budget,
    ClaudeCode,
    Command,
    Export,
    Help,
    Sync,
    help_text,
    is_admin_command,
    parse_command,
)
from bot.slack.commands import Report as ReportCommand
from bot.slack.gate import AckGate
from bot.slack.kit import Message, fit, fit_text, section
from bot.slack.mrkdwn import escape
from bot.slack.spender_blocks import TOP_ROWS, spender_message
from bot.spenders import SpenderStore, SpenderView, load_spenders

log = logging.getLogger(__name__)

APOLOGY = (
    ":x: Sorry, something went wrong while answering `{command}`. The details are in the bot's log: "
    "ask whoever runs aispend to look there."
)
# how long an answer may wait for a burst of acks to clear (the response_url stays valid for 30 minutes)
ANSWER_DEFER_MAX = 2.0
BUSY = ":hourglass: aispend is restarting: try again in a minute."


class SpendStore(ReportStore, SpenderStore, Protocol):
    """What the listener needs from bot.store.Store: the report's reads plus the settings table."""

    def get_setting(self, key: str) -> str | None: ...
    def change_stamp(self) -> str: ...
    def set_setting(self, key: str, value: str | None) -> None: ...


class AlertsView(Protocol):
    """The alert ledger as `/aispend` shows it (bot.alerts.service binds it to the store)."""

    def overview(self, now: datetime, admin: bool) -> str: ...
    def problems(self) -> str | None: ...


class CommandListener:
    def __init__(
        self,
        *,
        store: SpendStore,
        settings: Settings,
        now: Callable[[], datetime],
        sync_now: Callable[[], str] | None,
        work: Executor,
        alerts: AlertsView | None = None,
        gate: AckGate | None = None,
        charts: ChartUploads | None = None,
        client: WebClient | None = None,
    ) -> None:
        self.store = store
        self.charts = charts  # None: replies carry no pictures
        self.client = client  # the Web API client, for the files `export` uploads
        self.settings = settings
        self.policy = Policy.from_settings(settings)
        self.now = now
        self.sync_now = sync_now
        self.work = work
        self.alerts = alerts
        self.gate = gate
        self.cache: AnswerCache[Message] = AnswerCache()
        self._sync_lock = threading.Lock()

    # Bolt passes arguments by name, so the parameter names below are part of the interface.
    def on_command(self, ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        text = str(command.get("text") or "")
        try:
            parsed = self._ack(ack, command, text)
        except Exception:
            log.exception("%s %r failed before it was acked", COMMAND, text)
            ack(text=APOLOGY.format(command=_shown(text)), response_type="ephemeral")
            return
        if parsed is None:
            return
        try:
            self.work.submit(self._answer, parsed, text, str(command.get("user_id") or ""), respond)
        except RuntimeError as err:  # the work pool is shut down: the process is stopping
            log.warning("could not start an answer: %s", err)
            # a thread of its own: this listener runs on HTTP mode's event loop, where a POST must not wait
            # not a daemon: the interpreter waits for it on the way out, so the reply is not lost
            busy = threading.Thread(target=_send, args=(respond, BUSY, None, False), name="aispend-busy", daemon=False)
            busy.start()

    def _ack(self, ack: Ack, command: dict[str, Any], text: str) -> Command | None:
        """Ack within Slack's 3 s; returns the command still to answer, or None when the ack said it all."""
        user, channel = str(command.get("user_id") or ""), str(command.get("channel_id") or "")
        log.info("%s %r from %s in %s", COMMAND, text, user, channel)
        parsed = parse_command(text)
        if isinstance(parsed, Help):
            ack(text=help_text(parsed.problem), response_type="ephemeral")
            return None
        refusal = read_refusal(self.policy, user, channel)
        if refusal is None and is_admin_command(parsed):
            refusal = admin_refusal(self.policy, user, _change_of(parsed))
        if refusal is None and isinstance(parsed, ClaudeCode) and not may_see_people(self.policy, user, parsed.public):
            refusal = people_refusal(self.policy, user, parsed.public, "claude-code")  # ephemeral, before any post
        if refusal is not None:
            log.info("refused %s %r for %s in %s", COMMAND, text, user, channel)
            ack(text=refusal, response_type="ephemeral")
            return None
        if isinstance(parsed, Sync):
            ack(text=":arrows_counterclockwise: Syncing from the providers now; I'll reply here when it's done.")
        elif parsed.public:
            ack({"response_type": "in_channel"})  # shows the command in the channel, like the answer
        else:
            ack()
        return parsed

    def _answer(self, parsed: Command, text: str, user: str, respond: Respond) -> None:
        if self.gate is not None:
            self.gate.wait_idle(ANSWER_DEFER_MAX)
        public = getattr(parsed, "public", False)
        try:
            message = self.answer(parsed, user)
        except AispendError as err:  # their messages are written for users and end with the fix
            log.warning("%s %r: %s", COMMAND, text, err)
            _send(respond, f":warning: {escape(str(err))}", None, public=False)
            return
        except Exception:
            log.exception("%s %r failed", COMMAND, text)
            _send(respond, APOLOGY.format(command=_shown(text)), None, public=False)
            return
        if isinstance(message, str):
            _send(respond, message, None, public)
        else:
            _send(respond, message.text, message.blocks, public)

    def answer(self, parsed: Command, user: str) -> Message | str:
        """The reply to a parsed, permitted command (runs in the work pool; reads SQLite only, except `sync`)."""
        if isinstance(parsed, ReportCommand) and parsed.view in ("keys", "users"):
            return self._spenders(parsed, user)
        if isinstance(parsed, ReportCommand):
            now = self.now()
            stamp = self.store.change_stamp()
            key = (parsed.view, parsed.period, now.replace(second=0, microsecond=0), stamp)
            message = self.cache.get_or_compute(
                key,
                lambda: report_message(
                    self._report(parsed.period, now),
                    now,
                    parsed.view,
                    self._keys(parsed.period, now) if parsed.view == "summary" else None,
                ),
            )
            if parsed.view == "summary":
                message = with_picture(message, self._picture(parsed.period, now, stamp))
            return self._with_delivery_problems(message, user)
        if isinstance(parsed, ClaudeCode):
            # per person: only for those may_see_people admitted in _ack; built per request, never cached
            now = self.now()
            return claude_code_message(load_claude_code(self.store, parse_period(parsed.period, now.date())))
        if isinstance(parsed, Export):
            from bot.slack.export_reply import export_reply

            # the export streams SQL over the Store itself (bot.store.export), more than the SpendStore protocol
            return export_reply(self.store, self.client, self.policy, parsed, user, now=self.now())  # type: ignore[arg-type]
        if isinstance(parsed, Alerts):
            if self.alerts is None:
                return (
                    ":information_source: Alerts are not kept by this bot process: run `aispend alerts` on the server."
                )
            return self.alerts.overview(self.now(), user in self.policy.admin_users)
        if isinstance(parsed, Budget):
            return self._budget(parsed, user)
        if isinstance(parsed, Sync):
            return self._sync()
        return help_text()

    def _picture(self, period_word: str, now: datetime, stamp: str) -> Picture | None:
        """The reply's chart, uploaded once per period, day and data stamp (bot.slack.charts)."""
        if self.charts is None:
            return None
        from bot.charts import report_chart_image

        return self.charts.picture(
            ("report", period_word, now.date(), stamp),
            lambda: report_chart_image(self.store, self._report(period_word, now)),
        )

    def _with_delivery_problems(self, message: Message, user: str) -> Message:
        """Admins see alerts Slack refused for good under every answer, until they are fixed and resent, and why a
        chart was left out, once."""
        if user not in self.policy.admin_users:
            return message
        told = [self.alerts.problems() if self.alerts else None, self.charts.take_notice() if self.charts else None]
        problems = "\n\n".join(p for p in told if p)
        if not problems:
            return message
        return fit(f"{message.text} {_plain(problems)}", message.blocks, keep=[section(problems)])

    def _spenders(self, parsed: ReportCommand, user: str) -> Message | str:
        """`keys` for everyone (owners who are people only for those who may see people); `users` only for them."""
        people = may_see_people(self.policy, user, parsed.public)
        if parsed.view == "users" and not people:
            return people_refusal(self.policy, user, parsed.public)
        now = self.now()
        kind = USER if parsed.view == "users" else KEY
        key = (parsed.view, parsed.period, people, now.replace(second=0, microsecond=0), self.store.change_stamp())
        period = parse_period(parsed.period, now.date())
        message = self.cache.get_or_compute(
            key, lambda: spender_message(load_spenders(self.store, period, kind, people=people))
        )
        return self._with_delivery_problems(message, user)

    def _keys(self, period_word: str, now: datetime) -> SpenderView:
        """The summary's top spenders: keys and service accounts only, whoever asks and wherever."""
        return load_spenders(self.store, parse_period(period_word, now.date()), KEY, people=False, top=TOP_ROWS)

    def _report(self, period_word: str, now: datetime | None = None) -> Report:
        now = now or self.now()
        period = parse_period(period_word, now.date())
        budget, _ = current_budget(self.store, self.settings)
        return load_report(
            self.store, period, now=now, configured=self.settings.configured_providers, budget_usd=budget
        )

    def _budget(self, parsed: Budget, user: str) -> Message | str:
        if parsed.action == "set":
            assert parsed.amount is not None
            self.store.set_setting(BUDGET_KEY, str(parsed.amount))
            log.info("monthly budget set to %s by %s", parsed.amount, user)
            done = f":white_check_mark: <@{user}> set the monthly budget to {fmt_usd(parsed.amount)}."
        elif parsed.action == "clear":
            had = self.store.get_setting(BUDGET_KEY) is not None
            self.store.set_setting(BUDGET_KEY, None)
            log.info("monthly budget cleared by %s", user)
            fallback = self.settings.monthly_budget_usd
            if not had:
                done = ":information_source: No budget was set from Slack, so there was nothing to clear."
            else:
                done = f":white_check_mark: <@{user}> cleared the monthly budget set from Slack."
            if fallback is not None:
                done += f" AISPEND_MONTHLY_BUDGET_USD ({fmt_usd(fallback)}) applies."
        else:
            done = ""
        now = self.now()
        _, source = current_budget(self.store, self.settings)
        status = budget_message(self._report("month"), now, source)
        if not done:
            return status
        return fit(f"{_plain(done)} {status.text}", [section(done), *status.blocks])

    def _sync(self) -> str:
        if self.sync_now is None:
            return ":information_source: This bot process cannot sync: run `aispend sync` on the server instead."
        if not self._sync_lock.acquire(blocking=False):
            return ":hourglass: A sync is already running; its result will be posted when it finishes."
        try:
            summary = self.sync_now()
        finally:
            self._sync_lock.release()
        # the summary quotes the providers' errors
        return f":white_check_mark: Sync finished: {mrkdwn(summary, 2 * TEXT_LIMIT)}"


def _change_of(parsed: Command) -> str:
    return "run a sync" if isinstance(parsed, Sync) else "change the budget"


def _shown(text: str) -> str:
    return escape(f"{COMMAND} {text}".strip()[:80].replace("`", "'"))


def _plain(mrkdwn: str) -> str:
    """The fallback text of a confirmation: without the emoji code."""
    return mrkdwn.split(" ", 1)[1] if mrkdwn.startswith(":") else mrkdwn


def _send(respond: Respond, text: str, blocks: list[dict[str, Any]] | None, public: bool) -> None:
    """POST to the response_url; a refusal or a network error is logged, never raised into Bolt.

    Every reply passes the size guard here, whoever built it (bot.slack.kit)."""
    response_type = "in_channel" if public else "ephemeral"
    if blocks is None:
        text = fit_text(text)
    else:
        fitted = fit(text, blocks)
        text, blocks = fitted.text, fitted.blocks
    try:
        result = respond(text=text, blocks=blocks, response_type=response_type)
        if result.status_code == 200:
            return
        log.error("Slack refused the reply (HTTP %s: %s)", result.status_code, str(result.body)[:300])
        if blocks:
            # Blocks Slack would not take should still leave the user with the facts: send the text alone.
            result = respond(text=text, response_type=response_type)
            if result.status_code != 200:
                log.error("Slack refused the text-only reply too (HTTP %s)", result.status_code)
    except Exception as err:  # a network failure: the reply may or may not have arrived, so it is not sent again
        log.error(
            "could not send the reply to Slack's response_url (%s): the user may have seen no answer; check this "
            "host's connection to Slack",
            type(err).__name__,
        )

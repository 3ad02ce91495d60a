"""`/aispend` text → one command object, and the help text. Pure: no Slack calls, no store, no clock.

Grammar (contract §2, plus `alerts` from issue 4):
`[PERIOD | models [PERIOD] | workspaces [PERIOD] | keys [PERIOD] | users [PERIOD] | claude-code [PERIOD] |
budget [set USD | clear] | alerts | export [PERIOD] [by GRAIN] | sync | help]`
with `public` allowed anywhere (an export always goes to the caller's DM). Anything else becomes a `Help` carrying
one sentence that names the problem, so the listener never has to handle a parse exception.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from bot.budget import BudgetError, parse_amount, parse_budget
from bot.errors import UsageError
from bot.periods import MAX_DAYS, is_period_word, parse_period
from bot.slack.mrkdwn import quoted

COMMAND = "/aispend"
View = Literal["summary", "models", "workspaces", "keys", "users"]
_VIEW_WORDS: dict[str, View] = {
    "models": "models",
    "model": "models",
    "workspaces": "workspaces",
    "workspace": "workspaces",
    "projects": "workspaces",
    "project": "workspaces",
    "keys": "keys",
    "key": "keys",
    "users": "users",
    "user": "users",
    "people": "users",
}
# any fixed day: a PERIOD word's validity does not depend on the date, only its range does
_ANY_DAY = date(2000, 1, 1)


@dataclass(frozen=True, slots=True)
class Report:
    view: View
    period: str  # a valid PERIOD word, lower case
    public: bool = False


@dataclass(frozen=True, slots=True)
class Budget:
    action: Literal["show", "set", "clear"]
    amount: Decimal | None = None  # exact, as typed (without $ and commas), for "set"
    public: bool = False


@dataclass(frozen=True, slots=True)
class Sync:
    public: bool = False


@dataclass(frozen=True, slots=True)
class Alerts:
    public: bool = False


@dataclass(frozen=True, slots=True)
class ClaudeCode:
    """Claude Code activity per person: shown only to those who may see people, never in a public reply."""

    period: str  # a valid PERIOD word, lower case
    public: bool = False


@dataclass(frozen=True, slots=True)
class Export:
    """The billed rows of a period as a CSV file, uploaded to the caller's DM (bot.slack.export_reply)."""

    period: str  # a valid PERIOD word, lower case
    grain: str = "item"  # bot.export_rows.GRAINS
    public: bool = False  # always: the reply is ephemeral and the file private to the caller


# `export ... by GRAIN`: the words people type for bot.export_rows' grains
EXPORT_GRAINS = {
    "item": "item",
    "items": "item",
    "day": "day",
    "days": "day",
    "model": "model",
    "models": "model",
    **{w: "workspace" for w in ("workspace", "workspaces", "project", "projects")},
    "key": "key",
    "keys": "key",
    **{w: "user" for w in ("user", "users", "people")},
}


@dataclass(frozen=True, slots=True)
class Help:
    problem: str | None = None  # one sentence naming what was wrong, or None when help was asked for


Command = Report | Budget | Sync | Alerts | ClaudeCode | Export | Help


def is_admin_command(command: Command) -> bool:
    """Commands that change something: only AISPEND_ADMIN_USERS may run them."""
    return isinstance(command, Sync) or (isinstance(command, Budget) and command.action != "show")


def parse_command(text: str) -> Command:
    # Slack HTML-escapes &, < and > in command text; undo it so words compare and echo as typed
    words = html.unescape(text or "").split()
    public = any(w.lower() == "public" for w in words)
    words = [w for w in words if w.lower() != "public"]
    if not words:
        return Report("summary", "week", public)
    head, rest = words[0].lower(), words[1:]
    if head in ("help", "-h", "--help", "?"):
        return Help()
    if head == "sync":
        return _nothing_after("sync", rest) or Sync(public)
    if head == "budget":
        return _budget(rest, public)
    if head == "alerts":
        return _nothing_after("alerts", rest) or Alerts(public)
    if head == "export":
        return _export(rest)  # the file goes to the caller's DM and the reply is theirs alone, `public` or not
    if head == "claude-code":
        if not rest:
            return ClaudeCode("week", public)
        return _period(rest[0]) or _nothing_after(f"{head} {rest[0]}", rest[1:]) or ClaudeCode(rest[0].lower(), public)
    if head in _VIEW_WORDS:
        if not rest:
            return Report(_VIEW_WORDS[head], "week", public)
        return (
            _period(rest[0])
            or _nothing_after(f"{head} {rest[0]}", rest[1:])
            or Report(_VIEW_WORDS[head], rest[0].lower(), public)
        )
    if is_period_word(head):
        return _period(head) or _nothing_after(head, rest) or Report("summary", head, public)
    return Help(
        f"I don't know {quoted(words[0])}: start with a period (today, yesterday, week, month, 30d) "
        "or one of models, workspaces, keys, users, claude-code, budget, alerts, export, sync, help."
    )


def _export(rest: list[str]) -> Command:
    period = "week"
    if rest and rest[0].lower() != "by":
        period, rest = rest[0].lower(), rest[1:]
        if problem := _period(period):
            return problem
    if not rest:
        return Export(period)
    if rest[0].lower() != "by" or len(rest) < 2 or rest[1].lower() not in EXPORT_GRAINS:
        return Help(
            f"`export` takes a period and `by day`, `by model`, `by workspace`, `by key` or `by user`, not "
            f"{quoted(' '.join(rest))}."
        )
    return _nothing_after(f"export {period} by {rest[1]}", rest[2:]) or Export(period, EXPORT_GRAINS[rest[1].lower()])


def _period(word: str) -> Help | None:
    if not is_period_word(word.lower()):
        return Help(f"{quoted(word)} is not a period: use today, yesterday, week, month or Nd (1d to {MAX_DAYS}d).")
    try:
        parse_period(word.lower(), _ANY_DAY)
    except UsageError:
        return Help(f"{quoted(word)} is out of range: use between 1d and {MAX_DAYS}d.")
    return None


def _nothing_after(what: str, rest: list[str]) -> Help | None:
    if not rest:
        return None
    return Help(f"`{what}` takes nothing after it, but got {quoted(' '.join(rest))}.")


def _budget(rest: list[str], public: bool) -> Command:
    if not rest or rest[0].lower() == "show":
        return _nothing_after("budget", rest[1:]) or Budget("show", public=public)
    action = rest[0].lower()
    if action == "clear":
        return _nothing_after("budget clear", rest[1:]) or Budget("clear", public=public)
    if action != "set":
        return Help(f"`budget` understands `set <usd>` and `clear`, not {quoted(rest[0])}.")
    if len(rest) < 2:
        return Help("`budget set` needs an amount in US dollars, such as `budget set 500`.")
    if parse_amount(rest[1]) is None:
        return Help(f"{quoted(rest[1])} is not an amount: write US dollars such as 500, 1200.50 or $1,200.")
    try:
        amount = parse_budget(rest[1])  # the same bounds as AISPEND_MONTHLY_BUDGET_USD
    except BudgetError as err:
        return Help(f"The budget {err}: to remove it, use `budget clear`." if err.is_zero else f"The budget {err}.")
    return _nothing_after(f"budget set {rest[1]}", rest[2:]) or Budget("set", amount, public)


def help_text(problem: str | None = None) -> str:
    lines = [
        f"*`{COMMAND}`: what the team spends on the Anthropic and OpenAI APIs*",
        f"• `{COMMAND} [PERIOD]`: total, change, providers, top models and workspaces (default `week`)",
        f"• `{COMMAND} models [PERIOD]`: spend by model",
        f"• `{COMMAND} workspaces [PERIOD]`: spend by Anthropic workspace and OpenAI project",
        f"• `{COMMAND} keys [PERIOD]`: spend by API key and service account, billed or a token share",
        f"• `{COMMAND} users [PERIOD]`: spend by person (admins and AISPEND_PEOPLE_VIEWERS)",
        f"• `{COMMAND} claude-code [PERIOD]`: Claude Code activity per person, estimated by Anthropic "
        "(admins and AISPEND_PEOPLE_VIEWERS)",
        f"• `{COMMAND} budget`: month to date against the monthly budget",
        f"• `{COMMAND} budget set 500` or `{COMMAND} budget clear`: change the budget (admins)",
        f"• `{COMMAND} alerts`: recent spike and budget alerts, and active snoozes",
        f"• `{COMMAND} export [PERIOD] [by day|model|workspace|key|user]`: the billed rows as a CSV file, sent to "
        "you in a direct message (by user: admins and AISPEND_PEOPLE_VIEWERS)",
        f"• `{COMMAND} sync`: fetch the latest numbers from the providers now (admins)",
        f"• `{COMMAND} help`: this text",
        "PERIOD is `today`, `yesterday`, `week` (the last 7 complete days), `month` (month to date) "
        f"or `Nd` such as `30d` (the last N complete days, up to {MAX_DAYS}). Days are UTC days.",
        "Add `public` to post the answer in the channel; otherwise only you see it.",
    ]
    if problem:
        lines.insert(0, f":warning: {problem}\n")
    return "\n".join(lines)

"""Settings admins change from Slack (App Home › Settings), stored in the database, and the effective settings.

The effective settings are the environment's, overridden by the values saved from Slack. They are read at use
time (each alert evaluation, digest, sync round and Home view asks for them), so a saved change needs no
restart. Five settings can be saved: the monthly budget, the spike percent and dollar floor, the alert channel
and the digest time.

Every value is checked by the environment's own rules, never by a second validator: `bot.config_values._Reader`
(the same grammar, bounds and sentences as AISPEND_SPIKE_PCT and the rest; the budget through
bot.budget.parse_budget) and the scheduler's `parse_digest_at`. The monthly budget is the very setting
`/aispend budget set` stores (bot.budget.BUDGET_KEY), so the form and the command edit one value, and
bot.budget.budget_in_force stays its only reader. A stored value that no longer passes (a database edited by
hand) is set aside with a warning, and the environment's value applies.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from bot.budget import BUDGET_KEY, budget_in_force
from bot.config_values import _Reader
from bot.errors import ConfigError
from bot.money import fmt_usd

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

BUDGET, SPIKE_PCT, SPIKE_MIN_USD, ALERT_CHANNEL, DIGEST_AT = (
    BUDGET_KEY,
    "spike_pct",
    "spike_min_usd",
    "alert_channel",
    "digest_at",
)
SLACK, ENVIRONMENT, DEFAULT = "Slack", "environment", "default"


@dataclass(frozen=True, slots=True)
class Field:
    key: str  # the key in the settings table
    variable: str  # the environment variable it overrides
    attribute: str  # the Settings attribute the variable is read into
    label: str
    example: str


FIELDS = (
    Field(BUDGET, "AISPEND_MONTHLY_BUDGET_USD", "monthly_budget_usd", "Monthly budget (USD)", "1200.50"),
    Field(SPIKE_PCT, "AISPEND_SPIKE_PCT", "spike_pct", "Spike percent", "25"),
    Field(SPIKE_MIN_USD, "AISPEND_SPIKE_MIN_USD", "spike_min_usd", "Spike dollar floor (USD)", "10"),
    Field(ALERT_CHANNEL, "AISPEND_ALERT_CHANNEL", "alert_channel", "Alert channel ID", "C0123456789"),
    Field(DIGEST_AT, "AISPEND_DIGEST_AT", "digest_cron", "Digest time (UTC)", "mon 09:00"),
)
BY_KEY = {f.key: f for f in FIELDS}


class SettingsStore(Protocol):
    def get_setting(self, key: str) -> str | None: ...
    def set_settings(self, values: Mapping[str, str | None]) -> None: ...


class SettingsReader(Protocol):
    def get_setting(self, key: str) -> str | None: ...


class SettingError(ValueError):
    """Why a value cannot be saved: one sentence for the form, without the variable's name."""


def check_value(key: str, raw: str) -> str:
    """The text to store for `raw` typed into the form's field `key`; SettingError saying what is wrong."""
    field = BY_KEY[key]
    text = raw.strip()
    if not text:  # the form clears an override with an empty field; here an empty value is no value
        raise SettingError(f"Is empty: type a value such as {field.example}, or leave the field empty to clear it.")
    problems: list[str] = []
    value = _read(field, text, problems)
    if problems or value is None:
        sentence = problems[0] if problems else f"{field.variable} must be a value such as {field.example}."
        shown = sentence.removeprefix(f"{field.variable} ")
        raise SettingError(shown[:1].upper() + shown[1:])
    return value


def _read(field: Field, text: str, problems: list[str]) -> str | None:
    """`text` as the environment variable would be read, normalised for storage (None when it is refused)."""
    reader = _Reader({field.variable: text}, problems)
    if field.key == BUDGET:
        budget = reader.budget(field.variable)
        return None if budget is None else str(budget)
    if field.key == SPIKE_PCT:
        return str(reader.percent(field.variable, Decimal(0)))
    if field.key == SPIKE_MIN_USD:
        return str(reader.dollars(field.variable, Decimal(0)))
    if field.key == ALERT_CHANNEL:
        return reader.channel(field.variable)
    from bot.jobs import parse_digest_at  # the scheduler's parser; imported late, it brings APScheduler

    try:
        parse_digest_at(text)
    except ConfigError as err:
        problems += err.problems
        return None
    return " ".join(text.split())


def save_settings(store: SettingsStore, values: Mapping[str, str | None]) -> None:
    """Store the form's values in one transaction: text checked by check_value, or None to clear the override."""
    store.set_settings({key: values[key] for key in BY_KEY if key in values})


@dataclass(frozen=True, slots=True)
class SettingInForce:
    field: Field
    shown: str  # the value in force, as people read it
    source: str  # SLACK, ENVIRONMENT or DEFAULT
    saved: str | None  # the text saved from Slack, None when none
    problem: str | None = None  # a saved value that was set aside, with the fix


def settings_in_force(store: SettingsReader, settings: Settings) -> list[SettingInForce]:
    """Each field's value in force and where it comes from (for `doctor`, the Home tab and the form)."""
    effective = effective_settings(store, settings)
    out = []
    for field in FIELDS:
        saved = store.get_setting(field.key)
        problem = _saved_problem(field, saved)
        if saved is not None and problem is None:
            source = SLACK
        elif field.variable in settings.from_environment or _differs_from_default(field, settings):
            source = ENVIRONMENT
        else:
            source = DEFAULT
        out.append(SettingInForce(field, _shown(field, store, effective), source, saved, problem))
    return out


def _differs_from_default(field: Field, settings: Settings) -> bool:
    from bot.config import Settings as Defaults  # bot.config imports this module's neighbours, not the reverse

    return bool(getattr(settings, field.attribute) != getattr(Defaults(), field.attribute))


def effective_settings(store: SettingsReader, settings: Settings) -> Settings:
    """`settings` with the values saved from Slack in place of the environment's (the budget: see budget_in_force)."""
    changes: dict[str, object] = {}
    for field in FIELDS:
        saved = None if field.key == BUDGET else _valid_saved(store, field.key)
        if saved is not None:
            changes[field.attribute] = Decimal(saved) if field.key in (SPIKE_PCT, SPIKE_MIN_USD) else saved
    return dataclasses.replace(settings, **changes) if changes else settings  # type: ignore[arg-type]


def _valid_saved(store: SettingsReader, key: str) -> str | None:
    saved = store.get_setting(key)
    if saved is None:
        return None
    problem = _saved_problem(BY_KEY[key], saved)
    if problem is not None:
        log.warning("%s", problem)
        return None
    return saved


def _saved_problem(field: Field, saved: str | None) -> str | None:
    if saved is None:
        return None
    try:
        check_value(field.key, saved)
    except SettingError as err:
        return (
            f"The {field.label.lower()} saved from Slack ({saved[:40]!r}) is set aside: {err} Save it again in the "
            f"App Home's Settings; until then {field.variable} (or its default) applies."
        )
    return None


def _shown(field: Field, store: SettingsReader, effective: Settings) -> str:
    if field.key == BUDGET:
        budget = budget_in_force(store, effective).amount
        return "none" if budget is None else fmt_usd(budget)
    if field.key == SPIKE_PCT:
        return f"{effective.spike_pct}%"
    if field.key == SPIKE_MIN_USD:
        return fmt_usd(effective.spike_min_usd)
    if field.key == ALERT_CHANNEL:
        return effective.alert_channel or "none"
    return f"{effective.digest_cron} UTC"


def source_text(line: SettingInForce) -> str:
    """'Slack', 'environment (AISPEND_SPIKE_PCT)' or 'default'."""
    return f"{ENVIRONMENT} ({line.field.variable})" if line.source == ENVIRONMENT else line.source


_FROM = {SLACK: "saved from Slack", ENVIRONMENT: "from the environment", DEFAULT: "the default"}


def doctor_lines(lines: Sequence[SettingInForce]) -> list[str]:
    """`aispend doctor`'s list: each setting, its value in force and where that comes from."""
    out = []
    for line in lines:
        where = _FROM[line.source] + (f" ({line.field.variable})" if line.source == ENVIRONMENT else "")
        out.append(f"  {line.field.label}: {line.shown}, {where}")
    return out

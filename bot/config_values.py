"""Reading one configuration value: `Secret`, and `_Reader`'s checks of each variable (IDs, numbers, URLs, secrets)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from bot.budget import MAX_BUDGET, BudgetError, parse_amount, parse_budget
from bot.setting_files import FileProblem, read_secret_file

MAX_SPIKE_PCT = Decimal(10_000)
# Slack IDs: a letter for the kind, then capital letters and digits (U0123ABCDEF, W… on Enterprise Grid)
USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]+$")  # C public, G private, D a direct message with the bot
ALERT_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]+$")
_MENTION = re.compile(r"^<[@#]([A-Z0-9]+)(\|[^>]*)?>$")
_PERCENT = re.compile(r"^(\d+)(\.\d{1,2})?%?$", re.ASCII)
_QUIET = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-3]):([0-5]\d)$", re.ASCII)


@dataclass(frozen=True, slots=True)
class QuietHours:
    """AISPEND_QUIET_HOURS: a daily UTC window [start, end) in which non-urgent alerts wait; it may wrap midnight."""

    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M} UTC"

    def contains(self, now: datetime) -> bool:
        at = now.time().replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= at < self.end
        return at >= self.start or at < self.end  # wraps midnight

    def ends_after(self, now: datetime) -> datetime:
        """The next moment the window ends, at or after `now` (an aware UTC datetime)."""
        end = now.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        return end if end > now else end + timedelta(days=1)


class Secret:
    """A credential that refuses to print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class _Reader:
    def __init__(self, env: Mapping[str, str], problems: list[str]) -> None:
        self.env = env
        self.problems = problems

    def text(self, name: str) -> str | None:
        value = self.env.get(name, "").strip()
        return value or None

    def secret(self, name: str, alias: str | None = None) -> Secret | None:
        for var in (name, alias) if alias else (name,):
            direct = self.text(var)
            path = self.text(f"{var}_FILE")
            if direct and path:
                self.problems.append(f"{var} and {var}_FILE are both set: keep only one of them.")
                return None
            if path:
                try:
                    value = read_secret_file(f"{var}_FILE", path).strip()
                except FileProblem as problem:
                    self.problems.append(str(problem))
                    return None
                if not value:
                    self.problems.append(f"{var}_FILE names {path}, which is empty: put the secret in it.")
                    return None
                return self._one_word(var, value)
            if direct:
                return self._one_word(var, direct)
        return None

    def _one_word(self, var: str, value: str) -> Secret | None:
        # a line break inside a header value makes httpx raise an error that quotes the whole key
        if any(c.isspace() or not c.isprintable() for c in value):
            self.problems.append(
                f"{var} contains a space, line break or control character: set it to the secret alone, on one line."
            )
            return None
        return Secret(value)

    def boolean(self, name: str, default: bool) -> bool:
        raw = self.text(name)
        if raw is None:
            return default
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        self.problems.append(f"{name} must be true or false; it is {_shown(raw)}.")
        return default

    def url(self, name: str, default: str) -> str:
        value = self.text(name) or default
        if not value.startswith(("http://", "https://")):
            self.problems.append(f"{name} must be an http(s) URL such as {default}.")
        return value

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        # digits only: int() would also take "1_000", "٣٠٠٠" and 4,300-digit strings it then refuses
        value = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 12 else low - 1
        if not low <= value <= high:
            self.problems.append(f"{name} must be a whole number from {low} to {high}; it is {_shown(raw)}.")
            return default
        return value

    def percent(self, name: str, default: Decimal) -> Decimal:
        raw = self.text(name)
        if raw is None:
            return default
        value = Decimal(raw.rstrip("%")) if _PERCENT.match(raw) else None
        if value is None or value > MAX_SPIKE_PCT:
            self.problems.append(
                f"{name} must be a percentage from 0 to {MAX_SPIKE_PCT:,}, such as 25 or 12.5; it is {_shown(raw)}."
            )
            return default
        return value

    def dollars(self, name: str, default: Decimal) -> Decimal:
        raw = self.text(name)
        if raw is None:
            return default
        value = parse_amount(raw)
        if value is None or value > MAX_BUDGET:
            self.problems.append(
                f"{name} must be US dollars from 0 to ${MAX_BUDGET:,}, such as 10 or 12.50; it is {_shown(raw)}."
            )
            return default
        return value

    def budget(self, name: str) -> Decimal | None:
        raw = self.text(name)
        if raw is None:
            return None
        try:
            return parse_budget(raw)  # the bounds of `/aispend budget set`, so the two cannot disagree
        except BudgetError as err:
            self.problems.append(f"{name} {err}; it is {_shown(raw)}.")
            return None

    def channel(self, name: str) -> str | None:
        raw = self.text(name)
        if raw is None:
            return None
        if not ALERT_CHANNEL_ID.match(raw):
            self.problems.append(
                f"{name} must be a channel ID such as C0123456789, not a name ({_shown(raw)}): "
                "in Slack open the channel details and copy the ID at the bottom."
            )
            return None
        return raw

    def quiet_hours(self, name: str) -> QuietHours | None:
        raw = self.text(name)
        if raw is None:
            return None
        match = _QUIET.match(raw)
        if match is None or match.groups()[:2] == match.groups()[2:]:
            self.problems.append(
                f"{name} must be a UTC window HH:MM-HH:MM with two different times, such as 22:00-07:00 (it may wrap "
                f"midnight); it is {_shown(raw)}."
            )
            return None
        hour, minute, end_hour, end_minute = (int(g) for g in match.groups())
        return QuietHours(time(hour, minute), time(end_hour, end_minute))

    def user_ids(self, name: str) -> frozenset[str]:
        return self._ids(
            name,
            USER_ID,
            "a Slack member ID (U or W, then capital letters and digits, such as U0123ABCDEF): in Slack open the "
            "person's profile, then ⋮ › Copy member ID",
        )

    def channel_ids(self, name: str) -> frozenset[str]:
        return self._ids(
            name,
            CHANNEL_ID,
            "a Slack channel ID (C, G or D, then capital letters and digits, such as C0123ABCDEF): in Slack open "
            "the channel's details and copy the Channel ID at the bottom",
        )

    def _ids(self, name: str, pattern: re.Pattern[str], what: str) -> frozenset[str]:
        raw = self.text(name) or ""
        entries = [part.strip() for part in raw.replace(";", ",").replace(" ", ",").split(",") if part.strip()]
        for entry in entries:
            if pattern.match(entry):
                continue
            mention = _MENTION.match(entry)
            if mention and pattern.match(mention[1]):
                self.problems.append(f"{name} holds {_shown(entry)}: write the ID alone, {mention[1]}.")
            else:
                self.problems.append(f"{name} holds {_shown(entry)}, which is not {what}.")
        return frozenset(e for e in entries if pattern.match(e))


_TRUE = ("true", "yes", "1", "on")
_FALSE = ("false", "no", "0", "off")


def _shown(raw: str, limit: int = 40) -> str:
    """A malformed value quoted in a message: repr (so control characters show as escapes), shortened."""
    return repr(raw if len(raw) <= limit else raw[: limit - 1] + "…")

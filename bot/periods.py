"""Report periods: parse PERIOD words and turn them into UTC day ranges (contract §2).

Ranges are inclusive [start, end]. `today` is always a parameter so callers and tests fix the clock.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from bot.errors import UsageError

MAX_DAYS = 400
_ND = re.compile(r"^(\d{1,4})d$")
PERIOD_WORDS = ("today", "yesterday", "week", "month", "Nd")


@dataclass(frozen=True, slots=True)
class Period:
    name: str
    start: date
    end: date
    prev_start: date
    prev_end: date
    includes_partial_today: bool

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]


def is_period_word(word: str) -> bool:
    return word in ("today", "yesterday", "week", "month") or _ND.match(word) is not None


def parse_period(word: str | None, today: date) -> Period:
    """The Period a user asked for; UsageError with the accepted forms when the word is not one."""
    name = (word or "week").strip().lower()
    one = timedelta(days=1)
    if name == "today":
        return Period("today", today, today, today - one, today - one, True)
    if name == "yesterday":
        return Period("yesterday", today - one, today - one, today - 2 * one, today - 2 * one, False)
    if name == "week":
        return _trailing("week", 7, today)
    if name == "month":
        first = today.replace(day=1)
        prev_first = (first - one).replace(day=1)
        prev_len = calendar.monthrange(prev_first.year, prev_first.month)[1]
        # the same days of the previous month, clipped to its length (Mar 31 compares with Feb 28)
        prev_end = prev_first.replace(day=min(today.day, prev_len))
        return Period("month", first, today, prev_first, prev_end, True)
    match = _ND.match(name)
    if match:
        n = int(match.group(1))
        if 1 <= n <= MAX_DAYS:
            return _trailing(f"{n}d", n, today)
        raise UsageError(f"'{name}' is out of range: use between 1d and {MAX_DAYS}d.")
    raise UsageError(f"'{word}' is not a period: use today, yesterday, week, month or Nd (1d to {MAX_DAYS}d).")


def _trailing(name: str, n: int, today: date) -> Period:
    end = today - timedelta(days=1)
    start = end - timedelta(days=n - 1)
    prev_end = start - timedelta(days=1)
    prev_start = prev_end - timedelta(days=n - 1)
    return Period(name, start, end, prev_start, prev_end, False)


def month_days(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]

"""The suite's clock: the moment the date-sensitive tests (marked `dates`) build their data around.

It is a fixed moment unless AISPEND_TEST_NOW moves it: an ISO date (at the default's time of day), an ISO
datetime (UTC unless it says otherwise), or `+Nd` for N days after the default. tests/test_date_shift.py re-runs
the marked tests with it moved, so no test can pass only on the dates it was written on. Nothing in the suite
reads the real clock for a date: code under test gets this moment through its `now`/`today` parameters.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, timedelta

VARIABLE = "AISPEND_TEST_NOW"
DEFAULT_NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def suite_now(value: str | None) -> datetime:
    """The moment `value` (AISPEND_TEST_NOW's value) names; the default when it is unset or empty."""
    if not value:
        return DEFAULT_NOW
    if shift := re.fullmatch(r"\+(\d+)d", value.strip()):
        return DEFAULT_NOW + timedelta(days=int(shift[1]))
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            return datetime.combine(date.fromisoformat(value.strip()), DEFAULT_NOW.timetz())
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            f"{VARIABLE}={value!r} is not a date: write YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or +Nd (days after "
            f"{DEFAULT_NOW.isoformat()})"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


NOW = suite_now(os.environ.get(VARIABLE))
TODAY = NOW.date()

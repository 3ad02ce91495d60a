"""Suite-wide fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest

from tests import clock_support
from tests.fake_slack import FakeSlack

# Bolt reads SLACK_* variables itself (and turns on OAuth with SLACK_CLIENT_ID/SECRET); only the CLI may read
# the environment, so no test may see the developer's or CI's own Slack variables.
SLACK_ENVIRONMENT = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
)


@pytest.fixture(autouse=True)
def no_slack_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SLACK_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    """A fake Slack Web API and response_url receiver on loopback (test files with special answers override it)."""
    with FakeSlack() as server:
        yield server


# ---- the suite's clock (tests/clock_support.py): tests marked `dates` take `now`/`today` from here -------------


def pytest_report_header() -> str:
    return f"suite clock: now = {clock_support.NOW.isoformat()} ({clock_support.VARIABLE} moves it)"


@pytest.fixture
def now() -> datetime:
    """The UTC-aware moment a date-sensitive test builds its data around and passes as `now`."""
    return clock_support.NOW


@pytest.fixture
def today() -> date:
    """The UTC day of `now`."""
    return clock_support.TODAY

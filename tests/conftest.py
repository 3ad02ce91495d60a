"""Suite-wide fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

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

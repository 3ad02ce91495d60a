"""Suite-wide fixtures."""

from __future__ import annotations

import pytest

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

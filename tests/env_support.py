"""Shared pieces of the tests that run aispend as a user would: an environment pointing at the provider
simulator and the fake Slack, canary secrets, a closed port, and a scanner that finds leaked secrets.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Mapping
from pathlib import Path

from bot.simulator import ANTHROPIC_KEY, OPENAI_KEY, Simulator
from tests.fake_slack import FakeSlack

# Secrets the code must never show. The provider keys are the simulator's own (the only ones it accepts), so
# success paths use them; failure paths use canaries the simulator refuses with a 401.
BOT_TOKEN = "xoxb-CANARY-bot-7f3a9c1e5d"
APP_TOKEN = "xapp-1-CANARY-app-2b8e6d4f0a"
SIGNING_SECRET = "CANARYsigning0123456789abcdef0f"
BAD_ANTHROPIC_KEY = "sk-ant-admin01-CANARY-refused-9d2c4b"
BAD_OPENAI_KEY = "sk-admin-CANARY-refused-5e1f7a"
SECRETS = (ANTHROPIC_KEY, OPENAI_KEY, BOT_TOKEN, APP_TOKEN, SIGNING_SECRET, BAD_ANTHROPIC_KEY, BAD_OPENAI_KEY)
CHANNEL = "C0ALERTS"


def environment(sim: Simulator, fake: FakeSlack | None, db: Path, **overrides: str | None) -> dict[str, str]:
    """Every variable set to a working value (Socket Mode); an override of None removes the variable."""
    env = {
        "ANTHROPIC_ADMIN_KEY": ANTHROPIC_KEY,
        "OPENAI_ADMIN_KEY": OPENAI_KEY,
        "ANTHROPIC_BASE_URL": sim.anthropic_url,
        "OPENAI_BASE_URL": sim.openai_url,
        "AISPEND_DB": str(db),
        "AISPEND_ALERT_CHANNEL": CHANNEL,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    }
    if fake is not None:
        env["SLACK_API_URL"] = fake.api_url
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def fragments(secret: str) -> list[str]:
    """The secret and its distinctive tail, so a truncated or re-prefixed copy is caught too."""
    return [secret, secret[-12:]]


def leaks(
    texts: Mapping[str, str | bytes] | Iterable[tuple[str, str | bytes]], secrets: Iterable[str] = SECRETS
) -> list[str]:
    """'where: secret' for every secret (or its tail) found in any of the named texts."""
    items = texts.items() if isinstance(texts, Mapping) else texts
    found = []
    wanted = list(secrets)
    for where, text in items:
        haystack = text if isinstance(text, bytes) else text.encode("utf-8", "replace")
        for secret in wanted:
            if any(piece.encode() in haystack for piece in fragments(secret)):
                found.append(f"{where}: {secret}")
    return found

"""The Slack WebClient the whole process shares: base URL from SLACK_API_URL, retries on 429 and resets.

`WebClient` is a stateless urllib caller and safe to share between the answer pool and the scheduler.
The SDK's default only retries connection errors once; Slack answers bursts with 429 + Retry-After, so the
rate-limit handler is added here, once, instead of around every call.
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from bot.config import Settings
from bot.errors import ConfigError

TIMEOUT_SECONDS = 15
BOT_TOKEN_FIX = (
    "set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page."
)


def make_client(settings: Settings) -> WebClient:
    if settings.slack_bot_token is None:
        raise ConfigError(f"SLACK_BOT_TOKEN is not set: {BOT_TOKEN_FIX}")
    return build_client(settings.slack_bot_token.reveal(), settings.slack_api_url)


def build_client(token: str, base_url: str) -> WebClient:
    return WebClient(
        token=token,
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        timeout=TIMEOUT_SECONDS,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=2),
        ],
    )

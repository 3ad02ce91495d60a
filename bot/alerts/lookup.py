"""Finding out whether a post whose outcome is unknown reached the channel, before anything is posted again.

Every alert is posted with message metadata (event_type `aispend_alert`, event_payload {"identity": …}). To find
it, conversations.history is read with include_all_metadata from a margin before the attempt began, and a
message of this bot (auth.test's bot_id) carrying that identity is looked for. Reading history needs the
channels:history scope (groups:history for a private channel) and, for a channel the bot never joined, an invite:
without them the lookup is `unreadable` and the caller must not guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.client import answered_by_a_page

EVENT_TYPE = "aispend_alert"
MARGIN = timedelta(minutes=10)  # Slack's clock against ours, and the time a post takes
PAGE = 200
MAX_PAGES = 25  # 5,000 messages since the attempt: beyond that the channel is not one to search
# Slack answered but could not serve the read right now: ask again at the next evaluation
_TRANSIENT = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"})


@dataclass(frozen=True, slots=True)
class Lookup:
    outcome: Literal["found", "absent", "unreadable", "unavailable"]
    ts: str | None = None  # found: the message's ts
    error: str | None = None  # unreadable: Slack's code (missing_scope…); unavailable: what failed


def alert_metadata(identity: str) -> dict[str, Any]:
    return {"event_type": EVENT_TYPE, "event_payload": {"identity": identity}}


def find_alert(client: WebClient, channel: str, identity: str, since: datetime) -> Lookup:
    """Is a message of this bot carrying `identity` in `channel`, posted after `since` (less the margin)?"""
    try:
        bot_id = client.auth_test().get("bot_id")
        oldest = f"{(since - MARGIN).timestamp():.6f}"
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            page = client.conversations_history(
                channel=channel, oldest=oldest, include_all_metadata=True, limit=PAGE, cursor=cursor
            )
            for message in page.get("messages") or []:
                if _is_alert(message, identity, bot_id):
                    return Lookup("found", ts=str(message["ts"]))
            if not page.get("has_more"):
                return Lookup("absent")
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:  # more to read but no way to ask for it: not a "no"
                return Lookup("unavailable", error="conversations.history gave no next_cursor")
        return Lookup("unreadable", error=f"more than {PAGE * MAX_PAGES} messages to search")
    except SlackApiError as err:
        status = getattr(err.response, "status_code", 200)
        error = err.response.get("error")
        if answered_by_a_page(error):  # not Slack's answer (a proxy's page): says nothing about the channel
            return Lookup("unavailable", error="not_json")
        code = str(error or f"http_{status}")
        if status >= 500 or status == 429 or code in _TRANSIENT:
            return Lookup("unavailable", error=code)
        return Lookup("unreadable", error=code)
    except Exception as err:  # the network: ask again at the next evaluation
        return Lookup("unavailable", error=type(err).__name__)


def _is_alert(message: Any, identity: str, bot_id: object) -> bool:
    if not isinstance(message, dict) or "ts" not in message:
        return False
    metadata = message.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("event_type") != EVENT_TYPE:
        return False
    payload = metadata.get("event_payload")
    return isinstance(payload, dict) and payload.get("identity") == identity and message.get("bot_id") == bot_id

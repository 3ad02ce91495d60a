"""Live Slack checks for `aispend doctor`: the bot token, the alert channel and the connection mode."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.config import Settings
from bot.doctor import Check

_TOKEN_FIXES = {
    "invalid_auth": "the token is wrong: copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions into SLACK_BOT_TOKEN.",
    "not_authed": "no token was sent: set SLACK_BOT_TOKEN.",
    "account_inactive": "the token belongs to a deactivated user or workspace: reinstall the app and update SLACK_BOT_TOKEN.",
    "token_revoked": "the token was revoked (app uninstalled?): reinstall the app and update SLACK_BOT_TOKEN.",
}


def slack_checks(settings: Settings, client: WebClient | None = None) -> list[Check]:
    if settings.slack_bot_token is None:
        return [
            Check(
                "Slack",
                None,
                "not configured; `aispend run` needs SLACK_BOT_TOKEN (and SLACK_APP_TOKEN or SLACK_SIGNING_SECRET).",
                required=False,
            )
        ]
    if client is None:
        from bot.slack.client import make_client

        client = make_client(settings)
    checks = [_token_check(client)]
    if checks[0].ok:
        checks.append(_channel_check(client, settings.alert_channel))
    checks.append(_mode_check(settings, client))
    return checks


def _error_code(err: SlackApiError) -> str:
    return str(err.response.get("error", "unknown_error"))


def _token_check(client: WebClient) -> Check:
    try:
        resp = client.auth_test()
    except SlackApiError as err:
        code = _error_code(err)
        return Check(
            "Slack bot token", False, f"auth.test said {code}: {_TOKEN_FIXES.get(code, 'check SLACK_BOT_TOKEN.')}"
        )
    except SlackClientError as err:
        return Check(
            "Slack bot token", False, f"cannot reach Slack ({type(err).__name__}): check SLACK_API_URL and the network."
        )
    return Check("Slack bot token", True, f"auth.test ok: bot {resp.get('user')} in workspace {resp.get('team')}")


def _channel_check(client: WebClient, channel: str | None) -> Check:
    name = "alert channel"
    if channel is None:
        return Check(name, None, "AISPEND_ALERT_CHANNEL is not set; alerts and digests are not posted.", required=False)
    try:
        info = client.conversations_info(channel=channel)["channel"]
    except SlackApiError as err:
        code = _error_code(err)
        if code == "channel_not_found":
            return Check(
                name, False, f"{channel} not found: use the channel ID (C…), and /invite the bot if it is private."
            )
        if code == "missing_scope":
            return Check(
                name, False, "the app lacks channels:read/groups:read: add them from manifest.yml and reinstall."
            )
        return Check(name, False, f"conversations.info said {code}: check AISPEND_ALERT_CHANNEL.")
    except SlackClientError as err:
        return Check(name, False, f"cannot reach Slack ({type(err).__name__}): check SLACK_API_URL.")
    label = f"#{info.get('name', channel)}"
    if info.get("is_archived"):
        return Check(name, False, f"{label} is archived: choose another channel for AISPEND_ALERT_CHANNEL.")
    if info.get("is_member"):
        return Check(name, True, f"{label} exists and the bot is a member")
    if info.get("is_private"):
        return Check(name, False, f"{label} is private and the bot is not in it: type /invite @aispend there.")
    return Check(name, True, f"{label} is public; the bot posts with chat:write.public (or /invite @aispend)")


def _mode_check(settings: Settings, client: WebClient) -> Check:
    if settings.slack_app_token is not None:
        token = settings.slack_app_token.reveal()
        if not token.startswith("xapp-"):
            return Check("connection mode", False, "Socket Mode: SLACK_APP_TOKEN must be an app-level token (xapp-…).")
        try:
            client.apps_connections_open(app_token=token)
        except SlackApiError as err:
            return Check(
                "connection mode",
                False,
                f"Socket Mode: apps.connections.open said {_error_code(err)}: create an app-level token with "
                "connections:write (Basic Information › App-Level Tokens) and enable Socket Mode.",
            )
        except SlackClientError as err:
            return Check("connection mode", False, f"Socket Mode: cannot reach Slack ({type(err).__name__}).")
        return Check("connection mode", True, "Socket Mode: the app-level token can open a connection")
    if settings.slack_signing_secret is None:
        return Check(
            "connection mode",
            False,
            "HTTP mode needs SLACK_SIGNING_SECRET (Basic Information › App Credentials), or set SLACK_APP_TOKEN for "
            "Socket Mode.",
        )
    return Check(
        "connection mode",
        True,
        f"HTTP mode on {settings.host}:{settings.port} at /slack/events; point the Request URLs in manifest.yml "
        "at https://<your host>/slack/events",
    )

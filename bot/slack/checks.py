"""Live Slack checks for `aispend doctor`: the bot token, the alert channel and the connection mode.

Only Slack's error codes and names reach the output: never a token, and never an exception's text (a
network error names its type).
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.config import Settings
from bot.doctor import Check
from bot.slack.client import NOT_SLACK, answered_by_a_page, make_client
from bot.slack.http_server import CannotListen, bind_listener

TOKEN = "Slack bot token"
CHANNEL = "alert channel"
MODE = "connection mode"
_TOKEN_FIXES = {
    "invalid_auth": "the token is wrong: copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions into "
    "SLACK_BOT_TOKEN.",
    "not_authed": "no token was sent: set SLACK_BOT_TOKEN.",
    "account_inactive": "the token belongs to a deactivated user or workspace: reinstall the app and update "
    "SLACK_BOT_TOKEN.",
    "token_revoked": "the token was revoked (app uninstalled?): reinstall the app and update SLACK_BOT_TOKEN.",
    "token_expired": "the token expired (token rotation is on?): turn token rotation off for this app, reinstall "
    "it and update SLACK_BOT_TOKEN.",
}
_INVITE = "type /invite @aispend in that channel"


def slack_checks(settings: Settings, client: WebClient | None = None) -> list[Check]:
    if settings.slack_bot_token is None:
        others = [
            name
            for name, value in (
                ("SLACK_APP_TOKEN", settings.slack_app_token),
                ("SLACK_SIGNING_SECRET", settings.slack_signing_secret),
                ("AISPEND_ALERT_CHANNEL", settings.alert_channel),
            )
            if value is not None
        ]
        if others:
            return [
                Check(
                    TOKEN,
                    False,
                    f"{', '.join(others)} is set but SLACK_BOT_TOKEN is not: set it to the Bot User OAuth Token "
                    "(xoxb-…) from your Slack app's OAuth & Permissions page.",
                )
            ]
        return [
            Check(
                "Slack",
                None,
                "not configured; `aispend run` needs SLACK_BOT_TOKEN (and SLACK_APP_TOKEN or SLACK_SIGNING_SECRET).",
                required=False,
            )
        ]
    if client is None:
        client = make_client(settings)
    token_check, scopes = _token_check(client)
    checks = [token_check]
    if token_check.ok:
        checks.append(_channel_check(client, settings.alert_channel, scopes))
        for variable, channel in (
            ("AISPEND_BUDGET_CHANNEL", settings.budget_channel),
            ("AISPEND_ANOMALY_CHANNEL", settings.anomaly_channel),
        ):
            if channel is not None and channel != settings.alert_channel:
                check = _channel_check(client, channel, scopes)
                detail = check.detail.replace("AISPEND_ALERT_CHANNEL", variable)
                checks.append(Check(f"{CHANNEL} ({variable})", check.ok, detail, check.required))
    if settings.quiet_hours is not None:
        checks.append(
            Check(
                "quiet hours",
                True,
                f"{settings.quiet_hours}: other alerts wait until it ends; budget 100 % and cap alerts post anyway",
                required=False,
            )
        )
    checks.append(_mode_check(settings, client))
    return checks


def _error_code(err: SlackApiError) -> str:
    response = err.response
    code = response.get("error") if isinstance(response.data, dict) else None
    return str(code or f"HTTP {response.status_code}")


def _unreachable(err: Exception) -> str:
    return f"cannot reach Slack ({type(err).__name__}): check SLACK_API_URL and this host's network access to Slack."


def _scopes(response: SlackResponse) -> frozenset[str] | None:
    """The token's scopes from the `x-oauth-scopes` header Slack adds to Web API answers; None if absent."""
    header = response.headers.get("x-oauth-scopes") if response.headers else None
    if not isinstance(header, str):
        return None
    return frozenset(scope.strip() for scope in header.split(",") if scope.strip())


def _token_check(client: WebClient) -> tuple[Check, frozenset[str] | None]:
    try:
        resp = client.auth_test()
    except SlackApiError as err:
        code = _error_code(err)
        if answered_by_a_page(code):
            return Check(TOKEN, False, NOT_SLACK), None
        return Check(TOKEN, False, f"auth.test said {code}: {_TOKEN_FIXES.get(code, 'check SLACK_BOT_TOKEN.')}"), None
    except Exception as err:  # URLError, timeouts, a broken answer
        return Check(TOKEN, False, _unreachable(err)), None
    if not resp.get("bot_id"):
        return (
            Check(
                TOKEN,
                False,
                "SLACK_BOT_TOKEN is not a bot token (a user token, xoxp-…?): use the Bot User OAuth Token (xoxb-…) "
                "from OAuth & Permissions.",
            ),
            None,
        )
    bot = resp.get("user") or resp.get("user_id")
    return Check(TOKEN, True, f"auth.test ok: bot {bot} in workspace {resp.get('team')}"), _scopes(resp)


def _channel_check(client: WebClient, channel: str | None, scopes: frozenset[str] | None) -> Check:
    if channel is None:
        return Check(
            CHANNEL, None, "AISPEND_ALERT_CHANNEL is not set; alerts and digests are not posted.", required=False
        )
    if scopes is not None and "chat:write" not in scopes:
        return Check(CHANNEL, False, "the app lacks the chat:write scope: add it (see manifest.yml) and reinstall.")
    try:
        resp = client.conversations_info(channel=channel)
    except SlackApiError as err:
        code = _error_code(err)
        if code == "channel_not_found":
            return Check(
                CHANNEL,
                False,
                f"{channel} not found: set AISPEND_ALERT_CHANNEL to the channel ID (C…), and if the channel is "
                f"private, {_INVITE}.",
            )
        if code == "missing_scope":
            return Check(
                CHANNEL, False, "the app lacks channels:read/groups:read: add them (see manifest.yml) and reinstall."
            )
        return Check(CHANNEL, False, f"conversations.info said {code}: check AISPEND_ALERT_CHANNEL.")
    except Exception as err:
        return Check(CHANNEL, False, _unreachable(err))
    info = resp.get("channel")
    if not isinstance(info, dict):
        return Check(CHANNEL, False, "conversations.info gave no channel: check SLACK_API_URL points at Slack.")
    label = f"#{info.get('name') or channel}"
    if info.get("is_archived"):
        return Check(CHANNEL, False, f"{label} is archived: choose another channel for AISPEND_ALERT_CHANNEL.")
    if info.get("is_member"):
        return Check(CHANNEL, True, f"{label} exists and the bot is a member")
    if info.get("is_private"):
        return Check(CHANNEL, False, f"{label} is private and the bot is not in it: {_INVITE}.")
    if scopes is None:
        return Check(
            CHANNEL, True, f"{label} is public; the bot posts there with chat:write.public (otherwise {_INVITE})"
        )
    if "chat:write.public" in scopes:
        return Check(CHANNEL, True, f"{label} is public and the app has chat:write.public, so the bot may post")
    return Check(
        CHANNEL,
        False,
        f"the bot is not in {label} and the app lacks chat:write.public: {_INVITE}, or add the scope and reinstall.",
    )


def _mode_check(settings: Settings, client: WebClient) -> Check:
    if settings.slack_app_token is not None:
        token = settings.slack_app_token.reveal()
        if not token.startswith("xapp-"):
            return Check(MODE, False, "Socket Mode: SLACK_APP_TOKEN must be an app-level token (xapp-…).")
        try:
            # slack_sdk moves app_token into the Authorization header, which its debug log redacts
            client.apps_connections_open(app_token=token)
        except SlackApiError as err:
            return Check(
                MODE,
                False,
                f"Socket Mode: apps.connections.open said {_error_code(err)}: create an app-level token with "
                "connections:write (Basic Information › App-Level Tokens) for SLACK_APP_TOKEN, and turn Socket Mode "
                "on.",
            )
        except Exception as err:
            return Check(MODE, False, f"Socket Mode: {_unreachable(err)}")
        return Check(MODE, True, "Socket Mode: the app-level token can open a connection")
    if settings.slack_signing_secret is None:
        return Check(
            MODE,
            False,
            "HTTP mode needs SLACK_SIGNING_SECRET (Basic Information › App Credentials), or set SLACK_APP_TOKEN for "
            "Socket Mode.",
        )
    try:
        bind_listener(settings.host, settings.port).close()  # what `aispend run` would listen on
    except CannotListen as err:
        if err.in_use:  # by the bot itself, when doctor runs beside it
            fix = "if that is aispend already running, this is expected; otherwise set PORT to a free port."
            return Check(MODE, False, f"HTTP mode: {err.what}: {fix}", required=False)
        return Check(MODE, False, f"HTTP mode: {err}")
    return Check(
        MODE,
        True,
        f"HTTP mode on {settings.host}:{settings.port} at /slack/events (SLACK_SIGNING_SECRET is set); point the "
        "Request URLs in manifest.yml at https://<your host>/slack/events",
    )

"""Files into Slack: upload bytes with files_upload_v2 and open the DM a file goes to.

files_upload_v2 is three calls (files.getUploadURLExternal, a raw POST of the bytes to the URL it returns, and
files.completeUploadExternal, which shares the file). Only the last one has an effect anyone sees, and the client's
retry policy (bot/slack/client.py) never repeats it after a lost answer, so a file is never shared twice by a retry.
Without a channel the file stays private to the bot, which is what an image block (`slack_file: {id}`) needs.
Every failure becomes an UploadError whose message is one sentence saying what to do; callers decide whether the
failure matters (a chart never blocks a reply or an alert; an export the user asked for does).
"""

from __future__ import annotations

from urllib.error import HTTPError, URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError, SlackRequestError

SCOPE_FIX = "add the {scope} scope on your Slack app's OAuth & Permissions page and reinstall the app"


class UploadError(Exception):
    """An upload or DM that Slack refused or that could not reach Slack; `reason` is Slack's error code."""

    def __init__(self, message: str, reason: str) -> None:
        self.reason = reason
        super().__init__(message)


def upload_file(
    client: WebClient,
    *,
    content: bytes,
    filename: str,
    title: str,
    alt_text: str | None = None,
    channel: str | None = None,
    initial_comment: str | None = None,
) -> str:
    """Upload `content` and return the file's id (F…); shared to `channel` (a C/G/D id) when given."""
    try:
        response = client.files_upload_v2(
            content=content,
            filename=filename,
            title=title,
            alt_txt=alt_text,
            channel=channel,
            initial_comment=initial_comment,
        )
    except SlackApiError as err:
        raise _refused(err, "files:write") from None
    except (SlackRequestError, HTTPError):  # the POST of the bytes was answered with a status other than 200
        raise UploadError(
            f"Slack's file server refused the bytes of {filename}: try again later.", "upload_refused"
        ) from None
    except (SlackClientError, URLError, OSError) as err:
        raise UploadError(
            f"Could not upload {filename} to Slack ({type(err).__name__}): check this host's connection to "
            "Slack (and any HTTPS_PROXY), then try again.",
            "unreachable",
        ) from None
    file = response.get("file")
    file_id = file.get("id") if isinstance(file, dict) else None
    if not isinstance(file_id, str) or not file_id:
        raise UploadError(f"Slack accepted {filename} but returned no file id: try again later.", "no_file_id")
    return file_id


def open_dm(client: WebClient, user_id: str) -> str:
    """The id (D…) of the bot's direct-message conversation with `user_id`; files and messages go there."""
    try:
        response = client.conversations_open(users=user_id)
    except SlackApiError as err:
        raise _refused(err, "im:write") from None
    except (SlackClientError, URLError, OSError) as err:
        raise UploadError(
            f"Could not open a direct message on Slack ({type(err).__name__}): check this host's connection to "
            "Slack, then try again.",
            "unreachable",
        ) from None
    channel = response.get("channel")
    channel_id = channel.get("id") if isinstance(channel, dict) else None
    if not isinstance(channel_id, str) or not channel_id:
        raise UploadError("Slack opened no direct-message conversation: try again later.", "no_channel")
    return channel_id


def _refused(err: SlackApiError, scope: str) -> UploadError:
    error = str(err.response.get("error") or "unknown_error")
    if error == "missing_scope":
        needed = str(err.response.get("needed") or scope)
        return UploadError(f"Slack refused the upload (missing_scope): {SCOPE_FIX.format(scope=needed)}.", error)
    if error in {"not_in_channel", "channel_not_found"}:
        return UploadError(
            f"Slack refused the upload ({error}): invite the bot to that channel (/invite @aispend) and try again.",
            error,
        )
    if error in {"invalid_auth", "not_authed", "token_revoked", "account_inactive"}:
        return UploadError(
            f"Slack refused the bot token ({error}): set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…) "
            "from your Slack app's OAuth & Permissions page.",
            error,
        )
    return UploadError(f"Slack refused the upload ({error}): try again later.", error)

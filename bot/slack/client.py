"""The Slack WebClient the whole process shares, and its retry policy: a post is never sent twice by a retry.

`WebClient` is a stateless urllib caller and safe to share between the answer pool and the scheduler. Slack
answers bursts with 429 + Retry-After (nothing done, so retrying is safe), hence the rate-limit handler. A
dropped connection is another matter: slack_sdk's ConnectionErrorRetryHandler sends the request again, and when
the connection dropped after Slack received a chat.postMessage that posts the message twice. So connection
retries are kept for methods that do the same thing however often they run (reads, chat.update with the same
content, views.publish) and, for every other method and for response_url posts, only for failures urllib raises
before the whole request was written (URLError: connection refused, DNS, TLS), which Slack cannot have acted on.
Bolt's respond() builds its own WebhookClient with the SDK's default retry, so the app swaps it for SafeRespond.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.error import URLError
from urllib.parse import urlsplit

from slack_bolt import BoltContext, BoltResponse, Respond
from slack_bolt.context.respond.internals import _build_message
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookClient, WebhookResponse

from bot.config import Settings
from bot.errors import ConfigError

TIMEOUT_SECONDS = 15
BOT_TOKEN_FIX = (
    "set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page."
)
# slack_sdk's own `error` for an answer that is not JSON (a proxy's or captive portal's HTML page with 200), which
# no Slack refusal is: it says nothing about the token
_NOT_JSON = "Received a response in a non-JSON format"
NOT_SLACK = (
    "SLACK_API_URL answered auth.test with a page that is not Slack's Web API (a proxy or a captive portal?): check "
    "this host's network connection and any HTTPS_PROXY setting, and set SLACK_API_URL to https://slack.com/api/ "
    "(or remove it)."
)
# sending one of these again after a dropped answer does nothing new; everything else may post twice
IDEMPOTENT_METHODS = frozenset(
    {
        "auth.test",
        "apps.connections.open",
        "conversations.history",
        "conversations.info",
        "conversations.replies",
        "users.info",
        "chat.update",  # the same ts and content: a repeat leaves the message as the first one did
        "views.publish",  # replaces the whole Home tab with the same view
    }
)


def answered_by_a_page(error: object) -> bool:
    """Whether a SlackApiError's `error` is slack_sdk's word for an answer that was not JSON at all."""
    return isinstance(error, str) and error.startswith(_NOT_JSON)


def make_client(settings: Settings) -> WebClient:
    if settings.slack_bot_token is None:
        raise ConfigError(f"SLACK_BOT_TOKEN is not set: {BOT_TOKEN_FIX}")
    return build_client(settings.slack_bot_token.reveal(), settings.slack_api_url)


def build_client(token: str, base_url: str, *, timeout: int = TIMEOUT_SECONDS) -> WebClient:
    return WebClient(
        token=token,
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        timeout=timeout,
        retry_handlers=retry_handlers(),
    )


def retry_handlers() -> list[RetryHandler]:
    return [ConnectionRetry(max_retry_count=2), RateLimitErrorRetryHandler(max_retry_count=2)]


def method_of(url: str) -> str:
    """ "chat.postMessage" for …/api/chat.postMessage; a response_url's last path segment is never a method."""
    return urlsplit(url).path.rsplit("/", 1)[-1]


class ConnectionRetry(ConnectionErrorRetryHandler):
    """The SDK's connection retry, limited to what cannot act twice (see the module docstring)."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        # urllib wraps in URLError exactly the failures of connecting and writing the request (do_open); an
        # error while waiting for or reading the answer comes bare (RemoteDisconnected, ConnectionResetError)
        return method_of(request.url) in IDEMPOTENT_METHODS or isinstance(error, URLError)


class SafeRespond(Respond):
    """Bolt's respond() with the retry policy above: a reply whose answer was lost is not posted again."""

    def __call__(
        self,
        text: str | dict[str, Any] = "",
        blocks: Sequence[Any] | None = None,
        attachments: Sequence[Any] | None = None,
        response_type: str | None = None,
        replace_original: bool | None = None,
        delete_original: bool | None = None,
        unfurl_links: bool | None = None,
        unfurl_media: bool | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> WebhookResponse:
        if self.response_url is None:
            raise ValueError("respond is unsupported here as there is no response_url")
        client = WebhookClient(url=self.response_url, proxy=self.proxy, ssl=self.ssl, retry_handlers=retry_handlers())
        if isinstance(text, dict):
            return client.send_dict(_build_message(**text))
        # Bolt's own body builder, so a reply is exactly what Respond would send
        message = _build_message(
            text=text,
            blocks=blocks,
            attachments=attachments,
            response_type=response_type,
            replace_original=replace_original,
            delete_original=delete_original,
            unfurl_links=unfurl_links,
            unfurl_media=unfurl_media,
            thread_ts=thread_ts,
            metadata=metadata,
        )
        return client.send_dict(message)


def safe_respond(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:
    """Global middleware: every listener's `respond` is a SafeRespond."""
    if context.response_url:
        client = context.client
        context["respond"] = SafeRespond(
            response_url=context.response_url,
            proxy=client.proxy if client is not None else None,
            ssl=client.ssl if client is not None else None,
        )
    return next()

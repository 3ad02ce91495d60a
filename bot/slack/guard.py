"""What a signed request must be before any listener sees it: a payload this app serves, answered only at Slack.

Both checks run as the App's `before_authorize` middleware: after Bolt's signature check, before Bolt reads the
payload to authorize and route it. So they hold for both transports and every listener (the `/aispend` answers,
the "restarting" reply, the alert buttons, the catch-all that acks unknown clicks):
- The payload is a kind this app serves: a slash command (which names itself and carries its response_url), a
  `block_actions` click whose actions are objects with an `action_id`, an `app_home_opened` event naming its user,
  the Settings form's `view_submission` with its view and user, or Slack's `url_verification` (which Bolt
  answers). Bolt reads `event`, `actions[0]`, `callback_id` and `view` while it authorizes and routes, and raises
  (a 500 and a traceback) when their shape is wrong; and no other kind would find a listener here anyway.
- Its `response_url` (or, without one, `response_urls[0]`), which `respond()` POSTs the answer to, is Slack's:
  `https://hooks.slack.com/…`, or the scheme, host and port of the Web API the bot talks to (SLACK_API_URL, which
  tests point at a local fake). A signed request naming another address is refused whole, so nothing (not a
  report, not a sync) is done for it.
A refusal is a 400 and one warning line; the line never shows a URL's path, which is the reply's credential.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

log = logging.getLogger(__name__)

INVALID = '{"error": "invalid request"}'
SLACK_HOOKS = ("https", "hooks.slack.com", 443)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_URL_CHARS = frozenset(chr(c) for c in range(0x21, 0x7F)) - {"\\"}  # printable ASCII, no space or backslash

Origin = tuple[str, str, int]


def origin(url: str) -> Origin | None:
    """(scheme, host, port) of an absolute http(s) URL without user info; None for anything else."""
    if not url or not set(url) <= _URL_CHARS:
        return None  # urllib quietly drops tabs and newlines, and hosts can hide behind look-alike letters
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or "@" in parts.netloc or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


class ResponseUrls:
    """Which response_urls may receive an answer: Slack's hooks host and the Web API's own origin."""

    def __init__(self, api_url: str) -> None:
        api = origin(api_url)
        self.allowed = frozenset({SLACK_HOOKS} if api is None else {SLACK_HOOKS, api})

    def allows(self, url: str) -> bool:
        return origin(url) in self.allowed


def shape_problem(body: object) -> str | None:
    """Why `body` is not a payload this app serves, or None."""
    if not isinstance(body, dict):
        return f"the payload is a JSON {_kind_of(body)}, not an object"
    kind = body.get("type")
    if kind == "url_verification":
        return None
    if kind is None and "command" in body:
        if not isinstance(body["command"], str):
            return "a slash command whose name is not text"
        if not body.get("response_url") or not isinstance(body["response_url"], str):
            return "a slash command without a response_url"
        return None
    if kind == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions:
            return "a button click without its actions"
        if not all(isinstance(action, dict) and isinstance(action.get("action_id"), str) for action in actions):
            return "a button click whose action has no action_id"
        if not isinstance(body.get("response_url", ""), str):
            return "a button click whose response_url is not text"
        return None
    if kind == "event_callback":
        return _event_problem(body)
    if kind == "view_submission":
        return _submission_problem(body)
    return f"a payload of type {_shown(kind)}, which aispend does not handle"


# the events the app subscribes to (manifest.yml); Bolt reads the event's user while it routes
EVENTS = frozenset({"app_home_opened"})


def _event_problem(body: dict[str, Any]) -> str | None:
    event = body.get("event")
    if not isinstance(event, dict) or event.get("type") not in EVENTS:
        kind = event.get("type") if isinstance(event, dict) else event
        return f"an event of type {_shown(kind)}, which aispend does not handle"
    if not isinstance(event.get("user"), str) or not isinstance(event.get("tab", ""), str):
        return "an App Home event without its user"
    if not _list_of_objects(body.get("authorizations", [])):
        return "an event whose authorizations are not a list of objects"
    return None


def _submission_problem(body: dict[str, Any]) -> str | None:
    view = body.get("view")
    if not isinstance(view, dict) or not isinstance(view.get("callback_id"), str):
        return "a form submission without its view"
    user = body.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        return "a form submission without its user"
    urls = body.get("response_urls", [])
    if not _list_of_objects(urls) or not all(isinstance(u.get("response_url", ""), str) for u in urls):
        return "a form submission whose response_urls are not a list of objects"
    return None


def _list_of_objects(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


class RequestGuard(Middleware):  # type: ignore[misc]
    """Bolt middleware: refuses, with a 400, signed payloads of the wrong shape or answered elsewhere than Slack."""

    def __init__(self, response_urls: ResponseUrls) -> None:
        self.response_urls = response_urls

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse | None:
        body: Any = req.body
        problem = shape_problem(body)
        if problem is not None:
            log.warning("Refused a signed request: %s.", problem)
            return BoltResponse(status=400, body=INVALID)
        # what respond() answers at: the body's response_url or, without one, a modal's response_urls[0] (Bolt)
        url: object = req.context.response_url
        if url is not None and not (isinstance(url, str) and self.response_urls.allows(url)):
            where = origin(url) if isinstance(url, str) else None
            shown = f"{where[0]}://{where[1]}:{where[2]}" if where else "an address that is not an http(s) URL"
            log.warning(
                "Refused a signed request whose response_url is not Slack's (%s): nothing was sent there.", shown
            )
            return BoltResponse(status=400, body=INVALID)
        return next()


def _kind_of(value: object) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, int | float) else type(value).__name__


def _shown(kind: object) -> str:
    text = repr(kind)
    return text if len(text) <= 40 else text[:39] + "…"

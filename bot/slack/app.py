"""The Bolt `App` factory: wiring, token handling and the pools. The `/aispend` listener lives in listener.py.

Nothing here touches the network: the App authorizes every request with the bot token it was given (an
`AuthorizeResult`), so building it makes no `auth.test` call and works offline. Acks stay fast because every
listener only parses, checks access and acks, in the request's own dispatch; the answer is computed in the work
pool, so a slow request (a `sync`, a big report) never holds up another command's ack.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from slack_bolt import Ack, App
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped, warning_token_skipped
from slack_sdk import WebClient

from bot.config import Settings
from bot.slack.charts import ChartUploads
from bot.slack.client import safe_respond
from bot.slack.commands import COMMAND
from bot.slack.gate import AckGate
from bot.slack.guard import RequestGuard, ResponseUrls
from bot.slack.listener import AlertsView, CommandListener, SpendStore

Registrar = Callable[[App], None]
COMMANDS = (COMMAND,)  # every slash command the app registers; manifest.yml must declare exactly these
WORK_WORKERS = 2
bolt_log = logging.getLogger("bot.slack.bolt")


class Pools:
    """The pool that computes and sends answers, and the gate that holds them back while acks are due."""

    def __init__(self, work: int = WORK_WORKERS) -> None:
        self.work = ThreadPoolExecutor(max_workers=work, thread_name_prefix="aispend-work")
        self.gate = AckGate()

    def shutdown(self) -> None:
        """Let the answers in progress finish; drop what has not started."""
        self.work.shutdown(wait=True, cancel_futures=True)


class _DropTokenWarnings(logging.Filter):
    # Bolt warns that `token`/SLACK_BOT_TOKEN "will be ignored" whenever a client or `authorize` is given; here
    # the token is used, through `authorize`, so the warning would only mislead whoever reads the log.
    _TEXTS = frozenset({warning_client_prioritized_and_token_skipped(), warning_token_skipped()})

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in self._TEXTS


bolt_log.addFilter(_DropTokenWarnings())


def create_app(
    *,
    client: WebClient,
    store: SpendStore,
    settings: Settings,
    signing_secret: str | None,
    now: Callable[[], datetime],
    sync_now: Callable[[], str] | None = None,
    alerts: AlertsView | None = None,
    registrars: Sequence[Registrar] = (),
    pools: Pools | None = None,
    charts: ChartUploads | None = None,
) -> App:
    """The App: the request guard, `/aispend`, each registrar's listeners, then a catch-all for unknown actions.

    `signing_secret` is required for HTTP mode (None is only right for Socket Mode, where Slack does not sign);
    `now` is the clock (UTC-aware); `sync_now` runs a provider sync and returns a one-line summary; `charts`
    puts pictures in the period replies (none without it).
    """
    pools = pools or Pools()
    token = client.token
    if not token:
        raise ValueError("create_app needs a WebClient that holds the bot token")
    # Without a secret (Socket Mode) a random one nobody knows makes every HTTP request fail verification with
    # 401; passing None would make Bolt read SLACK_SIGNING_SECRET from os.environ, which only the CLI reads.
    app = App(
        name="aispend",
        logger=bolt_log,
        client=client,
        signing_secret=signing_secret or secrets.token_hex(32),
        authorize=_authorize_with(token),
        listener_executor=pools.work,  # Bolt uses it only for lazy listeners, and this app registers none
        raise_error_for_unhandled_request=False,
        # right after the signature check, before Bolt reads the payload to authorize and route it: only payloads
        # this app serves, answered only at Slack (the client's base URL is SLACK_API_URL, the Web API it trusts)
        before_authorize=RequestGuard(ResponseUrls(client.base_url)),
        # Every listener acks and hands its work to a pool of ours, so running it in the request's own dispatch
        # costs nothing, spares Bolt's 10 ms ack polling, and lets HTTP mode dispatch on its event loop. A
        # listener registered here must never block (no SQLite, no network before it returns).
        process_before_response=True,
        # the only event the app subscribes to is app_home_opened, which people send, never the bot itself; it
        # uses no functions or assistant threads: these middlewares would only cost time on every ack path
        ignoring_self_events_enabled=False,
        ignoring_self_assistant_message_events_enabled=False,
        attaching_function_token_enabled=False,
        attaching_conversation_kwargs_enabled=False,
    )
    app.use(safe_respond)  # respond() never posts a reply twice (bot.slack.client)
    listener = CommandListener(
        store=store,
        settings=settings,
        now=now,
        sync_now=sync_now,
        work=pools.work,
        alerts=alerts,
        gate=pools.gate,
        charts=charts,
        client=client,
    )
    for name in COMMANDS:
        app.command(name)(listener.on_command)
    for register in registrars:
        register(app)
    # Last, so the registrars' own action ids match first. Unknown clicks (link buttons, stale messages) are
    # acked so Slack shows no warning icon, and ignored.
    app.action(re.compile(".*"))(_ack_and_ignore)
    return app


def _authorize_with(token: str) -> Callable[..., AuthorizeResult]:
    def authorize(enterprise_id: str | None, team_id: str | None, user_id: str | None) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id, bot_token=token)

    return authorize


def _ack_and_ignore(ack: Ack, body: dict[str, object]) -> None:
    ack()
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions else {}
    bolt_log.debug("ignored an action nobody handles: %s", first.get("action_id") if isinstance(first, dict) else None)

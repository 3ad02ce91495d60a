"""The Slack surface under hostile or random input, through the real Bolt App (and once through uvicorn).

- Forged, tampered, stale or unsigned requests are refused with 401 and cause no work.
- Any `/aispend` text gets a helpful reply (help, a refusal or an answer), never an error, never a ping.
- Allowlists and the admin list cannot be bypassed by crafted text.
- Unknown button clicks are acked and ignored; the alert buttons with garbage values answer politely.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from slack_bolt import App, BoltRequest, BoltResponse

from bot.alerts.messages import ACK_ACTION, DETAILS_ACTION, SNOOZE_ACTION
from bot.slack.alert_actions import register_alert_actions
from bot.slack.app import Pools, create_app
from bot.slack.client import build_client
from bot.slack.gate import AckGate
from bot.slack.server import HttpServer
from bot.store import Store
from bot.store.alerts import AlertStore
from tests.fake_slack import FakeSlack
from tests.slack_support import ADMIN, CHANNEL, NOW, READER, SECRET, STRANGER, fill_store, signed, slash_form
from tests.slack_support import settings as make_settings

OTHER_CHANNEL = "C0OTHER"
APOLOGY = "something went wrong"
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# words of the grammar plus the tricks people (and attackers) type
WORDS = [
    "week", "today", "yesterday", "month", "30d", "400d", "401d", "0d", "-1d", "1d", "9999999999999999999999d",
    "models", "workspaces", "projects", "budget", "set", "clear", "show", "sync", "help", "public", "PUBLIC",
    "$1,200.50", "500", "0", "-5", "1e9", "1e999", "NaN", "Infinity", "99999999999999999999999999999", "$", ",",
    "<@UADMIN>", "<@UADMIN|boss>", "<!channel>", "<!here>", "&lt;!channel&gt;", "&amp;", "<#C0SPEND>",
    "user_id=UADMIN", "&user_id=UADMIN", "`", "```", "*bold*", "\u200b", "ѕync", "ｓｙｎｃ", "sync\u0000", "\t", "\n",
]  # fmt: skip
crafted = st.lists(st.sampled_from(WORDS), max_size=6).map(" ".join)
any_text = st.one_of(crafted, st.text(max_size=200), st.text(alphabet=st.characters(codec="ascii"), max_size=60))


@dataclass
class Bot:
    app: App
    fake: FakeSlack
    store: Store
    gate: AckGate
    syncs: list[str] = field(default_factory=list)
    counter: Iterator[int] = field(default_factory=itertools.count)

    def command(self, text: str, user: str, channel: str = CHANNEL) -> tuple[BoltResponse, str]:
        name = f"c{next(self.counter)}"
        form = slash_form(text, user=user, channel=channel, response_url=self.fake.response_url(name))
        body = urlencode(form)
        return self.app.dispatch(BoltRequest(body=body, headers=signed(body))), name

    def reply(self, text: str, user: str, channel: str = CHANNEL) -> tuple[str, str]:
        """('ack' or 'respond', the text the user sees) for one command."""
        response, name = self.command(text, user, channel)
        assert response.status == 200, (text, response.status, response.body)
        acked = json.loads(response.body) if response.body.startswith("{") else {"text": response.body}
        if acked.get("text"):
            return "ack", str(acked["text"])
        [answer] = self.fake.wait_for(f"/commands/{name}", timeout=15)
        return "respond", str(answer.body.get("text", ""))


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    store = Store(tmp_path_factory.mktemp("fuzz") / "aispend.db")
    fill_store(store)
    conf = make_settings(
        admin_users=frozenset({ADMIN}),
        allowed_users=frozenset({READER}),
        allowed_channels=frozenset({CHANNEL}),
    )
    pools = Pools(work=8)
    with FakeSlack() as fake:
        bot = Bot(app=None, fake=fake, store=store, gate=pools.gate)  # type: ignore[arg-type]

        def sync_now() -> str:
            bot.syncs.append("sync")
            return "anthropic: synced 0 rows; openai: synced 0 rows"

        alert_store = AlertStore(store)

        def register(app: App) -> None:
            register_alert_actions(app, alert_store, conf, now=lambda: NOW, work=pools.work)

        bot.app = create_app(
            client=build_client("xoxb-test-token", fake.api_url),
            store=store,
            settings=conf,
            signing_secret=SECRET,
            now=lambda: NOW,
            sync_now=sync_now,
            registrars=[register],
            pools=pools,
        )
        yield bot
        pools.shutdown()
    store.close()


def assert_helpful(text: str, sender: str) -> None:
    assert text.strip(), "an empty reply"
    assert APOLOGY not in text, text
    assert "<!" not in text, text  # never @channel / @here from echoed input
    for mention in text.split("<@")[1:]:
        assert mention.startswith(f"{sender}>"), text  # the only user ever mentioned is the sender


# ---- any text gets a helpful reply ----------------------------------------------------------------------------


@FUZZ
@given(text=any_text)
@example(text="")
@example(text="budget set 99999999999999999999999999999")
@example(text="budget set $1,000,000,000,000,000.99 public")
@example(text="9999999999999999999999d")
def test_any_text_from_an_admin_gets_a_helpful_reply(bot: Bot, text: str) -> None:
    _, reply = bot.reply(text, ADMIN)
    assert_helpful(reply, ADMIN)


@FUZZ
@given(text=any_text)
@example(text="budget set 5 <@UADMIN>")
@example(text="sync&user_id=UADMIN")
@example(text="budget set 1\nuser_id=UADMIN")
@example(text="BUDGET SET 1")
@example(text="public budget clear")
@example(text="&lt;@UADMIN&gt; sync")
def test_a_reader_cannot_change_anything_whatever_the_text(bot: Bot, text: str) -> None:
    bot.store.set_setting("budget_usd", "777")
    syncs = len(bot.syncs)
    _, reply = bot.reply(text, READER)
    assert_helpful(reply, READER)
    assert bot.store.get_setting("budget_usd") == "777"
    assert len(bot.syncs) == syncs
    bot.store.set_setting("budget_usd", None)


@FUZZ
@given(text=any_text, who=st.sampled_from([(STRANGER, CHANNEL), (READER, OTHER_CHANNEL), (ADMIN, OTHER_CHANNEL)]))
@example(text="week", who=(STRANGER, CHANNEL))
@example(text="week <@UREADER>", who=(STRANGER, CHANNEL))
@example(text="sync", who=(ADMIN, OTHER_CHANNEL))
def test_outside_the_allowlists_nothing_but_help_or_a_refusal(bot: Bot, text: str, who: tuple[str, str]) -> None:
    user, channel = who
    syncs = len(bot.syncs)
    how, reply = bot.reply(text, user, channel)
    assert how == "ack"  # nothing is computed or sent to the response_url
    assert reply.startswith((":lock: Sorry", ":warning:", "*`/aispend`:")), reply
    assert len(bot.syncs) == syncs
    assert_helpful(reply, user)


# ---- signatures -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tamper:
    name: str
    secret: str = SECRET
    skew: int = 0
    flip: int | None = None  # index of a body byte changed after signing
    headers: dict[str, str] = field(default_factory=dict)
    drop: tuple[str, ...] = ()


TAMPERS = [
    Tamper("wrong secret", secret="not-the-secret"),
    Tamper("empty secret", secret=""),
    Tamper("301 s old", skew=-301),
    Tamper("an hour old", skew=-3600),
    Tamper("an hour ahead", skew=3600),
    Tamper("body changed after signing", flip=0),
    Tamper("text changed after signing", flip=-1),
    Tamper("no signature", drop=("x-slack-signature",)),
    Tamper("no timestamp", drop=("x-slack-request-timestamp",)),
    Tamper("v1 signature", headers={"x-slack-signature": "v1=" + "0" * 64}),
    Tamper("empty signature", headers={"x-slack-signature": ""}),
    Tamper("timestamp not a number", headers={"x-slack-request-timestamp": "soon"}),
]


def _sign(body: str, secret: str, ts: int) -> dict[str, Any]:
    """Slack's v0 signature by hand (SignatureVerifier refuses an empty secret, which a forger may try)."""
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": str(ts),
        "x-slack-signature": f"v0={digest}",
    }


def tampered(form: dict[str, str], tamper: Tamper) -> BoltRequest:
    body = urlencode(form)
    headers = _sign(body, tamper.secret, int(time.time()) + tamper.skew)
    if tamper.flip is not None:
        chars = list(body)
        chars[tamper.flip] = "X" if chars[tamper.flip] != "X" else "Y"
        body = "".join(chars)
    headers.update(tamper.headers)
    for name in tamper.drop:
        headers.pop(name)
    return BoltRequest(body=body, headers=headers)


@pytest.mark.parametrize("tamper", TAMPERS, ids=[t.name for t in TAMPERS])
def test_forged_tampered_and_stale_requests_are_refused(bot: Bot, tamper: Tamper) -> None:
    seen = len(bot.fake.requests)
    for text in ("week", "budget set 1", "sync"):
        form = slash_form(text, user=ADMIN, response_url=bot.fake.response_url("forged"))
        response = bot.app.dispatch(tampered(form, tamper))
        if tamper.name == "timestamp not a number":
            # Bolt itself fails on int("soon") (500); the HTTP server answers 401 before Bolt sees it (below)
            assert response.status == 500
        else:
            assert (response.status, response.body) == (401, '{"error": "invalid request"}')
    if tamper.flip != -1:  # a changed last byte would make the payload's JSON unparseable: see the HTTP test
        action = _action_form("aispend_alert_snooze", "spike|x", ADMIN, bot.fake.response_url("forged"))
        assert bot.app.dispatch(tampered(action, tamper)).status in (401, 500)
    time.sleep(0.2)  # any work wrongly started would have reached the fake Slack by now
    assert len(bot.fake.requests) == seen
    assert bot.store.get_setting("budget_usd") is None


def test_a_clock_a_little_off_is_still_accepted(bot: Bot) -> None:
    form = slash_form("help", user=READER, response_url=bot.fake.response_url("skew"))
    for skew in (-299, 299):
        assert bot.app.dispatch(tampered(form, Tamper("skew", skew=skew))).status == 200


# ---- button clicks ----------------------------------------------------------------------------------------------


def _action_form(action_id: str, value: str, user: str, response_url: str, **extra: Any) -> dict[str, str]:
    payload = {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "acme"},
        "user": {"id": user, "team_id": "T1"},
        "api_app_id": "A1",
        "trigger_id": "1.2.3",
        "channel": {"id": CHANNEL, "name": "spend"},
        "container": {"type": "message", "message_ts": "1.2", "channel_id": CHANNEL},
        "response_url": response_url,
        "actions": [{"action_id": action_id, "block_id": "b", "type": "button", "value": value, "action_ts": "1.3"}],
        **extra,
    }
    return {"payload": json.dumps(payload)}


def _click(bot: Bot, form: dict[str, str]) -> BoltResponse:
    body = urlencode(form)
    return bot.app.dispatch(BoltRequest(body=body, headers=signed(body)))


@FUZZ
@given(
    action_id=st.text(min_size=1, max_size=80).filter(lambda a: a not in (ACK_ACTION, SNOOZE_ACTION, DETAILS_ACTION)),
    value=st.text(max_size=200),
    user=st.sampled_from([ADMIN, READER, STRANGER]),
)
@example(action_id="open_dashboard_link", value="https://example.com", user=READER)
@example(action_id="aispend_alert_ack ", value="x", user=READER)
def test_unknown_clicks_are_acked_and_ignored(bot: Bot, action_id: str, value: str, user: str) -> None:
    seen = len(bot.fake.requests)
    response = _click(bot, _action_form(action_id, value, user, bot.fake.response_url("click")))
    assert (response.status, response.body) == (200, "")
    time.sleep(0.01)
    assert len(bot.fake.requests) == seen


@FUZZ
@given(action_id=st.sampled_from([ACK_ACTION, SNOOZE_ACTION, DETAILS_ACTION]), value=st.text(max_size=120))
def test_alert_buttons_with_garbage_values_answer_politely(bot: Bot, action_id: str, value: str) -> None:
    name = f"b{next(bot.counter)}"
    response = _click(bot, _action_form(action_id, value, READER, bot.fake.response_url(name)))
    assert (response.status, response.body) == (200, "")
    [answer] = bot.fake.wait_for(f"/commands/{name}", timeout=15)
    text = str(answer.body.get("text"))
    if action_id == SNOOZE_ACTION:
        assert text.startswith(":lock: Sorry, only aispend admins can snooze alerts."), text
    else:
        assert text.startswith("This alert is no longer in aispend's database"), text
    assert_helpful(text, READER)


# ---- the same refusals through uvicorn ------------------------------------------------------------------------


def test_the_http_server_refuses_forgeries_and_oversized_bodies(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    server = HttpServer(bot.app, "127.0.0.1", 0, gate=bot.gate).start()
    try:
        with httpx.Client(timeout=10) as client:
            assert client.get(server.url.replace("/slack/events", "/healthz")).text == "ok"
            good = urlencode(slash_form("help", user=READER, response_url=bot.fake.response_url("http")))
            assert client.post(server.url, content=good, headers=signed(good)).status_code == 200  # type: ignore[arg-type]
            forged = client.post(server.url, content=good, headers=signed(good, secret="nope"))  # type: ignore[arg-type]
            stale = client.post(server.url, content=good, headers=signed(good, ts=int(time.time()) - 400))  # type: ignore[arg-type]
            unsigned = client.post(
                server.url, content=good, headers={"content-type": "application/x-www-form-urlencoded"}
            )
            assert [forged.status_code, stale.status_code, unsigned.status_code] == [401, 401, 401]
            huge = "text=" + "a" * 1_100_000
            too_big = client.post(server.url, content=huge, headers=signed(huge))  # type: ignore[arg-type]
            assert too_big.status_code == 413
            # bodies and headers no Slack request has: refused, without a traceback per request in the log
            broken = "payload=" + quote('{"type": "block_actions", "actions": [')
            for body, headers in (
                (broken, signed(broken)),
                (broken, {"content-type": "application/x-www-form-urlencoded"}),
                (good, {**signed(good), "x-slack-request-timestamp": "soon"}),
                (good, {**signed(good), "x-slack-request-timestamp": ""}),
            ):
                answer = client.post(server.url, content=body, headers=headers)  # type: ignore[arg-type]
                assert (answer.status_code, answer.text) in (
                    (400, '{"error": "invalid request"}'),
                    (401, '{"error": "invalid request"}'),
                ), answer
    finally:
        server.stop()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_the_same_requests_from_an_admin_do_change_things(bot: Bot) -> None:
    """The refusals above are not vacuous: the same requests, correctly signed, do change things."""
    _, reply = bot.reply("budget set 42", ADMIN)
    assert reply.startswith("✅") or "set the monthly budget to $42.00" in reply, reply
    assert bot.store.get_setting("budget_usd") == "42"
    bot.store.set_setting("budget_usd", None)
    syncs = len(bot.syncs)
    kind, _ = bot.reply("sync", ADMIN)
    assert kind == "ack"  # "Syncing from the providers now…"; the sync itself runs after the ack
    bot.fake.wait_until(lambda: len(bot.syncs) == syncs + 1, 15, "the admin's sync to run")


# ---- a busy database is waited for, never reported as "locked" -----------------------------------------------


def test_a_writer_holding_the_database_never_shows_users_database_is_locked(bot: Bot) -> None:
    """Another process's write transaction (a sync) holds the lock; commands wait for it and answer normally."""
    locked, release = threading.Event(), threading.Event()

    def hold_the_write_lock() -> None:
        conn = sqlite3.connect(bot.store.path, timeout=10)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO settings (key, value) VALUES ('other_process', 'x')")
            locked.set()
            release.wait(60)  # longer than busy_timeout: an ack that touched the database would fail, not wait
            conn.execute("ROLLBACK")
        finally:
            conn.close()

    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    try:
        assert locked.wait(10)
        sent = [bot.command(text, ADMIN) for text in ("budget set 55", "week", "budget", "models month")]
        # HTTP mode dispatches on its event loop, so an ack must never touch SQLite: all four are acked, empty,
        # while the other process still holds the write lock
        assert holder.is_alive() and not release.is_set()
        assert [(response.status, response.body) for response, _ in sent] == [(200, "")] * 4
        names = [name for _, name in sent]
        time.sleep(0.5)  # the readers answer (WAL); the budget write waits for the lock
        release.set()
        texts = [str(bot.fake.wait_for(f"/commands/{name}", timeout=20)[0].body.get("text")) for name in names]
    finally:
        release.set()
        holder.join()
    for text in texts:
        assert_helpful(text, ADMIN)
        assert "locked" not in text
    assert "set the monthly budget to $55.00" in texts[0]
    assert bot.store.get_setting("budget_usd") == "55"
    bot.store.set_setting("budget_usd", None)

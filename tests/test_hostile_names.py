"""A hostile organization through every message the bot sends and every CLI output (issue 10, item 2).

Every name a provider controls (workspace and project names, project ids shown for want of a name, model names,
line items) and the error text of a failed sync is set to an attack: a mention, a link, mrkdwn formatting, a
newline, an ESC sequence, a bidi override, very long. The organization is written through the real store API
and read back by the real report, alert, digest, button and CLI paths; Slack is the fake Slack on loopback.
What reaches Slack or the terminal must carry no mention, link, formatting or control character from that data,
and every Slack message must fit Slack's limits (the Details reply once reached 15,166 characters of blocks).
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk.models.blocks import Block
from slack_sdk.signature import SignatureVerifier

from bot.alerts.messages import ACK_ACTION, DETAILS_ACTION, SNOOZE_ACTION
from bot.alerts.service import LedgerView, post_digest, run_alerts
from bot.cli import main
from bot.config import Secret, Settings
from bot.money import usd_to_nano
from bot.periods import parse_period
from bot.providers.anthropic import COST_PATH, ME_PATH, USAGE_PATH, WORKSPACES_PATH
from bot.records import (
    BILLED,
    KEY,
    TOKEN_SHARE,
    USER,
    CostRecord,
    Label,
    ProviderData,
    SpenderBasis,
    SpenderCost,
    SpenderLabel,
    SpenderUsage,
    UsageRecord,
)
from bot.report import load_report
from bot.slack.alert_actions import register_alert_actions
from bot.slack.app import Pools, create_app
from bot.slack.blocks import report_message
from bot.slack.client import build_client
from bot.store import Store
from bot.store.alerts import AlertStore
from tests.fake_slack import FakeSlack
from tests.run_support import aispend_run
from tests.scripted_server import Reply, ScriptedServer, raw_http
from tests.slack_support import form_body, signed, slash_form

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
FIRST_DAY, SPIKE_DAY, END = date(2026, 11, 1), date(2026, 11, 15), TODAY + timedelta(days=1)
SECRET = "test-signing-secret"  # tests.slack_support.signed signs with it
CHANNEL = "C0ALERTS"
ADMIN, READER, OTHER = "UADMIN", "UREADER", "UOTHER"
OUR_MENTIONS = {f"<@{user}>" for user in (ADMIN, READER, OTHER)}

HOSTILE = [  # the first ones spend the most, so they lead the tables and the alert's drivers
    "<!channel>",
    "a\nb",
    "\x1b[31mred\x1b[0m",
    "*bold*",
    "L" * 500,
    "<!here|everyone>",
    "<@UEVIL>",
    "<#CEVIL|general>",
    "<https://evil.example/login|click here>",
    "@channel",
    "_it_",
    "~s~",
    "`code`",
    "```block```",
    "> quote",
    "\x1b]0;title\x07\x1b[2J",
    "\u202eevil\u202c",
    "\u2066iso\u2069",
    "zero\u200bwidth\u200d",
    "nul\x00bel\x07",
    "c1\x85\x9bcsi",
    "line\u2028sep\u2029",
    "tab\tcr\r",
    "&amp;",
    "\u202e\u200b",
    ":skull:",
    "ft:gpt-4o:acme::skin-tone-2:",
]
HOSTILE_ERROR = "\x1b[2J\x1b[31m<!channel> *down* `now`\n> quote \u202egnirts\u202c"
FORMATTING = ("*bold*", "_it_", "~s~", "`code`", "```block```", "*down*", "`now`")
INVISIBLE = {"Cc", "Cf", "Cs", "Zl", "Zp"}
# the emoji the bot itself shows; any other `:name:` Slack would render came from provider data
OUR_EMOJI = {
    ":mag:",
    ":electric_plug:",
    ":chart_with_upwards_trend:",
    ":rotating_light:",
    ":warning:",
    ":calendar:",
    ":white_check_mark:",
    ":zzz:",
    ":lock:",
    ":information_source:",
    ":hourglass:",
    ":x:",
    ":arrows_counterclockwise:",
}
SHORTCODE = re.compile(r":[A-Za-z0-9_+'-]+:")


def shortcodes(text: str) -> list[str]:
    """`:name:` emoji Slack would render in `text`, other than the bot's own."""
    return [m for m in SHORTCODE.findall(text) if m not in OUR_EMOJI]


def usd(text: str) -> int:
    return usd_to_nano(Decimal(text))


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days)]


def hostile_store(path: Path) -> Store:
    """Nov 1-22 2026. Every day Anthropic's "production" spends $100; from Nov 15 every hostile string is a new
    spender twice: an Anthropic workspace named it with a model named it, and an OpenAI project whose id it is
    (it has no name) with that model and line item. OpenAI's last sync then failed with a hostile error."""
    store = Store(path)
    anthropic = ProviderData("anthropic", FIRST_DAY, END)
    openai = ProviderData("openai", FIRST_DAY, END)
    anthropic.labels = [Label("anthropic", "wrk_base", "production")]
    for day in _days(FIRST_DAY, END):
        anthropic.costs.append(CostRecord("anthropic", day, "wrk_base", "claude-sonnet-4-6", "tokens", "", usd("100")))
        if day < SPIKE_DAY:
            continue
        for i, name in enumerate(HOSTILE):
            amount = usd(str(20 + len(HOSTILE) - i))
            anthropic.costs.append(CostRecord("anthropic", day, f"wrk_{i}", name, name, "", amount))
            anthropic.usage.append(UsageRecord("anthropic", day, f"wrk_{i}", name, "", 1000, 100, 0, 0, 1))
            openai.costs.append(CostRecord("openai", day, name, name, name, "", amount))
    anthropic.labels += [Label("anthropic", f"wrk_{i}", name) for i, name in enumerate(HOSTILE)]
    _hostile_spenders(anthropic)
    for data in (anthropic, openai):
        sync_id = store.begin_sync(data.provider, NOW - timedelta(hours=1), (data.start, data.end))
        rows = store.replace_provider_data(data, NOW - timedelta(hours=1))
        store.finish_sync(sync_id, NOW - timedelta(hours=1), "ok", None, rows)
    sync_id = store.begin_sync("openai", NOW - timedelta(minutes=10), (TODAY - timedelta(days=2), END))
    store.finish_sync(sync_id, NOW - timedelta(minutes=9), "error", HOSTILE_ERROR, 0)
    return store


def _hostile_spenders(data: ProviderData) -> None:
    """Every hostile string is also an API key's name (billed; the spike's top spenders) and a person's name and
    email (token share)."""
    data.spender_basis = [
        SpenderBasis("anthropic", KEY, BILLED),
        SpenderBasis("anthropic", USER, TOKEN_SHARE, "Per-user cost is a share: " + HOSTILE_ERROR),
    ]
    for day in _days(FIRST_DAY, END):
        for i, name in enumerate(HOSTILE):
            # a dollar a day before the spike, so the keys are the spike's drivers without each firing as new (and
            # each over 5 % of the change, so none folds into "other")
            amount = usd(str(120 + len(HOSTILE) - i) if day >= SPIKE_DAY else "1")
            data.spender_costs.append(SpenderCost("anthropic", day, KEY, f"key_{i}", f"wrk_{i}", name, amount))
            data.spender_usage.append(SpenderUsage("anthropic", day, USER, f"user_{i}", f"wrk_{i}", name, 10, 1, 0, 0))
    for i, name in enumerate(HOSTILE):
        data.spender_labels += [
            SpenderLabel("anthropic", KEY, f"key_{i}", name, f"wrk_{i}", USER, f"user_{i}"),
            SpenderLabel("anthropic", USER, f"user_{i}", name, email=f"{name}@example.com"),
        ]


def hostile_settings() -> Settings:
    return Settings(
        anthropic_admin_key=Secret("sk-ant-admin01-test"),
        openai_admin_key=Secret("sk-admin-test"),
        slack_bot_token=Secret("xoxb-test-token"),
        slack_signing_secret=Secret(SECRET),
        alert_channel=CHANNEL,
        admin_users=frozenset({ADMIN}),
        monthly_budget_usd=Decimal("100"),
        db_path="unused",
    )


# --- what may reach Slack ------------------------------------------------------------------------------------


def invisible(text: str, allowed: str = "") -> list[str]:
    return [hex(ord(c)) for c in text if c not in allowed and unicodedata.category(c) in INVISIBLE]


def assert_literal_mrkdwn(where: str, text: str) -> None:
    """Mrkdwn in which nothing from provider data can mention, link, format, quote or control."""
    assert invisible(text, "\n") == [], (where, text)
    assert set(re.findall(r"<[^>]*>?", text)) <= OUR_MENTIONS, (where, text)
    assert set(re.findall(r"&[^;\s]*;?", text)) <= {"&amp;", "&lt;", "&gt;"}, (where, text)
    parts = text.split("```")
    assert len(parts) % 2 == 1, (where, text)  # every code block is closed
    assert [code for code in parts[1::2] if "`" in code] == [], (where, text)  # and nothing closes one early
    # inside a code block Slack does not format; outside, no provider marker may
    assert [m for m in FORMATTING for plain in parts[0::2] if m in plain] == [], (where, text)
    assert [line for line in text.split("\n") if re.match(r"\s*(>|&gt;)", line)] == [], (where, text)
    assert [m for plain in parts[0::2] for line in plain.split("\n") for m in shortcodes(line)] == [], (where, text)


def text_objects(block: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if "text" in block:
        yield block["text"]
    yield from block.get("fields", [])
    for element in block.get("elements", []):
        yield element["text"] if element.get("type") == "button" else element


def assert_safe_message(where: str, body: dict[str, Any]) -> None:
    text = body.get("text")
    assert isinstance(text, str) and text, (where, body)
    assert len(text) <= 4000, (where, len(text))
    assert_literal_mrkdwn(f"{where} text", text)  # a message's `text` is mrkdwn too
    blocks = body.get("blocks")
    if blocks is None:
        return
    assert 1 <= len(blocks) <= 50, (where, len(blocks))
    size = len(json.dumps(blocks, ensure_ascii=False))
    assert size <= 12_000, (where, size)
    for raw in blocks:
        parsed = Block.parse(raw)
        assert parsed is not None and parsed.to_dict() == raw, (where, raw)  # slack_sdk's own length checks
        for obj in text_objects(raw):
            if obj["type"] == "mrkdwn":
                assert obj.get("verbatim") is True, (where, obj)  # no auto-linking of bare URLs or names
                assert_literal_mrkdwn(where, obj["text"])
            else:
                assert invisible(obj["text"]) == [], (where, obj)
                assert shortcodes(obj["text"]) == [], (where, obj)  # plain_text with `emoji: true` renders them


# --- driving the app -----------------------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with hostile_store(tmp_path / "hostile.db") as s:
        yield s


@pytest.fixture
def app(fake: FakeSlack, store: Store) -> Iterator[App]:
    conf = hostile_settings()
    pools = Pools(work=4)

    def register(app: App) -> None:
        register_alert_actions(app, AlertStore(store), conf, now=lambda: NOW, work=pools.work)

    app = create_app(
        client=build_client("xoxb-test-token", fake.api_url),
        store=store,
        settings=conf,
        signing_secret=SECRET,
        now=lambda: NOW,
        sync_now=lambda: f"anthropic: synced 3 rows; openai: failed ({HOSTILE_ERROR})",
        alerts=LedgerView(store),
        registrars=[register],
        pools=pools,
    )
    try:
        yield app
    finally:
        pools.shutdown()


class Conversation:
    """Commands and clicks sent to the app; every answer, ack and Slack Web API call is checked at the end."""

    def __init__(self, app: App, fake: FakeSlack) -> None:
        self.app, self.fake = app, fake
        self.acks: list[tuple[str, dict[str, Any]]] = []
        self.replies = 0

    def _ack(self, where: str, response: BoltResponse, before: int, expect: int) -> None:
        assert response.status == 200, (where, response.status, response.body)
        if response.body:  # Bolt answers a bare text ack as text/plain
            body = response.body
            ack = json.loads(body) if body.startswith("{") else {"text": body}
            if "text" in ack:  # `public` is acked with only {"response_type": "in_channel"}
                self.acks.append((where, ack))
        # the answer follows from the work pool: wait for the calls this one makes before the next one
        self.fake.wait_until(lambda: len(self.fake.requests) >= before + expect, 30.0, where)

    def command(self, text: str, user: str = READER, expect: int = 1) -> None:
        """`expect`: the Slack calls the command makes after its ack (its answer; none for help)."""
        self.replies += 1
        before = self.count()
        body = form_body(slash_form(text, user=user, response_url=self.fake.response_url(str(self.replies))))
        self._ack(f"/aispend {text}", self.app.dispatch(BoltRequest(body=body, headers=signed(body))), before, expect)

    def click(self, action_id: str, identity: str, user: str, expect: int = 1) -> None:
        self.replies += 1
        before = self.count()
        payload = {
            "type": "block_actions",
            "team": {"id": "T1", "domain": "acme"},
            "user": {"id": user, "team_id": "T1"},
            "api_app_id": "A1",
            "token": "legacy",
            "trigger_id": "1.2.3",
            "channel": {"id": CHANNEL, "name": "alerts"},
            "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": CHANNEL},
            "message": {"type": "message", "ts": "1700000000.000100", "text": "an alert"},
            "response_url": self.fake.response_url(str(self.replies)),
            "actions": [
                {"action_id": action_id, "block_id": "aispend_alert_actions", "type": "button", "value": identity}
            ],
        }
        body = urlencode({"payload": json.dumps(payload)})
        stamp = str(int(time.time()))
        signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body) or ""
        headers: dict[str, str | Sequence[str]] = {
            "content-type": "application/x-www-form-urlencoded",
            "x-slack-request-timestamp": stamp,
            "x-slack-signature": signature,
        }
        self._ack(f"click {action_id}", self.app.dispatch(BoltRequest(body=body, headers=headers)), before, expect)

    def count(self) -> int:
        self.fake.received("")  # waits for requests still being answered
        return len(self.fake.requests)

    def sent(self, prefix: str) -> list[dict[str, Any]]:
        self.count()
        return [r.body for r in self.fake.requests if r.path.startswith(prefix)]


def test_every_slack_message_shows_provider_text_literally_and_fits(app: App, fake: FakeSlack, store: Store) -> None:
    talk = Conversation(app, fake)
    conf = hostile_settings()
    slack = build_client("xoxb-test-token", fake.api_url)

    # Slack refuses the alerts for good: admins see the failure notice under every answer and in `alerts`
    fake.responses["/api/chat.postMessage"] = (200, {}, {"ok": False, "error": "channel_not_found"})
    failed = run_alerts(store, slack, settings=conf, today=TODAY, now=NOW, dry_run=False, pace=0)
    assert len(failed.failed) == 3, failed  # the spike, the unusual day and the budget alert
    for text in ("week", "week public", "models month", "workspaces 30d", "today", "alerts"):
        talk.command(text, user=ADMIN)

    # resent: posted to the channel, then every button on both, and the digest
    del fake.responses["/api/chat.postMessage"]
    posted = run_alerts(store, slack, settings=conf, today=TODAY, now=NOW, dry_run=False, pace=0)
    assert len(posted.posted) == 3, posted
    post_digest(store, slack, settings=conf, now=NOW, today=TODAY, pace=0)
    identities = [r.identity for r in AlertStore(store).recent(10) if r.kind != "digest"]
    assert len(identities) == 3
    for identity in identities:
        talk.click(DETAILS_ACTION, identity, OTHER)  # the thread reply
        talk.click(SNOOZE_ACTION, identity, READER)  # refused: not an admin
        talk.click(SNOOZE_ACTION, identity, ADMIN, expect=2)  # the confirmation and the edit
        talk.click(ACK_ACTION, identity, READER)  # the edit
        talk.click(ACK_ACTION, identity, OTHER)  # "already acknowledged"
    for text in ["", "yesterday", "month", "400d", "models", "workspaces", "budget", "alerts"]:
        talk.command(text)
    for text in ("help", "blah <!here>"):
        talk.command(text, expect=0)  # the ack is the answer
    for text in ("alerts", "budget set 50", "budget clear", "sync"):
        talk.command(text, user=ADMIN)

    posts, updates, answers = talk.sent("/api/chat.postMessage"), talk.sent("/api/chat.update"), talk.sent("/commands/")
    assert len(posts) == 3 + 3 + 1 + 3, [p.get("text", "")[:40] for p in posts]  # refused, posted, digest, details
    assert len(updates) == 3 * 2
    assert len(answers) == 6 + 3 * 3 + 8 + 4
    messages = [
        *(("post", p) for p in posts),
        *(("update", u) for u in updates),
        *(("answer", a) for a in answers),
        *talk.acks,
    ]
    for where, body in messages:
        assert_safe_message(where, body)

    everything = json.dumps([body for _, body in messages], ensure_ascii=False)
    # the names are there, shown as text: not dropped to pass the checks
    for shown in ("&lt;!channel&gt;", "&lt;@UEVIL&gt;", "&amp;amp;", "a b", "red", "evil", "L" * 30):
        assert shown in everything, shown
    # the keys named after the attacks drive the spike, in the alert and the week reply
    assert "*Top spenders*" in everything and "from key &lt;!channel&gt; (anthropic: " in everything
    # the Details thread of a hundred fired scopes was cut to fit, and says so
    details = [p for p in posts if p.get("thread_ts")]
    assert any("cut to fit" in json.dumps(d["blocks"]) for d in details)


# --- what may reach the terminal -----------------------------------------------------------------------------


def assert_terminal_safe(where: str, text: str) -> None:
    assert "\x1b" not in text, where
    assert invisible(text, "\n") == [], (where, text)


def run_cli(argv: list[str], env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(argv, env)
    out, err = capsys.readouterr()
    assert_terminal_safe(f"aispend {' '.join(argv)} stdout", out)
    assert_terminal_safe(f"aispend {' '.join(argv)} stderr", err)
    return code, out, err


def test_every_cli_output_is_free_of_provider_control_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "hostile.db"
    hostile_store(db).close()
    env = {"AISPEND_DB": str(db), "AISPEND_MONTHLY_BUDGET_USD": "100", "OPENAI_ADMIN_KEY": "sk-admin-test"}
    for period in ("week", "today", "month", "30d"):
        code, out, _ = run_cli(["report", period, "--as-of", TODAY.isoformat()], env, capsys)
        assert code == 0
        lines = out.split("\n")
        top = lines[lines.index("Top models") + 1 : lines.index("Top workspaces and projects") - 1]
        assert len(top) == 6 and top[-1].startswith("  … "), top  # five rows and the rest: no name broke a row
    assert "a b · " in run_cli(["report", "week", "--as-of", TODAY.isoformat()], env, capsys)[1]

    # JSON is data: the names come back exactly as the providers sent them, escaped by JSON alone
    code, out, _ = run_cli(["report", "week", "--json", "--as-of", TODAY.isoformat()], env, capsys)
    assert code == 0 and out.isascii()
    report = json.loads(out)
    assert {m["model"] for m in report["models"]} >= set(HOSTILE)
    assert {w["name"] for w in report["workspaces"]} >= set(HOSTILE)

    code, out, _ = run_cli(["alerts", "--dry-run", "--as-of", TODAY.isoformat()], env, capsys)
    assert code == 0 and "[spike]" in out and "[budget]" in out

    for argv in (["report", "keys"], ["report", "users", "month"], ["report", "users", "--emails"]):
        code, out, _ = run_cli([*argv, "--as-of", TODAY.isoformat()], env, capsys)
        assert code == 0 and "a b" in out, out
    assert "red@example.com" in out  # --emails shows them, cleaned for the terminal
    code, out, _ = run_cli(["report", "users", "--json", "--as-of", TODAY.isoformat()], env, capsys)
    assert code == 0 and {u["name"] for u in json.loads(out)["users"]} >= set(HOSTILE)


def test_sync_and_doctor_print_a_hostile_providers_words_without_control_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    refusal = Reply(400, {"type": "error", "error": {"type": "invalid_request_error", "message": HOSTILE_ERROR}})
    with ScriptedServer() as server:
        for path in (COST_PATH, USAGE_PATH, WORKSPACES_PATH):
            server.route(path, refusal)
        server.route(ME_PATH, Reply(200, {"id": "org\x1b[2J-1", "name": "\x1b]0;pwned\x07Acme\u202e"}))
        env = {
            "AISPEND_DB": str(tmp_path / "a.db"),
            "ANTHROPIC_ADMIN_KEY": "sk-ant-admin01-test",
            "ANTHROPIC_BASE_URL": server.url,
        }
        code, _, err = run_cli(["sync", "--provider", "anthropic", "--days", "1"], env, capsys)
        assert code == 1 and "quote" in err
        code, out, _ = run_cli(["doctor"], env, capsys)
        assert code == 1
        assert "organization Acme (org-1)" in out and "quote" in out


def test_key_and_user_names_are_shown_literally_in_every_spender_reply(app: App, fake: FakeSlack) -> None:
    talk = Conversation(app, fake)
    for text in ("keys", "keys month", "users", "week", "keys public", "users public"):
        talk.command(text, user=ADMIN)
    for text in ("keys", "users 30d", "week public"):
        talk.command(text, user=READER)
    answers = talk.sent("/commands/")
    assert len(answers) == 9
    for body in answers:
        assert_safe_message("answer", body)
    everything = json.dumps(answers, ensure_ascii=False)
    assert "&lt;!channel&gt;" in everything and "billed" in everything and "token share" in everything
    assert "@example.com" not in everything  # emails are never shown in Slack


def test_a_hostile_name_keeps_its_row_in_the_slack_tables(store: Store) -> None:
    report = load_report(store, parse_period("week", TODAY), now=NOW, configured=["anthropic"], budget_usd=None)
    report = replace(report, models=report.models[:20])
    message = report_message(report, NOW, "models")
    table = next(b["text"]["text"] for b in message.blocks if b.get("text", {}).get("text", "").startswith("```"))
    assert len(table.strip("`").split("\n")) == 20


def test_the_waiting_reasons_of_alerts_show_a_failed_syncs_error_literally(tmp_path: Path, fake: FakeSlack) -> None:
    """`/aispend alerts` says why alerts wait; when a provider's first sync failed, that names its error."""
    conf = hostile_settings()
    with Store(tmp_path / "waiting.db") as store:
        sync_id = store.begin_sync("openai", NOW - timedelta(minutes=10), (TODAY - timedelta(days=90), END))
        store.finish_sync(sync_id, NOW - timedelta(minutes=9), "error", HOSTILE_ERROR, 0)
        pools = Pools(work=2)
        app = create_app(
            client=build_client("xoxb-test-token", fake.api_url),
            store=store,
            settings=conf,
            signing_secret=SECRET,
            now=lambda: NOW,
            alerts=LedgerView(store, conf),  # as bot.runner wires it: with the settings, so waits are shown
            pools=pools,
        )
        try:
            talk = Conversation(app, fake)
            talk.command("alerts")
            [answer] = talk.sent("/commands/")
        finally:
            pools.shutdown()
    assert "Waiting for data" in answer["text"] and "gnirts" in answer["text"], answer
    assert_safe_message("/aispend alerts", answer)


def test_a_garbled_answer_from_the_network_is_quoted_literally_in_alerts(store: Store) -> None:
    """A post answered with a garbled status line (a broken proxy, a hostile network) has an unknown outcome;
    `/aispend alerts` quotes what came back, which must not mention or format anything."""
    with raw_http(b"<!channel> *down* \x1b[2J\r\n") as url:
        client = build_client("xoxb-test-token", f"{url}/api/")
        run = run_alerts(store, client, settings=hostile_settings(), today=TODAY, now=NOW, dry_run=False, pace=0)
    assert len(run.deliveries) == 3 and {d.state for d in run.deliveries} == {"posting"}, run
    text = LedgerView(store).overview(NOW, admin=True)
    assert "down" in text, text
    assert_literal_mrkdwn("/aispend alerts", text)


def test_the_bots_log_shows_a_hostile_providers_error_without_control_characters(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """`aispend run` logs a failed sync to its terminal with the provider's words: no ESC or bidi from them."""
    refusal = Reply(400, {"type": "error", "error": {"type": "invalid_request_error", "message": HOSTILE_ERROR}})
    with ScriptedServer() as server:
        for path in (COST_PATH, USAGE_PATH, WORKSPACES_PATH, ME_PATH):
            server.route(path, refusal)
        provider = {"ANTHROPIC_ADMIN_KEY": "sk-ant-admin01-test", "ANTHROPIC_BASE_URL": server.url}
        with aispend_run(tmp_path, fake.api_url, extra_env=provider) as bot:
            bot.wait_for_log("sync of anthropic failed")
            log = bot.stderr()
    assert "gnirts" in log
    assert_terminal_safe("aispend run's log", log)


def test_the_app_home_shows_provider_text_literally_and_fits(store: Store, fake: FakeSlack) -> None:
    from bot.slack.home import HomeTab

    conf = replace(hostile_settings(), people_viewers=frozenset({READER}))
    slack = build_client("xoxb-test-token", fake.api_url)
    run_alerts(store, slack, settings=conf, today=TODAY, now=NOW, dry_run=False, pace=0)  # hostile summaries
    store.set_setting("spike_pct", "<!channel> *x*\x1b[2J")  # a hand-edited database: quoted in the admin's view
    home = HomeTab(store=store, settings=conf, client=slack, now=lambda: NOW, work=None)  # type: ignore[arg-type]
    for user in (ADMIN, READER, OTHER):
        assert home.publish(user)
    views = [r.body["view"] for r in fake.received("/api/views.publish")]
    assert len(views) == 3
    for user, raw in zip((ADMIN, READER, OTHER), views, strict=True):
        view = json.loads(raw) if isinstance(raw, str) else raw
        assert len(view["blocks"]) <= 100
        assert_safe_message(f"home of {user}", {"text": "home", "blocks": view["blocks"]})
    everything = json.dumps(views, ensure_ascii=False)
    for shown in ("&lt;!channel&gt;", "Recent alerts", "set aside"):
        assert shown in everything, shown

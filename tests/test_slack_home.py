"""The App Home tab and the admin Settings form, through a real Bolt App and the fake Slack Web API.

Signed requests go in through `app.dispatch` (an `app_home_opened` event, the Settings click, the form's
view_submission); what the bot did is read back from the fake: views.publish and views.open calls, and the store.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import App, BoltRequest, BoltResponse

from bot.alerts.service import run_alerts
from bot.budget import BUDGET_KEY, budget_in_force
from bot.config import Settings
from bot.records import MONTHLY, WORKSPACE_SCOPE, CapsFetch, ProviderData, SpendCap
from bot.saved_settings import ALERT_CHANNEL, DIGEST_AT, SPIKE_MIN_USD, SPIKE_PCT, effective_settings
from bot.slack.client import build_client
from bot.slack.home import HomeTab, register_home
from bot.slack.home_blocks import SETTINGS_ACTION, view_text
from bot.slack.settings_modal import SETTINGS_CALLBACK
from bot.store import Store
from tests.fake_slack import FakeSlack, Recorded
from tests.slack_support import ADMIN, CHANNEL, NOW, READER, TODAY, running_app, settings, signed, store_at

VIEWER = "UVIEWER"  # may see people, is no admin


@pytest.fixture(autouse=True)
def _quiet_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKIP_SLACK_SDK_WARNING", "1")


def conf(**overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "monthly_budget_usd": Decimal(1000),
        "alert_channel": CHANNEL,
        "people_viewers": frozenset({VIEWER}),
    }
    return settings(**(base | overrides))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = store_at(tmp_path / "spend.db")
    yield store
    store.close()


class Bot:
    def __init__(self, app: App, home: HomeTab, fake: FakeSlack) -> None:
        self.app, self.home, self.fake = app, home, fake

    def send(self, body: str, content_type: str) -> BoltResponse:
        headers = signed(body) | {"content-type": content_type}
        return self.app.dispatch(BoltRequest(body=body, headers=headers))

    def open_home(self, user: str, tab: str = "home") -> BoltResponse:
        event = {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": tab, "event_ts": "1.2"}
        body = {"token": "t", "team_id": "T1", "api_app_id": "A1", "type": "event_callback", "event": event}
        return self.send(json.dumps(body), "application/json")

    def click_settings(self, user: str) -> BoltResponse:
        payload = {
            "type": "block_actions",
            "team": {"id": "T1"},
            "user": {"id": user, "team_id": "T1"},
            "api_app_id": "A1",
            "trigger_id": "trigger-1",
            "container": {"type": "view", "view_id": "V0HOME"},
            "view": {"id": "V0HOME", "type": "home"},
            "actions": [{"action_id": SETTINGS_ACTION, "block_id": "aispend_home_settings", "type": "button"}],
        }
        return self.send(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def submit(self, user: str, values: dict[str, str | None]) -> BoltResponse:
        state = {key: {"value": {"type": "plain_text_input", "value": value}} for key, value in values.items()}
        payload = {
            "type": "view_submission",
            "team": {"id": "T1"},
            "user": {"id": user, "team_id": "T1"},
            "api_app_id": "A1",
            "trigger_id": "trigger-2",
            "view": {"id": "V0FORM", "type": "modal", "callback_id": SETTINGS_CALLBACK, "state": {"values": state}},
            "response_urls": [],
        }
        return self.send(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


@pytest.fixture
def bot(fake: FakeSlack, store: Store) -> Iterator[Bot]:
    homes: list[HomeTab] = []
    client = build_client("xoxb-test-token", fake.api_url)
    config = conf()

    def register(app: App) -> None:
        homes.append(register_home(app, store=store, settings=config, client=client, now=lambda: NOW, work=work))

    from concurrent.futures import ThreadPoolExecutor

    work = ThreadPoolExecutor(max_workers=2)
    try:
        with running_app(fake, store, config, registrars=(register,)) as app:
            yield Bot(app, homes[0], fake)
    finally:
        work.shutdown(wait=True)


def published(fake: FakeSlack, count: int = 1) -> list[Recorded]:
    return fake.wait_for("/api/views.publish", count)


def home_blocks(request: Recorded) -> list[dict[str, Any]]:
    view = request.body["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["type"] == "home"
    blocks: list[dict[str, Any]] = view["blocks"]
    return blocks


# ---- the dashboard ------------------------------------------------------------------------------------------


def test_an_admin_opening_the_home_tab_gets_every_part_of_the_dashboard(
    bot: Bot, store: Store, fake: FakeSlack
) -> None:
    run = run_alerts(
        store, build_client("xoxb-test-token", fake.api_url), settings=conf(), today=TODAY, now=NOW, dry_run=False
    )
    assert run.posted  # the week's spike is in the ledger, posted
    response = bot.open_home(ADMIN)
    assert response.status == 200
    (request,) = published(fake)
    assert request.body["user_id"] == ADMIN
    blocks = home_blocks(request)
    assert len(blocks) <= 100
    text = view_text({"blocks": blocks})
    assert (
        "*This week* · 2026-11-15 to 2026-11-21 (UTC)\n*$672.25*   ▲ 156.3% (+$410.00) vs the previous 7 days" in text
    )
    assert "*Month to date* · November 2026\n*Budget*" in text and "of $1,000.00 this month" in text
    assert "*Top models this week*\n```claude-opus-4-8 · Anthropic" in text
    # provider names are escaped like in every reply
    assert "*Top workspaces and projects this week*\n```batch &lt;jobs&gt; &amp; co · Anthropic" in text
    assert "*Top API keys this week*\nNothing fetched by spender this week." in text
    assert "*Top people this week*" in text  # an admin may see people
    assert "*Recent alerts*\n• 2026-11-22 spike:" in text and "— posted" in text
    assert "• *Anthropic*: complete through Sat Nov 21, fetched 12 min ago" in text
    assert "• *OpenAI*: complete through Sat Nov 21, fetched 4 h ago" in text
    assert "• Spike percent: 25% _(default)_" in text
    assert "• Alert channel ID: C0SPEND _(environment (AISPEND_ALERT_CHANNEL))_" in text
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == [SETTINGS_ACTION]
    assert store.home_viewers(NOW - timedelta(hours=1)) == [ADMIN]


def test_the_providers_spend_caps_show_under_the_month(fake: FakeSlack, tmp_path: Path) -> None:
    with store_at(tmp_path / "caps.db") as store:
        cap = SpendCap("anthropic", WORKSPACE_SCOPE, "wrkspc_batch", 500 * 10**9, MONTHLY, cap_id="spl_batch")
        data = ProviderData("anthropic", TODAY, TODAY)  # no days: only the caps
        data.caps = CapsFetch("anthropic", (cap,))
        store.replace_provider_data(data, NOW)
        client = build_client("xoxb-test-token", fake.api_url)
        with ThreadPoolExecutor(max_workers=1) as work:
            view = HomeTab(store=store, settings=conf(), client=client, now=lambda: NOW, work=work).view_for(READER)
    text = view_text(view)
    caps = text.split("*Provider spend caps*\n", 1)[1].split("\n")[0]
    # the workspace's name is escaped like every provider name; its month to date is its billed spend
    assert caps.startswith("• Anthropic workspace batch &lt;jobs&gt; &amp; co: $") and "of its $500 monthly cap" in caps
    assert "$0 this month" not in caps
    assert text.index("*Month to date*") < text.index("*Provider spend caps*") < text.index("*Top models")


def test_people_and_settings_only_for_those_who_may_see_them(bot: Bot, fake: FakeSlack) -> None:
    bot.open_home(VIEWER)
    viewer = view_text({"blocks": home_blocks(published(fake)[0])})
    assert "*Top people this week*" in viewer
    assert "*Settings*" not in viewer
    fake.requests.clear()
    bot.open_home(READER)
    (request,) = published(fake)
    reader_blocks = home_blocks(request)
    reader = view_text({"blocks": reader_blocks})
    assert "*Top people this week*" not in reader and "*Top API keys this week*" in reader
    assert "*Settings*" not in reader and all(b["type"] != "actions" for b in reader_blocks)


def test_a_user_outside_the_allowlist_sees_the_refusal_not_the_figures(fake: FakeSlack, store: Store) -> None:
    home = HomeTab(
        store=store,
        settings=conf(allowed_users=frozenset({ADMIN})),
        client=build_client("xoxb-test-token", fake.api_url),
        now=lambda: NOW,
        work=None,  # type: ignore[arg-type]  # publish() runs inline here
    )
    assert home.publish(READER)
    text = view_text({"blocks": home_blocks(published(fake)[0])})
    assert "AISPEND_ALLOWED_USERS" in text and "$" not in text


def test_the_messages_tab_publishes_nothing(bot: Bot, fake: FakeSlack, store: Store) -> None:
    assert bot.open_home(ADMIN, tab="messages").status == 200
    bot.home.work.submit(lambda: None).result()  # type: ignore[attr-defined]
    assert fake.received("/api/views.publish") == []
    assert store.home_viewers(NOW - timedelta(days=1)) == []


def test_a_chart_image_goes_under_the_month(bot: Bot) -> None:
    from bot.home_data import load_home
    from bot.slack.home_blocks import home_view

    view = home_view(load_home(bot.home.store, conf(), now=NOW, people=False, admin=False), chart_file_id="F0CHART")
    kinds = [b["type"] for b in view["blocks"]]
    image = view["blocks"][kinds.index("image")]
    assert image["slack_file"] == {"id": "F0CHART"} and image["alt_text"].startswith("Month to date spend")
    assert "Month to date" in view["blocks"][kinds.index("image") - 1]["text"]["text"]


# ---- refreshed after syncs ----------------------------------------------------------------------------------


def test_a_sync_refreshes_the_tabs_opened_in_the_last_day(bot: Bot, store: Store, fake: FakeSlack) -> None:
    store.record_home_open(ADMIN, NOW - timedelta(hours=2))
    store.record_home_open(READER, NOW - timedelta(hours=23))
    store.record_home_open(VIEWER, NOW - timedelta(hours=25))  # too long ago
    bot.home.refresh_later()
    requests = published(fake, 2)
    assert sorted(r.body["user_id"] for r in requests) == [ADMIN, READER]
    bot.home.work.submit(lambda: None).result()  # type: ignore[attr-defined]
    assert len(fake.received("/api/views.publish")) == 2
    assert store.home_viewers(NOW - timedelta(days=1)) == [ADMIN, READER]


def test_a_refused_publish_is_one_log_line(
    bot: Bot, store: Store, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake.responses["/api/views.publish"] = (200, {}, {"ok": False, "error": "not_enabled"})
    store.record_home_open(ADMIN, NOW - timedelta(hours=1))
    with caplog.at_level(logging.INFO):
        assert bot.home.refresh_recent() == 0
    lines = [r for r in caplog.records if "Home tab" in r.getMessage()]
    assert [r.getMessage() for r in lines] == [f"could not publish the Home tab of {ADMIN}: Slack said not_enabled"]
    assert all(r.exc_info is None for r in caplog.records)


# ---- the Settings form --------------------------------------------------------------------------------------


def opened_view(fake: FakeSlack) -> dict[str, Any]:
    (request,) = fake.wait_for("/api/views.open")
    assert request.body["trigger_id"] == "trigger-1"
    view = request.body["view"]
    return json.loads(view) if isinstance(view, str) else view  # type: ignore[no-any-return]


def test_an_admin_opens_the_settings_form(bot: Bot, store: Store, fake: FakeSlack) -> None:
    store.set_setting(BUDGET_KEY, "750")  # as `/aispend budget set 750` stores it: the form edits the same value
    assert bot.click_settings(ADMIN).status == 200
    view = opened_view(fake)
    assert view["callback_id"] == SETTINGS_CALLBACK
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert list(inputs) == [BUDGET_KEY, SPIKE_PCT, SPIKE_MIN_USD, ALERT_CHANNEL, DIGEST_AT]
    assert inputs[BUDGET_KEY]["initial_value"] == "750"
    assert "initial_value" not in inputs[SPIKE_PCT]
    assert inputs[SPIKE_PCT]["placeholder"]["text"] == "Empty: 25% (default)"


def test_a_non_admin_is_refused_the_form(bot: Bot, fake: FakeSlack) -> None:
    assert bot.click_settings(READER).status == 200
    view = opened_view(fake)
    assert "callback_id" not in view and "submit" not in view
    assert [b["type"] for b in view["blocks"]] == ["section"]
    assert "only aispend admins can change aispend's settings" in view["blocks"][0]["text"]["text"]


def test_bad_values_are_answered_per_field_and_nothing_is_stored(bot: Bot, store: Store) -> None:
    response = bot.submit(
        ADMIN,
        {BUDGET_KEY: "900", SPIKE_PCT: "lots", SPIKE_MIN_USD: "-5", ALERT_CHANNEL: "#general", DIGEST_AT: "someday"},
    )
    assert response.status == 200
    answer = json.loads(response.body)
    assert answer["response_action"] == "errors"
    errors = answer["errors"]
    assert set(errors) == {SPIKE_PCT, SPIKE_MIN_USD, ALERT_CHANNEL, DIGEST_AT}
    # the environment's own sentences, without the variable's name
    assert errors[SPIKE_PCT] == "Must be a percentage from 0 to 10,000, such as 25 or 12.5; it is 'lots'."
    assert errors[SPIKE_MIN_USD].startswith("Must be US dollars from 0 to $1,000,000,000")
    assert errors[ALERT_CHANNEL].startswith("Must be a channel ID such as C0123456789, not a name ('#general')")
    assert errors[DIGEST_AT].startswith("Must be days and a UTC time such as 'mon 09:00'")
    assert all(store.get_setting(k) is None for k in (BUDGET_KEY, SPIKE_PCT, SPIKE_MIN_USD, ALERT_CHANNEL, DIGEST_AT))


def test_good_values_are_stored_and_take_effect_at_once(bot: Bot, store: Store, fake: FakeSlack) -> None:
    env = conf()
    before = run_alerts(store, None, settings=env, today=TODAY, now=NOW, dry_run=True)
    spikes = [f for f in before.found if f.kind == "spike"]
    assert len(spikes) == 1 and "org" in spikes[0].scopes  # +156 % against the environment's 25 %
    response = bot.submit(
        ADMIN,
        {BUDGET_KEY: "$2,500", SPIKE_PCT: "500", SPIKE_MIN_USD: "12.50", ALERT_CHANNEL: "C0NEWALERTS", DIGEST_AT: ""},
    )
    assert (response.status, response.body) == (200, "")  # the form closes
    (republished,) = published(fake)  # the admin's tab shows the new values
    assert "• Spike percent: 500% _(Slack)_" in view_text({"blocks": home_blocks(republished)})
    assert store.get_setting(BUDGET_KEY) == "2500"
    assert (store.get_setting(SPIKE_PCT), store.get_setting(SPIKE_MIN_USD)) == ("500", "12.50")
    assert (store.get_setting(ALERT_CHANNEL), store.get_setting(DIGEST_AT)) == ("C0NEWALERTS", None)
    effective = effective_settings(store, env)
    assert (effective.spike_pct, effective.spike_min_usd, effective.alert_channel) == (
        Decimal(500),
        Decimal("12.50"),
        "C0NEWALERTS",
    )
    assert budget_in_force(store, env).amount == Decimal(2500)
    # the next evaluation, still given the environment's settings, uses the saved spike percent
    after = run_alerts(store, None, settings=env, today=TODAY, now=NOW, dry_run=True)
    # (the batch workspace and its model had no spend the week before: new spenders, whatever the percent)
    assert [
        s for f in after.found if f.kind == "spike" for s in f.scopes if not s.startswith(("workspace", "model"))
    ] == []


def test_a_non_admin_submission_is_refused_and_stores_nothing(bot: Bot, store: Store) -> None:
    response = bot.submit(READER, {SPIKE_PCT: "500"})
    answer = json.loads(response.body)
    assert answer["response_action"] == "update"
    assert "only aispend admins" in answer["view"]["blocks"][0]["text"]["text"]
    assert store.get_setting(SPIKE_PCT) is None


def test_an_empty_field_clears_what_was_saved(bot: Bot, store: Store, fake: FakeSlack) -> None:
    store.set_settings({SPIKE_PCT: "40", BUDGET_KEY: "700"})
    assert bot.submit(ADMIN, {SPIKE_PCT: "", BUDGET_KEY: None}).body == ""
    published(fake)
    assert (store.get_setting(SPIKE_PCT), store.get_setting(BUDGET_KEY)) == (None, None)
    assert effective_settings(store, conf()).spike_pct == Decimal(25)


def test_only_the_events_the_app_subscribes_to_pass_the_guard(bot: Bot) -> None:
    other = {"type": "event_callback", "event": {"type": "message", "user": READER, "text": "hi"}}
    assert bot.send(json.dumps(other), "application/json").status == 400
    no_user = {"type": "event_callback", "event": {"type": "app_home_opened", "user": ["U1"], "tab": "home"}}
    assert bot.send(json.dumps(no_user), "application/json").status == 400
    form = {"type": "view_submission", "user": {"id": ADMIN}, "view": {"callback_id": 5}}
    assert bot.send(urlencode({"payload": json.dumps(form)}), "application/x-www-form-urlencoded").status == 400


def test_without_a_budget_the_month_shows_its_projection(fake: FakeSlack, store: Store) -> None:
    home = HomeTab(
        store=store,
        settings=conf(monthly_budget_usd=None),
        client=build_client("xoxb-test-token", fake.api_url),
        now=lambda: NOW,
        work=None,  # type: ignore[arg-type]  # publish() runs inline here
    )
    assert home.publish(READER)
    text = view_text({"blocks": home_blocks(published(fake)[0])})
    assert "*Month to date* · November 2026\n*$1,288.50* so far; projected month end $" in text
    assert "No monthly budget is set" in text

"""The pure alert rules, messages and payloads: exact numbers in, exact alerts and text out."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.alerts import payload
from bot.alerts.budget_messages import budget_message
from bot.alerts.budget_rules import BudgetAlert, BudgetReport, evaluate_budget
from bot.alerts.messages import (
    ACK_ACTION,
    DETAILS_ACTION,
    EXPECTED_ACTION,
    NOT_EXPECTED_ACTION,
    SNOOZE_ACTION,
    MessageState,
    spike_details,
    spike_message,
)
from bot.alerts.model import AlertRecord, AlertRun, Delivery, FoundAlert, Snooze
from bot.alerts.overview import alerts_overview_text, format_alerts_text
from bot.alerts.rules import (
    PROJECTED,
    Driver,
    SpikeReport,
    Week,
    evaluate_spikes,
    share_pct,
    week_for,
)
from bot.cli import main
from bot.records import Label
from bot.report import MonthProjection
from tests.alert_support import SPIKE_TEXT, usd

WEEK = week_for(date(2026, 11, 22))
LABELS = {
    ("anthropic", "wrk_prod"): Label("anthropic", "wrk_prod", "production"),
    ("anthropic", "wrk_batch"): Label("anthropic", "wrk_batch", "batch-jobs"),
    ("anthropic", "wrk_old"): Label("anthropic", "wrk_old", "research", archived=True),
    ("openai", "proj_web"): Label("openai", "proj_web", "web-app"),
    ("openai", "proj_small"): Label("openai", "proj_small", "small"),
}
# the tests/alert_support.py database, as weekly scope totals
PREVIOUS = {
    ("anthropic", "wrk_prod", "claude-sonnet-4-6"): usd("700"),
    ("openai", "proj_web", "gpt-5.5"): usd("350"),
    ("openai", "proj_small", "gpt-4o-mini"): usd("0.70"),
}
CURRENT = {
    ("anthropic", "wrk_prod", "claude-sonnet-4-6"): usd("700"),
    ("anthropic", "wrk_batch", "claude-opus-4-8"): usd("560"),
    ("openai", "proj_web", "gpt-5.5"): usd("420"),
    ("openai", "proj_small", "gpt-4o-mini"): usd("2.10"),
}


def spikes(current: dict[Any, int], previous: dict[Any, int], **kw: Any) -> SpikeReport:
    return evaluate_spikes(
        current,
        previous,
        labels=LABELS,
        week=WEEK,
        pct=Decimal(kw.pop("pct", "25")),
        min_usd=Decimal(kw.pop("min_usd", "10")),
        **kw,
    )


def fired(report: SpikeReport) -> list[tuple[str, bool, int]]:
    return [(a.scope, a.new_spender, a.change.increase) for a in report.alerts]


def block_text(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_week_is_the_last_seven_complete_days_against_the_seven_before() -> None:
    expected = Week(date(2026, 11, 15), date(2026, 11, 21), date(2026, 11, 8), date(2026, 11, 14))
    assert expected == WEEK
    assert WEEK.key == "2026-11-15..2026-11-21"


def test_a_spike_is_found_with_every_scope_that_fired_org_first_then_by_dollars() -> None:
    report = spikes(CURRENT, PREVIOUS)
    assert fired(report) == [
        ("org", False, usd("631.40")),
        ("provider:anthropic", False, usd("560")),
        ("workspace:anthropic:wrk_batch", True, usd("560")),
        ("model:anthropic:claude-opus-4-8", True, usd("560")),
    ]
    org = report.alerts[0]
    assert org.identity == ("spike", "org", "2026-11-15..2026-11-21")
    assert org.drivers == (
        Driver("anthropic", "wrk_batch", "batch-jobs", False, "claude-opus-4-8", usd("560"), 0),
        Driver("openai", "proj_web", "web-app", False, "gpt-5.5", usd("420"), usd("350")),
    )
    assert org.other == usd("1.40")  # under 5 % of the change: folded into "other"
    assert report.org.pct == Decimal("60.09")


def test_the_message_explains_the_spike_and_its_text_carries_the_same_facts() -> None:
    report = spikes(CURRENT, PREVIOUS)
    message = spike_message(report, "spike|2026-11-15..2026-11-21")
    assert message.text == SPIKE_TEXT
    assert message.blocks[0] == {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": ":chart_with_upwards_trend: AI spend spike: +$631.40 (+60%) week over week",
            "emoji": True,
        },
    }
    assert message.blocks[2]["text"]["text"] == (
        "*Drivers of the increase*\n"
        "• 89% from anthropic / batch-jobs / claude-opus-4-8 (new this week), +$560.00\n"
        "• 11% from openai / web-app / gpt-5.5, +$70.00\n"
        "• other 0%, +$1.40"
    )
    assert message.blocks[3]["text"]["text"] == (
        "*Also fired*\n"
        "• Provider anthropic: $700.00 → $1,260.00, +$560.00 (+80%)\n"
        "• Workspace batch-jobs (anthropic): $0.00 → $560.00, +$560.00 (new spender)\n"
        "• Model claude-opus-4-8 (anthropic): $0.00 → $560.00, +$560.00 (new spender)"
    )
    assert message.blocks[-1] == {
        "type": "actions",
        "block_id": "aispend_alert_actions",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": text, "emoji": True},
                "action_id": action,
                "value": "spike|2026-11-15..2026-11-21",
                **({"style": "primary"} if action == ACK_ACTION else {}),
            }
            for text, action in (
                ("Acknowledge", ACK_ACTION),
                ("Expected", EXPECTED_ACTION),
                ("Not expected", NOT_EXPECTED_ACTION),
                ("Snooze 7 days", SNOOZE_ACTION),
                ("Details", DETAILS_ACTION),
            )
        ],
    }
    blocks = block_text(message.blocks)
    for fact in (
        "+$631.40",
        "+60%",
        "$1,050.70",
        "$1,682.10",
        "anthropic / batch-jobs / claude-opus-4-8",
        "(new this week)",
        "89%",
        "11%",
        "+$560.00 (+80%)",
        "new spender",
        "Nov 15–21 vs Nov 8–14",
    ):
        assert fact in message.text and fact in blocks, fact


def test_below_the_percent_threshold_nothing_fires_and_the_threshold_itself_fires() -> None:
    key = ("anthropic", "wrk_prod", "claude-sonnet-4-6")
    assert spikes({key: usd("124.99")}, {key: usd("100")}).alerts == ()
    at_threshold = spikes({key: usd("125")}, {key: usd("100")}, min_usd="25")
    assert [a.scope for a in at_threshold.alerts] == [
        "org",
        "provider:anthropic",
        "workspace:anthropic:wrk_prod",
        "model:anthropic:claude-sonnet-4-6",
    ]


def test_tiny_dollar_changes_are_ignored_however_large_the_percent() -> None:
    key = ("openai", "proj_small", "gpt-4o-mini")
    assert spikes({key: usd("0.30")}, {key: usd("0.10")}).alerts == ()
    assert spikes({key: usd("19.99")}, {key: usd("10")}).alerts == ()  # +99.9 % but $9.99
    assert len(spikes({key: usd("20")}, {key: usd("10")}).alerts) == 4  # exactly $10


def test_a_new_spender_fires_from_the_minimum_dollars_up() -> None:
    old = ("anthropic", "wrk_prod", "claude-sonnet-4-6")
    new = ("anthropic", "wrk_batch", "claude-opus-4-8")
    base = {old: usd("1000")}
    assert spikes({**base, new: usd("9.99")}, base).alerts == ()
    report = spikes({**base, new: usd("10")}, base)
    assert fired(report) == [
        ("workspace:anthropic:wrk_batch", True, usd("10")),
        ("model:anthropic:claude-opus-4-8", True, usd("10")),
    ]
    assert spike_message(report, "x").text.startswith(
        "AI spend spike: workspace batch-jobs (anthropic) +$10.00 (new spender) (Nov 15–21 vs Nov 8–14). "
        "Organization $1,000.00 → $1,010.00 (+$10.00, +1.0%). "
        "Drivers: 100% from anthropic / batch-jobs / claude-opus-4-8 (new this week), +$10.00."
    )


def test_workspaces_are_named_archived_ones_included_and_no_id_spend_named_like_the_report() -> None:
    current = {
        ("anthropic", "wrk_old", "claude-opus-4-8"): usd("300"),
        ("openai", "", ""): usd("40"),
        ("anthropic", "wrk_gone", "claude-haiku-4-5"): usd("20"),
    }
    previous = {("anthropic", "wrk_old", "claude-opus-4-8"): usd("100")}
    report = spikes(current, previous)
    titles = [a.change.title for a in report.alerts]
    assert titles == [
        "organization",
        "provider anthropic",
        "workspace research (anthropic, archived)",
        "model claude-opus-4-8 (anthropic)",
        "provider openai",
        "project Organization (no project) (openai)",
        "model other (web search, tools, storage) (openai)",
        "workspace wrk_gone (anthropic)",
        "model claude-haiku-4-5 (anthropic)",
    ]
    assert [d.label for d in report.alerts[0].drivers] == [
        "anthropic / research (archived) / claude-opus-4-8",
        "openai / Organization (no project) / other (web search, tools, storage)",
        "anthropic / wrk_gone / claude-haiku-4-5",
    ]


def test_a_provider_without_two_weeks_of_data_is_left_out_not_called_a_new_spender() -> None:
    report = spikes({("openai", "proj_web", "gpt-5.5"): usd("500")}, {}, excluded=["openai"])
    assert report.alerts == ()
    assert report.excluded == ("openai",)


def test_top_three_drivers_then_other_as_shares_of_the_increase() -> None:
    prev = {("anthropic", "wrk_prod", "m1"): usd("1000")}
    cur = {
        ("anthropic", "wrk_prod", "m1"): usd("990"),  # -10
        ("anthropic", "wrk_prod", "m2"): usd("400"),
        ("anthropic", "wrk_prod", "m3"): usd("300"),
        ("anthropic", "wrk_prod", "m4"): usd("200"),
        ("anthropic", "wrk_prod", "m5"): usd("110"),
    }
    org = spikes(cur, prev).alerts[0]
    assert [(d.model, d.contribution) for d in org.drivers] == [
        ("m2", usd("400")),
        ("m3", usd("300")),
        ("m4", usd("200")),
    ]
    assert org.other == usd("100")  # m5 +110, m1 -10
    lines = spike_message(spikes(cur, prev), "x").blocks[2]["text"]["text"].split("\n")
    assert lines[1:] == [
        "• 40% from anthropic / production / m2 (new this week), +$400.00",
        "• 30% from anthropic / production / m3 (new this week), +$300.00",
        "• 20% from anthropic / production / m4 (new this week), +$200.00",
        "• other 10%, +$100.00",
    ]


def test_names_we_did_not_write_are_escaped_in_blocks() -> None:
    labels = {("anthropic", "w"): Label("anthropic", "w", "<!here> & co")}
    report = evaluate_spikes(
        {("anthropic", "w", "m"): usd("50")}, {}, labels=labels, week=WEEK, pct=Decimal(25), min_usd=Decimal(10)
    )
    blocks = block_text(spike_message(report, "x").blocks)
    assert "<!here>" not in blocks
    assert "&lt;!here&gt; &amp; co" in blocks


def test_hundreds_of_scopes_still_make_one_message_within_slack_limits() -> None:
    current = {("anthropic", f"wrk_{i:03d}", f"model-{i:03d}"): usd(str(100 + i)) for i in range(300)}
    report = spikes(current, {})
    assert len(report.alerts) == 1 + 1 + 600
    message = spike_message(report, "x")
    details = spike_details(report)
    for m in (message, details):
        assert len(m.blocks) <= 50
        assert len(m.text) <= 3500
        for block in m.blocks:
            if block["type"] in ("section", "header"):
                assert len(block["text"]["text"]) <= (150 if block["type"] == "header" else 3000)
    assert "…and 591 more: press Details." in block_text(message.blocks)
    assert message.blocks[-1]["type"] == "actions"


def test_acknowledged_and_snoozed_messages_say_who_and_drop_those_buttons() -> None:
    report = spikes(CURRENT, PREVIOUS)
    message = spike_message(report, "id", state=MessageState("U1", "U2", date(2026, 11, 29)))
    assert message.blocks[-2] == {
        "type": "context",
        "elements": [
            {
                "type": "mrkdwn",
                "text": ":white_check_mark: Acknowledged by <@U1> · :zzz: Snoozed for 7 days by <@U2> (until Nov 29)",
                "verbatim": True,
            }
        ],
    }
    assert [b["action_id"] for b in message.blocks[-1]["elements"]] == [
        EXPECTED_ACTION,
        NOT_EXPECTED_ACTION,
        DETAILS_ACTION,
    ]
    assert message.text.endswith(" Acknowledged by <@U1>. Snoozed by <@U2> until Nov 29.")


def test_details_list_every_scope_with_its_drivers_and_the_largest_changes() -> None:
    details = spike_details(spikes(CURRENT, PREVIOUS))
    assert details.blocks[2]["text"]["text"] == (
        "*Largest changes by provider / workspace / model*\n"
        "• anthropic / batch-jobs / claude-opus-4-8: $0.00 → $560.00, +$560.00 (new this week)\n"
        "• openai / web-app / gpt-5.5: $350.00 → $420.00, +$70.00\n"
        "• openai / small / gpt-4o-mini: $0.70 → $2.10, +$1.40"
    )
    assert details.blocks[1]["text"]["text"].startswith(
        "*Scopes that fired*\n• Organization: $1,050.70 → $1,682.10, +$631.40 (+60%)\n"
        "    ◦ 89% from anthropic / batch-jobs / claude-opus-4-8 (new this week), +$560.00"
    )


@pytest.mark.parametrize(
    ("mtd", "projected", "expected"),
    [
        ("499.99", "900", []),
        ("500", "900", ["50"]),
        ("800", "999.99", ["50", "80"]),
        ("800", "1000.01", ["50", "80", PROJECTED]),
        ("1000", "1400", ["50", "80", "100", PROJECTED]),
    ],
)
def test_budget_thresholds_are_crossed_exactly(mtd: str, projected: str, expected: list[str]) -> None:
    projection = MonthProjection(Decimal(mtd), Decimal(projected), 30, Decimal("40"), 20)
    report = evaluate_budget(projection, Decimal(1000), date(2026, 11, 21))
    assert report is not None
    assert report.alerts == tuple(BudgetAlert("2026-11", t) for t in expected)
    assert [a.identity for a in report.alerts] == [("budget", f"budget:{t}", "2026-11") for t in expected]


def test_no_budget_means_no_budget_alerts() -> None:
    projection = MonthProjection(Decimal(5000), Decimal(9000), 30, Decimal(300), 20)
    assert evaluate_budget(projection, None, date(2026, 11, 21)) is None


def test_the_budget_message_says_at_this_pace_by_when() -> None:
    projection = MonthProjection(Decimal("820"), Decimal("1210"), 30, Decimal("39"), 20)
    report = evaluate_budget(projection, Decimal(1000), date(2026, 11, 21))
    assert report == BudgetReport(
        month="2026-11",
        today=date(2026, 11, 21),
        budget=usd("1000"),
        month_to_date=usd("820"),
        projected=usd("1210"),
        rate=usd("39"),
        month_end=date(2026, 11, 30),
        reach_day=date(2026, 11, 25),  # 180 left at 39/day: 5 days counting today
        alerts=(BudgetAlert("2026-11", "50"), BudgetAlert("2026-11", "80"), BudgetAlert("2026-11", PROJECTED)),
    )
    message = budget_message(report, "budget|2026-11")
    assert message.text == (
        "80% of the $1,000.00 monthly budget used (82% now). "
        "$820.00 of the $1,000.00 budget spent in November through Nov 21 (82%). "
        "At this pace: $1,210.00 by Nov 30 (121% of the budget, $210.00 over); the budget runs out around Nov 25. "
        "Crossed: 50%, 80%, projected month end above budget."
    )
    assert message.blocks[0]["text"]["text"] == ":warning: 80% of the $1,000.00 monthly budget used (82% now)"
    assert message.blocks[1]["text"]["text"] == (
        "*$820.00 of the $1,000.00 budget spent in November through Nov 21 (82%).*\n"
        "At this pace: $1,210.00 by Nov 30 (121% of the budget, $210.00 over); the budget runs out around Nov 25."
    )


def test_payloads_round_trip_exactly() -> None:
    spike = spikes(CURRENT, PREVIOUS)
    assert payload.loads(payload.dumps(spike)) == spike
    budget = evaluate_budget(
        MonthProjection(Decimal("1000.5"), Decimal(2000), 30, Decimal(50), 20), Decimal(900), date(2026, 11, 21)
    )
    assert budget is not None
    assert payload.loads(payload.dumps(budget)) == budget


def test_share_percent_rounds_half_up_and_handles_no_whole() -> None:
    assert [share_pct(1, 8), share_pct(3, 8), share_pct(1, 3), share_pct(5, 0), share_pct(-1, 8)] == [
        13,
        38,
        33,
        0,
        -12,
    ]


def _record(identity: str, state: str, **kw: Any) -> AlertRecord:
    base: dict[str, Any] = {
        "identity": identity,
        "kind": identity.split("|")[0],
        "period": "p",
        "state": state,
        "summary": "S",
        "payload": "{}",
        "channel": "C1",
        "ts": "1.2",
        "attempts": 1,
        "last_error": None,
        "created_at": "2026-11-22T09:00:00Z",
        "posted_at": None,
        "acked_by": None,
        "acked_at": None,
    }
    base.update(kw)
    return AlertRecord(**base)


def test_the_alerts_overview_lists_alerts_snoozes_and_failures_with_the_fix() -> None:
    failed = _record("budget|2026-11", "failed_permanent", summary="Over budget", last_error="not_in_channel")
    recent = [
        _record("spike|w", "acknowledged", summary="AI spend spike: +$631.40 (+60%) week over week", acked_by="U1"),
        _record("spike|w|2", "pending", summary="More", attempts=2, last_error="ratelimited"),
        failed,
    ]
    snoozes = [
        Snooze(
            "workspace:anthropic:wrk_batch",
            "workspace batch-jobs (anthropic)",
            "2026-11-29T09:00:00Z",
            "U2",
            "2026-11-22T09:00:00Z",
        )
    ]
    assert alerts_overview_text(recent, snoozes, [failed]) == (
        "*Recent alerts*\n"
        "• 2026-11-22 spike: AI spend spike: +$631.40 (+60%) week over week — acknowledged by <@U1>\n"
        "• 2026-11-22 spike: More — waiting to be posted after 2 attempts (ratelimited); "
        "retried at the next evaluation\n"
        "• 2026-11-22 budget: Over budget — NOT POSTED: not_in_channel\n"
        "*Active snoozes*\n"
        "• workspace batch-jobs (anthropic) until 2026-11-29 09:00 UTC (by <@U2>)\n"
        "\n"
        "*Alerts that could not be posted*\n"
        "• 2026-11-22 budget: Over budget — Slack said not_in_channel: the bot is not in the alert channel: "
        "/invite the bot there (or add the chat:write.public scope for a public channel and reinstall the app); "
        "then run `aispend alerts` to resend."
    )
    assert alerts_overview_text([], [], []) == "*Recent alerts*\n• none yet\n*Active snoozes*\n• none"


def test_the_cli_text_says_what_was_found_posted_left_pending_and_refused() -> None:
    run = AlertRun(
        date(2026, 11, 22),
        False,
        (FoundAlert("spike|w", "spike", "AI spend spike: +$1.00", ("org",)),),
        (
            Delivery("spike|w", "posted"),
            Delivery("budget|m", "pending", "ratelimited"),
            Delivery("spike|v", "failed_permanent", "channel_not_found", "set AISPEND_ALERT_CHANNEL."),
        ),
        notes=("Spikes not evaluated for openai.",),
    )
    assert format_alerts_text(run) == (
        "Alerts as of 2026-11-22\n"
        "- [spike] AI spend spike: +$1.00\n"
        "Note: Spikes not evaluated for openai.\n"
        "Posted spike|w.\n"
        "Not posted yet budget|m: ratelimited; it will be retried at the next evaluation.\n"
        "FAILED spike|v: Slack said channel_not_found: set AISPEND_ALERT_CHANNEL."
    )
    assert (run.posted, run.pending, run.failed) == (["spike|w"], ["budget|m"], ["spike|v"])
    skipped = AlertRun(date(2026, 11, 22), False, skipped="another aispend process is evaluating alerts")
    assert format_alerts_text(skipped) == (
        "Alerts as of 2026-11-22\nSkipped: another aispend process is evaluating alerts"
    )


@pytest.mark.parametrize("argv", [["alerts", "--dry-run"], ["alerts"]])
def test_alerts_against_a_missing_database_is_an_error_not_no_new_alerts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    # a mistyped AISPEND_DB used to create an empty database and print "No new alerts." (exit 0)
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "typo.db"
    env = {"AISPEND_DB": str(db), "SLACK_BOT_TOKEN": "xoxb-not-used", "AISPEND_ALERT_CHANNEL": "C0123456789"}
    assert main(argv, env) == 2
    assert capsys.readouterr() == (
        "",
        f"aispend: No database at {db}: run `aispend sync` first (or set AISPEND_DB to the bot's database).\n",
    )
    assert not db.exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "today", "--as-of", "0001-01-01"],
        ["report", "week", "--as-of", "9999-12-31"],
        ["alerts", "--dry-run", "--as-of", "0001-01-03"],
    ],
)
def test_an_as_of_date_at_the_edge_of_the_calendar_is_a_usage_error_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    # `date - timedelta` past date.min/date.max raised OverflowError out of the command
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as caught:
        main(argv, {"AISPEND_DB": str(tmp_path / "a.db")})
    assert caught.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"aispend {argv[0]}: error: argument --as-of: must be a date from 2000-01-01 to 2999-12-31"
    )

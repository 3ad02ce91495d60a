"""One size guard for every message (bot.slack.kit.fit): replies, alerts, their edits, Details threads, digests.

Slack refuses blocks over about 13k characters (`msg_blocks_too_long`), more than 50 blocks, and cuts `text`;
the Details reply of a large organization once reached 15,166 characters of blocks.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from bot.alerts import payload
from bot.alerts.budget_messages import budget_message
from bot.alerts.budget_rules import evaluate_budget
from bot.alerts.digest import digest_message
from bot.alerts.messages import MessageState, spike_details, spike_message
from bot.alerts.model import AlertRecord
from bot.alerts.render import DIGEST, digest_payload, render_details, render_record
from bot.alerts.rules import SpikeReport, evaluate_spikes, week_for
from bot.money import usd_to_nano
from bot.records import Label
from bot.report import MonthProjection
from bot.slack.kit import CUT_NOTE, MAX_BLOCKS, MAX_BLOCKS_JSON, MAX_TEXT, Message, context, fit, section
from tests.test_slack_blocks import huge_report

WEEK = week_for(date(2026, 11, 22))


def record_for(report: SpikeReport, kind: str = "spike", data: str | None = None) -> AlertRecord:
    """The alert as the ledger holds it: what buttons and retries render from."""
    identity = f"{kind}|{WEEK.key}"
    text = payload.dumps(report) if data is None else data
    return AlertRecord(
        identity, kind, WEEK.key, "posted", "S", text, "C1", "1.2", 1, None, "2026-11-22T09:00:00Z", None, None, None
    )


def assert_fits(message: Message) -> None:
    assert 1 <= len(message.blocks) <= MAX_BLOCKS
    assert len(json.dumps(message.blocks, ensure_ascii=False)) <= MAX_BLOCKS_JSON
    assert 0 < len(message.text) <= MAX_TEXT


def big_spike(n: int = 300, name: str = "w" * 60) -> SpikeReport:
    """`n` new workspaces with long names, each with its own new model: 2n + 3 scopes fire."""
    current = {("anthropic", f"wrk_{i:03d}", f"{name}-model-{i:03d}"): usd_to_nano(Decimal(100 + i)) for i in range(n)}
    labels = {("anthropic", f"wrk_{i:03d}"): Label("anthropic", f"wrk_{i:03d}", f"{name}-{i:03d}") for i in range(n)}
    return evaluate_spikes(current, {}, labels=labels, week=WEEK, pct=Decimal(25), min_usd=Decimal(10))


def test_details_of_hundreds_of_scopes_fit_one_message_and_say_they_were_cut() -> None:
    report = big_spike()
    details = spike_details(report)
    assert_fits(details)
    assert "cut to fit one Slack message" in json.dumps(details.blocks[-1])
    # the same through the record the Details button renders
    assert_fits(render_details(record_for(report)))


@pytest.mark.parametrize("state", [MessageState(), MessageState("U1", "U2", date(2026, 11, 29))])
def test_an_alert_and_its_edits_fit_and_keep_their_buttons(state: MessageState) -> None:
    report = big_spike(name="<!here> " + "x" * 70)
    message = spike_message(report, "spike|id", state=state)
    assert_fits(message)
    assert message.blocks[-1]["type"] == "actions"
    assert_fits(render_record(record_for(report), state))


def test_a_budget_alert_fits() -> None:
    month = MonthProjection(Decimal("900"), Decimal("1800"), 30, Decimal("60"), 15)
    report = evaluate_budget(month, Decimal(100), date(2026, 11, 15))
    assert report is not None
    assert_fits(budget_message(report, "budget|2026-11", state=MessageState("U1")))


def test_the_digest_of_a_huge_report_fits() -> None:
    message = digest_message(huge_report())
    assert_fits(message)
    # as recorded, and re-read for a retry
    record = record_for(big_spike(1), kind=DIGEST, data=digest_payload(message))
    assert render_record(record) == message


def test_fit_keeps_the_tail_and_says_what_was_cut() -> None:
    blocks = [section("x" * 2900) for _ in range(10)]
    tail = [context("state"), {"type": "actions", "elements": []}]
    fitted = fit("t" * 5000, blocks, keep=tail, note="cut")
    assert fitted.blocks == [*blocks[:3], context("cut"), *tail]
    assert fitted.text == "t" * (MAX_TEXT - 4) + "…"
    many = fit("t", [section(str(i)) for i in range(60)])
    assert len(many.blocks) == MAX_BLOCKS and many.blocks[-1] == context(CUT_NOTE)
    small: list[dict[str, Any]] = [section("a")]
    assert fit("t", small) == Message("t", small)

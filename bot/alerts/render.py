"""A recorded alert (identity + JSON payload) back into its channel message or its Details reply. Pure."""

from __future__ import annotations

import json
from typing import Any

from bot.alerts import cap_rules, payload
from bot.alerts.anomaly import AnomalyReport
from bot.alerts.anomaly_messages import anomaly_details, anomaly_message, drop_details, drop_message
from bot.alerts.budget_messages import budget_details, budget_message
from bot.alerts.cap_messages import cap_details, cap_message
from bot.alerts.cap_rules import CAP
from bot.alerts.drops import DropReport
from bot.alerts.messages import MessageState, spike_details, spike_message
from bot.alerts.model import AlertRecord
from bot.alerts.rules import SpikeReport
from bot.slack.kit import Message, fit

DIGEST = "digest"


def is_followup(identity: str) -> bool:
    """'spike|2026-11-15..2026-11-21|2' is the second message for that week."""
    return identity.count("|") >= 2


def digest_payload(message: Message, chart: dict[str, Any] | None = None) -> str:
    """The digest as recorded: its message, and the numbers of its picture (bot.charts.codec) when it has one."""
    data = {"version": payload.VERSION, "kind": DIGEST, "text": message.text, "blocks": message.blocks}
    if chart is not None:
        data["chart"] = chart
    return json.dumps(data)


def render_record(record: AlertRecord, state: MessageState | None = None) -> Message:
    if record.kind == CAP:
        return cap_message(cap_rules.loads(record.payload), record.identity, state=state)
    if record.kind == DIGEST:
        data = json.loads(record.payload)
        return fit(str(data["text"]), list(data["blocks"]))  # a digest recorded by an older release is unguarded
    report = payload.loads(record.payload)
    if isinstance(report, SpikeReport):
        return spike_message(report, record.identity, followup=is_followup(record.identity), state=state)
    if isinstance(report, AnomalyReport):
        return anomaly_message(report, record.identity, state=state)
    if isinstance(report, DropReport):
        return drop_message(report, record.identity, state=state)
    return budget_message(report, record.identity, state=state)


def render_details(record: AlertRecord) -> Message:
    if record.kind == CAP:
        return cap_details(cap_rules.loads(record.payload))
    if record.kind == DIGEST:
        return render_record(record)
    report = payload.loads(record.payload)
    if isinstance(report, SpikeReport):
        return spike_details(report)
    if isinstance(report, AnomalyReport):
        return anomaly_details(report)
    if isinstance(report, DropReport):
        return drop_details(report)
    return budget_details(report)

"""The messages an evaluation may record (one per kind), and recording only their new scopes in the ledger."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from bot.alerts import payload
from bot.alerts.budget_messages import budget_headline, budget_message
from bot.alerts.budget_rules import BudgetReport
from bot.alerts.cap_messages import cap_headline, cap_message
from bot.alerts.cap_rules import CAP, CapReport, caps_or_wait
from bot.alerts.cap_rules import dumps as cap_dumps
from bot.alerts.evaluation import budget_or_wait, spike_notes, spike_report
from bot.alerts.feedback import FEEDBACK_KINDS
from bot.alerts.messages import spike_headline, spike_message
from bot.alerts.model import AlertRun, FoundAlert
from bot.alerts.render import render_record
from bot.alerts.rules import BUDGET, SPIKE, SpikeReport
from bot.alerts.waits import spike_wait
from bot.caps_text import cap_title
from bot.config import Settings
from bot.store import Store
from bot.store.alert_feedback import expected_scopes
from bot.store.alerts import AlertStore

logger = logging.getLogger("aispend.alerts")

BUDGET_LABEL = "budget warnings"


@dataclass(frozen=True, slots=True)
class Candidate:
    kind: str
    period: str
    period_end: str
    window_start: str
    identity_base: str
    scopes: list[tuple[str, str]]  # (scope, label) in message order
    build: Callable[[set[str]], tuple[str, str, str]]  # new scopes -> (summary, payload, text)


def spike_candidate(report: SpikeReport) -> Candidate | None:
    if not report.alerts:
        return None

    def build(new: set[str]) -> tuple[str, str, str]:
        sub = report.only(a for a in report.alerts if a.scope in new)
        return spike_headline(sub), payload.dumps(sub), spike_message(sub, "").text

    return Candidate(
        kind=SPIKE,
        period=report.week.key,
        period_end=report.week.end.isoformat(),
        window_start=report.week.start.isoformat(),
        identity_base=f"{SPIKE}|{report.week.key}",
        scopes=[(a.scope, a.change.title) for a in report.alerts],
        build=build,
    )


def budget_candidate(report: BudgetReport | None) -> Candidate | None:
    if report is None or not report.alerts:
        return None

    def build(new: set[str]) -> tuple[str, str, str]:
        sub = report.only(a for a in report.alerts if a.scope in new)
        return budget_headline(sub), payload.dumps(sub), budget_message(sub, "").text

    return Candidate(
        kind=BUDGET,
        period=report.month,
        period_end=report.month_end.isoformat(),
        window_start=report.today.replace(day=1).isoformat(),
        identity_base=f"{BUDGET}|{report.month}",
        scopes=[(a.scope, BUDGET_LABEL) for a in report.alerts],
        build=build,
    )


def cap_candidate(report: CapReport | None) -> Candidate | None:
    if report is None or not report.alerts:
        return None

    def build(new: set[str]) -> tuple[str, str, str]:
        sub = report.only(a for a in report.alerts if a.scope in new)
        return cap_headline(sub), cap_dumps(sub), cap_message(sub, "").text

    return Candidate(
        kind=CAP,
        period=report.month,
        period_end=report.month_end.isoformat(),
        window_start=report.today.replace(day=1).isoformat(),
        identity_base=f"{CAP}|{report.month}",
        scopes=[(a.scope, cap_title(a.forecast)) for a in report.alerts],
        build=build,
    )


def _mute_scope(kind: str, scope: str) -> str:
    return BUDGET if kind == BUDGET else scope


def new_scopes(alert_store: AlertStore, candidate: Candidate, now: datetime) -> list[tuple[str, str]]:
    muted = {s.scope for s in alert_store.active_snoozes(now)}
    if candidate.kind in FEEDBACK_KINDS:  # "Expected (planned work)" mutes a scope's anomalies (bot.alerts.feedback)
        muted |= expected_scopes(alert_store, now)
    live = [(s, label) for s, label in candidate.scopes if _mute_scope(candidate.kind, s) not in muted]
    covered = alert_store.covered_scopes(candidate.kind, [s for s, _ in live], candidate.window_start)
    return [(s, label) for s, label in live if s not in covered]


def record_new(alert_store: AlertStore, candidate: Candidate, now: datetime) -> FoundAlert | None:
    new = new_scopes(alert_store, candidate, now)
    if not new:
        return None
    summary, data, _ = candidate.build({s for s, _ in new})
    record = alert_store.record(
        kind=candidate.kind,
        period=candidate.period,
        period_end=candidate.period_end,
        scopes=new,
        summary=summary,
        payload=data,
        identity_base=candidate.identity_base,
        now=now,
    )
    if record is None:
        return None
    logger.info("recorded alert %s: %s", record.identity, summary)
    return FoundAlert(record.identity, record.kind, render_record(record).text, tuple(s for s, _ in new))


def collect_candidates(
    store: Store, settings: Settings, today: date, now: datetime, *, explain: bool = False
) -> tuple[list[Candidate], tuple[str, ...]]:
    """The messages this evaluation may record, and notes: what was left out and what waits for data (`explain`:
    also which scopes are too new for the daily rule, as a dry run says)."""
    spikes = spike_report(store, settings, today)
    notes = list(spike_notes(spikes))
    candidates: list[Candidate | None] = []
    waits = spike_wait(store, settings, spikes)
    if waits is None:
        candidates.append(spike_candidate(spikes))
    else:
        logger.info("%s", waits)
        notes.append(waits)
    from bot.alerts.anomaly_eval import daily_candidates  # it builds on Candidate

    daily, daily_notes = daily_candidates(store, settings, today, explain=explain)
    candidates += daily
    notes += daily_notes
    budget, waits = budget_or_wait(store, settings, today, now)
    if waits is None:
        candidates.append(budget_candidate(budget))
    else:
        logger.info("%s", waits)
        notes.append(waits)
    caps, waits = caps_or_wait(store, settings, today, now)
    if waits is None:
        candidates.append(cap_candidate(caps))
    else:
        logger.info("%s", waits)
        notes.append(waits)
    return [c for c in candidates if c is not None], tuple(notes)


def dry_run_alerts(store: Store, alert_store: AlertStore, settings: Settings, today: date, now: datetime) -> AlertRun:
    candidates, notes = collect_candidates(store, settings, today, now, explain=True)
    found = []
    for candidate in candidates:
        new = new_scopes(alert_store, candidate, now)
        if new:
            _, _, text = candidate.build({s for s, _ in new})
            found.append(FoundAlert(candidate.identity_base, candidate.kind, text, tuple(s for s, _ in new)))
    return AlertRun(today, True, tuple(found), notes=notes)

"""Spenders in the spike alert (issue 11): keys ranked as drivers, a new key fires as a new spender in the same
one message, token shares labelled, people only where the channel may show them, and a week that was not
fetched by spender never makes a key look new.

The data is written through Store.replace_provider_data at the suite's `today`; the alert is the real rule,
message and dry run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.alerts import payload
from bot.alerts.messages import spike_details, spike_message
from bot.alerts.service import run_alerts, spike_report
from bot.config import Settings
from bot.money import usd_to_nano
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
)
from bot.store import Store
from tests.spender_data import OPUS, synced_at

pytestmark = pytest.mark.dates

ONE = timedelta(days=1)


def usd(text: str) -> int:
    return usd_to_nano(Decimal(text))


def _two_weeks(today: date, *, spender_days_from: date | None = None) -> tuple[ProviderData, ProviderData]:
    """Anthropic: $10/day on key `old-key` the week before, then $100/day, $90 of it from the new `ci-nightly`
    (billed), which Alice's user also spends (billed). OpenAI: $10/day on key_a, then $50/day split by tokens
    with the new key_b (a token share)."""
    end = today - ONE  # the alert week ends yesterday
    start = end - 13 * ONE
    first_spender_day = spender_days_from or start
    anthropic = ProviderData("anthropic", start, today)
    openai = ProviderData("openai", start, today)
    for i in range(14):
        day = start + i * ONE
        this_week = i >= 7
        anthropic.costs.append(CostRecord("anthropic", day, "wrk_b", OPUS, "t", "", usd("100" if this_week else "10")))
        openai.costs.append(CostRecord("openai", day, "proj_r", "gpt-5", "t", "", usd("50" if this_week else "10")))
        if day < first_spender_day:
            continue
        anthropic.spender_costs.append(SpenderCost("anthropic", day, KEY, "key_old", "wrk_b", OPUS, usd("10")))
        openai.spender_usage.append(SpenderUsage("openai", day, KEY, "key_a", "proj_r", "gpt-5", 500, 0, 0, 0))
        if this_week:
            anthropic.spender_costs.append(SpenderCost("anthropic", day, KEY, "key_ci", "wrk_b", OPUS, usd("90")))
            anthropic.spender_costs.append(SpenderCost("anthropic", day, USER, "user_a", "wrk_b", OPUS, usd("90")))
            openai.spender_usage.append(SpenderUsage("openai", day, KEY, "key_b", "proj_r", "gpt-5", 500, 0, 0, 0))
    anthropic.labels.append(Label("anthropic", "wrk_b", "batch-jobs"))
    openai.labels.append(Label("openai", "proj_r", "research"))
    anthropic.spender_labels += [
        SpenderLabel("anthropic", KEY, "key_ci", "ci-nightly", "wrk_b"),
        SpenderLabel("anthropic", KEY, "key_old", "old-key", "wrk_b"),
        SpenderLabel("anthropic", USER, "user_a", "Alice Example", email="alice@example.com"),
    ]
    openai.spender_labels.append(SpenderLabel("openai", KEY, "key_b", "gpt-batch", "proj_r"))
    if spender_days_from is None:
        anthropic.spender_basis += [SpenderBasis("anthropic", KEY, BILLED), SpenderBasis("anthropic", USER, BILLED)]
        openai.spender_basis.append(SpenderBasis("openai", KEY, TOKEN_SHARE, "no per-key cost"))
    return anthropic, openai


@pytest.fixture
def store(tmp_path: Path, today: date) -> Iterator[Store]:
    with Store(tmp_path / "a.db") as opened:
        for data in _two_weeks(today):
            opened.replace_provider_data(data, synced_at(today))
        yield opened


def _settings(**overrides: object) -> Settings:
    return Settings(db_path="unused", spike_min_usd=Decimal(10), **overrides)  # type: ignore[arg-type]


def test_keys_drive_the_spike_and_a_new_key_fires_in_the_same_message(store: Store, today: date) -> None:
    report = spike_report(store, _settings(), today)
    assert [(d.label, d.contribution, d.basis, d.is_new) for d in report.spenders] == [
        ("key ci-nightly (anthropic: batch-jobs / claude-opus-4-8)", usd("630"), BILLED, True),
        ("key gpt-batch (openai: research / gpt-5)", usd("175"), TOKEN_SHARE, True),
        # key_a went from $10/day (all of OpenAI) to half of $50/day
        ("key key_a (openai: research / gpt-5)", usd("105"), TOKEN_SHARE, False),
    ]
    scopes = [a.scope for a in report.alerts]
    assert scopes[0] == "org"
    assert "key:anthropic:key_ci" in scopes and "key:openai:key_b:share" in scopes
    assert "key:anthropic:key_old" not in scopes  # not new, and keys fire only as new spenders
    assert not [s for s in scopes if s.startswith("user:")]  # people stay out of the channel by default
    message = spike_message(report, "spike|x")
    text = message.text
    assert "Top spenders: +$630.00 from key ci-nightly (anthropic: batch-jobs / claude-opus-4-8), new this week" in text
    assert "+$175.00 as a token share from key gpt-batch (openai: research / gpt-5), new this week" in text
    blocks = json.dumps(message.blocks)
    assert "*Top spenders*" in blocks and "as a token share" in blocks
    details = spike_details(report).text
    assert "Key gpt-batch (openai, token share): $0.00 \u2192 $175.00, +$175.00 (new spender)" in details
    # the payload keeps the spenders, for retries, buttons and Details
    assert payload.loads(payload.dumps(report)) == report


def test_one_message_per_kind_holds_the_spender_scopes(store: Store, today: date, now: datetime) -> None:
    run = run_alerts(store, None, settings=_settings(), today=today, now=now, dry_run=True)
    spikes = [f for f in run.found if f.kind == "spike"]
    assert len(spikes) == 1
    assert "key:anthropic:key_ci" in spikes[0].scopes and "ci-nightly" in spikes[0].text


def test_people_are_drivers_only_when_the_channel_may_show_them(store: Store, today: date) -> None:
    hidden = spike_report(store, _settings(), today)
    assert "Alice" not in spike_message(hidden, "x").text + json.dumps(spike_details(hidden).blocks)
    shown = spike_report(store, _settings(show_people_in_channel=True), today)
    assert "user:anthropic:user_a" in [a.scope for a in shown.alerts]
    assert "User Alice Example (anthropic): $0.00" in spike_details(shown).text
    assert "alice@example.com" not in json.dumps(spike_details(shown).blocks) + spike_message(shown, "x").text


def test_a_week_not_fetched_by_spender_never_makes_a_key_new(tmp_path: Path, today: date) -> None:
    cut = today - 7 * ONE  # the alert week's first day
    with Store(tmp_path / "b.db") as store:
        for data in _two_weeks(today):
            # the week before was written by a release without spenders: billed figures, no spender basis
            old = ProviderData(data.provider, data.start, cut, costs=[c for c in data.costs if c.day < cut])
            new = replace(
                data,
                start=cut,
                costs=[c for c in data.costs if c.day >= cut],
                spender_usage=[r for r in data.spender_usage if r.day >= cut],
                spender_costs=[r for r in data.spender_costs if r.day >= cut],
            )
            store.replace_provider_data(old, synced_at(today))
            store.replace_provider_data(new, synced_at(today))
        report = spike_report(store, _settings(), today)
    assert report.spenders == ()
    assert not [a.scope for a in report.alerts if a.scope.startswith(("key:", "user:"))]
    assert report.alerts and report.alerts[0].scope == "org"  # the billed spike itself still fires

"""The daily anomaly and drop alerts through the real pipeline (issue 13): SQLite store, ledger, fake Slack.

Eight weeks of steady spend (anthropic production $600 a day, openai web-app $50), synced after the days ended.
Each new kind is recorded once, posted once, re-rendered from its payload, silent while its data is not final, and
explained by a dry run when a scope is too new to judge.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.alerts.ledger_view import alerts_overview
from bot.alerts.model import AlertRun
from bot.alerts.render import render_record
from bot.alerts.service import run_alerts
from bot.records import CostRecord, Label, ProviderData
from bot.slack.client import build_client
from bot.store import Store
from bot.store.alerts import AlertStore
from tests.alert_support import alert_settings, table_rows, usd, write
from tests.fake_slack import FakeSlack

FIRST = date(2026, 9, 29)
TUESDAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
POST = "/api/chat.postMessage"


@pytest.fixture(autouse=True)
def _quiet_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKIP_SLACK_SDK_WARNING", "1")


def data(provider: str, *, batch: bool = False, openai_stops: date | None = None, end: date = TUESDAY) -> ProviderData:
    out = ProviderData(provider, FIRST, end + timedelta(days=1))
    day = FIRST
    while day <= end:
        if provider == "anthropic":
            out.costs.append(CostRecord(provider, day, "wrk_prod", "claude-sonnet-4-6", "tokens", "", usd("600")))
            if batch and day == TUESDAY:
                out.costs.append(CostRecord(provider, day, "wrk_batch", "claude-opus-4-8", "tokens", "", usd("1240")))
        elif openai_stops is None or day < openai_stops:
            out.costs.append(CostRecord(provider, day, "proj_web", "gpt-5.5", "gpt-5.5, input", "", usd("50")))
        day += timedelta(days=1)
    out.labels = [Label("anthropic", "wrk_prod", "production"), Label("anthropic", "wrk_batch", "batch-jobs")]
    if provider == "openai":
        out.labels = [Label("openai", "proj_web", "web-app")]
    return out


def filled(
    path: Path, *, at: datetime = NOW, batch: bool = False, openai_stops: date | None = None, end: date = TUESDAY
) -> Store:
    store = Store(path)
    write(store, data("anthropic", batch=batch, end=end), at)
    write(store, data("openai", openai_stops=openai_stops, end=end), at)
    return store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = filled(tmp_path / "a.db", batch=True)
    yield store
    store.close()


def run(store: Store, fake: FakeSlack | None, now: datetime = NOW, dry_run: bool = False) -> AlertRun:
    client = None if fake is None else build_client("xoxb-t", fake.api_url)
    return run_alerts(store, client, settings=alert_settings(), today=now.date(), now=now, dry_run=dry_run, pace=0)


def test_an_unusual_day_is_posted_once_with_its_drivers_and_buttons(store: Store, fake: FakeSlack) -> None:
    first = run(store, fake)
    # the new workspace is also a weekly new spender: one message per kind
    assert [f.identity for f in first.found] == ["spike|2026-11-18..2026-11-24", "anomaly|2026-11-24"]
    assert first.posted == ["spike|2026-11-18..2026-11-24", "anomaly|2026-11-24"]
    [post] = [p for p in fake.wait_for(POST, 2) if p.body["text"].startswith("Unusual day")]
    assert post.body["text"].startswith(
        "Unusual day: organization Tuesday $1,890 vs a typical Tuesday $615–$687 (Nov 24). Drivers: "
        "100% from anthropic / batch-jobs / claude-opus-4-8 (new: nothing on a typical Tuesday), +$1,240.00"
    )
    buttons = [b["text"]["text"] for b in post.body["blocks"][-1]["elements"]]
    assert buttons == ["Acknowledge", "Expected", "Not expected", "Snooze 7 days", "Details"]
    [row] = [r for r in table_rows(store, "alerts") if r["kind"] == "anomaly"]
    assert row["state"] == "posted"
    record = AlertStore(store).get("anomaly|2026-11-24")
    assert record is not None and render_record(record).text == post.body["text"]
    # the same data evaluated again, and the day after (still inside the re-alert week): nothing new
    assert run(store, fake).found == () and run(store, fake, NOW + timedelta(hours=5)).found == ()
    assert len(fake.received(POST)) == 2


def test_a_dry_run_and_the_alerts_command_say_which_scopes_are_too_new(store: Store) -> None:
    dry = run(store, None, dry_run=True)
    assert [f.kind for f in dry.found] == ["spike", "anomaly"]
    assert (
        "Daily anomalies are not evaluated for workspace batch-jobs (anthropic), model claude-opus-4-8 (anthropic): "
        "under 14 days of history (a scope needs two of each weekday before its days can be judged)."
    ) in dry.notes
    assert table_rows(store, "alerts") == []
    overview = alerts_overview(store, NOW, admin=False, settings=alert_settings())
    assert "*Not judged yet*\n• Daily anomalies are not evaluated for workspace batch-jobs (anthropic)" in overview


def test_an_unfinished_day_is_not_judged(tmp_path: Path) -> None:
    early = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)  # Nov 24 fetched before it ended
    store = filled(tmp_path / "b.db", at=early, batch=True)
    dry = run(store, None, now=NOW, dry_run=True)
    assert [f.kind for f in dry.found if f.kind == "anomaly"] == []
    assert any(n.startswith("Daily anomaly and drop alerts for Nov 24 wait for complete data") for n in dry.notes)


def test_a_provider_that_stopped_is_reported_once(tmp_path: Path, fake: FakeSlack) -> None:
    store = filled(tmp_path / "c.db", openai_stops=date(2026, 11, 23))
    first = run(store, fake)
    assert [f.identity for f in first.found] == ["drop|2026-11-24"]
    [post] = fake.wait_for(POST)
    assert post.body["text"].startswith(
        "AI spend stopped: provider openai has spent nothing since Nov 23. Provider openai: no spend since Nov 23, "
        "after $350.00 over the 7 days before, while the other providers kept spending."
    )
    assert run(store, fake).found == ()
    # a day on, still silent: the same drop, not posted again
    write(store, data("anthropic", end=TUESDAY + timedelta(days=1)), NOW + timedelta(days=1))
    write(
        store, data("openai", openai_stops=date(2026, 11, 23), end=TUESDAY + timedelta(days=1)), NOW + timedelta(days=1)
    )
    assert run(store, fake, NOW + timedelta(days=1)).found == ()
    assert len(fake.received(POST)) == 1
    store.close()

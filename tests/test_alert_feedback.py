# ruff: noqa: F811  (the fixtures app and store come from test_alert_actions)
"""Expected / Not expected on an alert (issue 13 item 3), through app.dispatch and the fake Slack Web API.

The spike alert of tests/alert_support is posted first (test_alert_actions' fixtures). Expected records who said so
and mutes the alert's scopes' anomalies for 7 days; Not expected mutes nothing; both are admin-only, are shown under
the message and listed by `/aispend alerts`.
"""

from __future__ import annotations

from datetime import timedelta

from slack_bolt import App

from bot.alerts.candidates import Candidate, new_scopes
from bot.alerts.ledger_view import alerts_overview
from bot.alerts.messages import EXPECTED_ACTION, NOT_EXPECTED_ACTION
from bot.store import Store
from bot.store.alert_feedback import expected_scopes
from bot.store.alerts import AlertStore
from tests.alert_support import ADMIN, NOW, SPIKE_ID, table_rows
from tests.fake_slack import FakeSlack
from tests.test_alert_actions import READER, SCOPES, app, click, ephemeral, store  # noqa: F401 (fixtures)


def test_expected_is_for_admins_and_others_are_politely_refused(app: App, fake: FakeSlack, store: Store) -> None:
    assert click(app, fake, EXPECTED_ACTION, READER, "exp1").status == 200
    [reply] = fake.wait_for("/commands/exp1")
    assert reply.body["text"].startswith(":lock: Sorry, only aispend admins can say whether an alert was expected.")
    assert table_rows(store, "alert_feedback") == []
    assert fake.received("/api/chat.update") == []


def test_expected_records_who_and_when_mutes_the_scopes_for_seven_days_and_says_so(
    app: App, fake: FakeSlack, store: Store
) -> None:
    assert click(app, fake, EXPECTED_ACTION, ADMIN, "exp2").status == 200
    [update] = fake.wait_for("/api/chat.update")
    [reply] = fake.wait_for("/commands/exp2")
    assert reply.body == ephemeral(
        ":calendar: Recorded as expected: anomalies of its scopes are muted until 2026-11-29 09:00 UTC."
    )
    assert table_rows(store, "alert_feedback") == [
        {
            "identity": SPIKE_ID,
            "verdict": "expected",
            "by": ADMIN,
            "at": "2026-11-22T09:00:00Z",
            "until": "2026-11-29T09:00:00Z",
        }
    ]
    assert (
        f"Expected (planned work), said <@{ADMIN}>; anomalies of its scopes muted until Nov 29" in (update.body["text"])
    )
    buttons = [b["action_id"] for b in update.body["blocks"][-1]["elements"]]
    assert EXPECTED_ACTION not in buttons and NOT_EXPECTED_ACTION not in buttons
    alert_store = AlertStore(store)
    assert expected_scopes(alert_store, NOW) == set(SCOPES)
    assert expected_scopes(alert_store, NOW + timedelta(days=7)) == set()
    overview = alerts_overview(store, NOW, admin=False)
    assert "*Feedback*" in overview and f"expected (planned work) by <@{ADMIN}> at 2026-11-22 09:00 UTC" in overview


def test_an_expected_scope_gets_no_anomaly_alert_while_muted_and_budget_is_not_muted(
    app: App, fake: FakeSlack, store: Store
) -> None:
    click(app, fake, EXPECTED_ACTION, ADMIN, "exp3")
    fake.wait_for("/api/chat.update")
    alert_store = AlertStore(store)

    def candidate(kind: str) -> Candidate:
        return Candidate(kind, "2026-11-25", "2026-11-25", "2026-11-25", f"{kind}|2026-11-25", [("org", "org")], _no)

    assert new_scopes(alert_store, candidate("anomaly"), NOW + timedelta(days=3)) == []
    assert new_scopes(alert_store, candidate("budget"), NOW + timedelta(days=3)) == [("org", "org")]
    assert new_scopes(alert_store, candidate("anomaly"), NOW + timedelta(days=7)) == [("org", "org")]


def _no(_: set[str]) -> tuple[str, str, str]:
    raise AssertionError("nothing is built for a muted scope")


def test_not_expected_records_the_answer_and_mutes_nothing(app: App, fake: FakeSlack, store: Store) -> None:
    assert click(app, fake, NOT_EXPECTED_ACTION, ADMIN, "nexp").status == 200
    [update] = fake.wait_for("/api/chat.update")
    [reply] = fake.wait_for("/commands/nexp")
    assert reply.body == ephemeral(":mag: Recorded as not expected, thank you: it is kept to tune the anomaly rules.")
    [row] = table_rows(store, "alert_feedback")
    assert (row["verdict"], row["by"], row["until"]) == ("not_expected", ADMIN, None)
    assert f"Not expected, said <@{ADMIN}>" in update.body["text"]
    assert expected_scopes(AlertStore(store), NOW) == set()
    assert f"not expected, said <@{ADMIN}>" in alerts_overview(store, NOW, admin=False)

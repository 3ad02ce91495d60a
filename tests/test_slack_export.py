"""`/aispend export` through the App and the fake Slack Web API: the DM opened for the caller, the three upload
calls, the CSV shared to the D… conversation and summing to the report; people rules; failures in one sentence."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import App
from slack_bolt.request import BoltRequest

from bot.periods import parse_period
from bot.report import load_report
from bot.slack.commands import Export, Help, parse_command
from bot.store import Store
from tests.fake_slack import FakeSlack
from tests.slack_support import (
    ADMIN,
    NOW,
    READER,
    STRANGER,
    TODAY,
    form_body,
    running_app,
    settings,
    signed,
    slash_form,
    store_at,
)

UPLOAD_CALLS = ["/api/files.getUploadURLExternal", "/upload", "/api/files.completeUploadExternal"]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with store_at(tmp_path / "spend.db") as s:
        yield s


def command(app: App, fake: FakeSlack, text: str, *, user: str = READER, name: str = "1") -> str:
    body = form_body(slash_form(text, user=user, response_url=fake.response_url(name)))
    response = app.dispatch(BoltRequest(body=body, headers=signed(body)))
    assert (response.status, response.body) == (200, "")
    answer: dict[str, Any] = fake.wait_for(f"/commands/{name}")[0].body
    assert answer["response_type"] == "ephemeral"
    return str(answer["text"])


def slack_calls(fake: FakeSlack) -> list[str]:
    return [r.path for r in fake.requests if not r.path.startswith("/commands/")]


def test_the_csv_goes_to_the_callers_dm_and_sums_to_the_report(fake: FakeSlack, store: Store) -> None:
    with running_app(fake, store, settings()) as app:
        text = command(app, fake, "export week public")
    assert text.startswith(":inbox_tray: Sent `aispend-2026-11-15-to-2026-11-21.csv` (")
    assert text.endswith("billed, 2026-11-15 to 2026-11-21 (UTC)) to your direct messages with aispend.")
    # the DM is opened with the user id, and the file is shared to the D… conversation it returns
    assert slack_calls(fake) == ["/api/conversations.open", *UPLOAD_CALLS]
    assert fake.received("/api/conversations.open")[0].body["users"] == READER
    [file] = fake.files.values()
    assert file["channel_id"] == "DREADER" and file["filename"] == "aispend-2026-11-15-to-2026-11-21.csv"
    complete = fake.received("/api/files.completeUploadExternal")[0].body
    assert complete["channel_id"] == "DREADER" and complete["initial_comment"].startswith("Your aispend export: ")
    rows = list(csv.DictReader(io.StringIO(file["content"].decode("utf-8"), newline="")))
    report = load_report(
        store, parse_period("week", TODAY), now=NOW, configured=("anthropic", "openai"), budget_usd=None
    )
    assert sum(Decimal(r["usd"]) for r in rows) == report.total
    assert f"{len(rows)} rows, $672.25 billed" in text
    # provider names are neutralised in the file as in the CLI's (`batch <jobs> & co` has nothing to neutralise)
    assert "batch <jobs> & co" in {r["workspace"] for r in rows}


def test_by_user_is_only_for_those_who_may_see_people(fake: FakeSlack, store: Store) -> None:
    with running_app(fake, store, settings()) as app:
        text = command(app, fake, "export week by user")
    assert text.startswith(":lock: Spend by person is shown only to aispend admins")
    assert slack_calls(fake) == []  # nothing uploaded, no DM opened
    with running_app(fake, store, settings(people_viewers=frozenset({READER}))) as app:
        text = command(app, fake, "export week by user", name="2")
    assert text.startswith(":inbox_tray: Sent `aispend-2026-11-15-to-2026-11-21-by-user.csv`")
    [file] = fake.files.values()
    header = file["content"].decode().splitlines()[0]
    assert header.startswith("date,provider,user_id,user,") and "email" not in header


def test_readers_outside_the_allowlist_get_no_file(fake: FakeSlack, store: Store) -> None:
    conf = settings(allowed_users=frozenset({READER}))
    with running_app(fake, store, conf) as app:
        body = form_body(slash_form("export week", user=STRANGER, response_url=fake.response_url("1")))
        response = app.dispatch(BoltRequest(body=body, headers=signed(body)))
    assert ":lock: Sorry, AI spend is shared with a limited group" in json.loads(response.body)["text"]
    assert slack_calls(fake) == [] and fake.files == {}


@pytest.mark.parametrize(
    ("path", "scope"), [("/api/conversations.open", "im:write"), ("/api/files.getUploadURLExternal", "files:write")]
)
def test_a_missing_scope_is_one_sentence_naming_it(fake: FakeSlack, store: Store, path: str, scope: str) -> None:
    fake.responses[path] = (200, {}, {"ok": False, "error": "missing_scope", "needed": scope})
    with running_app(fake, store, settings()) as app:
        text = command(app, fake, "export month", user=ADMIN)
    assert text == (
        ":warning: The export could not be sent to you: Slack refused the upload (missing_scope): add the "
        f"{scope} scope on your Slack app's OAuth &amp; Permissions page and reinstall the app."
    )
    assert fake.files == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("export", Export("week")),
        ("export month", Export("month")),
        ("export 30d by key", Export("30d", "key")),
        ("export by projects", Export("week", "workspace")),
        ("export week public", Export("week")),
    ],
)
def test_parse_export(text: str, expected: Export) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize("text", ["export weak", "export week by colour", "export week by", "export week by key x"])
def test_malformed_exports_name_the_problem(text: str) -> None:
    parsed = parse_command(text)
    assert isinstance(parsed, Help) and parsed.problem

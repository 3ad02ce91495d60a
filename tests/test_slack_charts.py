"""Charts in Slack, through the fake Slack Web API: the three upload calls, the image block that shows the file,
one upload for a burst of the same question, and a failed upload that still delivers the reply or the alert.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import App

from bot.alerts.pictures import AlertPictures
from bot.alerts.service import post_digest, run_alerts
from bot.slack.charts import IMAGE_BLOCK, ChartUploads
from bot.slack.client import build_client
from bot.store import Store
from tests import alert_support
from tests.chart_pixels import bars_across_columns, bars_across_rows, image
from tests.fake_slack import FakeSlack
from tests.slack_support import ADMIN, NOW, READER, form_body, running_app, settings, signed, slash_form, store_at

UPLOAD_CALLS = ["/api/files.getUploadURLExternal", "/upload", "/api/files.completeUploadExternal"]
NO_SCOPE = (200, {}, {"ok": False, "error": "missing_scope", "needed": "files:write", "provided": "chat:write"})
WAIT = 60.0  # the first chart also imports matplotlib, which is slow on a loaded machine


@pytest.fixture(autouse=True)
def _quiet_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKIP_SLACK_SDK_WARNING", "1")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = store_at(tmp_path / "aispend.db")
    yield s
    s.close()


def uploads(fake: FakeSlack, **kw: Any) -> ChartUploads:
    return ChartUploads(build_client("xoxb-test-token", fake.api_url), **kw)


def ask(app: App, fake: FakeSlack, text: str, name: str, user: str = READER) -> dict[str, Any]:
    body = form_body(slash_form(text, user=user, response_url=fake.response_url(name)))
    from slack_bolt.request import BoltRequest

    assert app.dispatch(BoltRequest(body=body, headers=signed(body))).status == 200
    return fake.wait_for(f"/commands/{name}", timeout=WAIT)[0].body


def images(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b for b in blocks if b.get("type") == "image"]


def paths(fake: FakeSlack) -> list[str]:
    fake.received("")  # waits for the requests still being handled, which are recorded just after their answer
    return [r.path for r in fake.requests if not r.path.startswith("/commands/")]


def test_a_week_reply_shows_its_chart_uploaded_in_three_calls(fake: FakeSlack, store: Store) -> None:
    charts = uploads(fake)
    with running_app(fake, store, settings(), charts=charts) as app:
        reply = ask(app, fake, "week", "1")
    assert paths(fake) == UPLOAD_CALLS
    (block,) = images(reply["blocks"])
    (file_id,) = fake.files
    assert block["slack_file"] == {"id": file_id} and block["block_id"] == IMAGE_BLOCK
    assert "image_url" not in block
    assert block["alt_text"].startswith("Bar chart: Daily AI spend, Nov 15 – Nov 21, 2026")
    assert "Total $672.25" in block["alt_text"]
    assert reply["blocks"].index(block) == 2  # under the header and the total
    uploaded = fake.files[file_id]
    assert uploaded["channel_id"] is None  # private to the bot: it shows only in the block
    assert uploaded["filename"] == "aispend-daily.png"
    png = image(uploaded["content"])
    assert png.size == (800, 400)
    assert bars_across_rows(png, ["#D55E00", "#0072B2"]) == 7


def test_month_shows_the_burn_up(fake: FakeSlack, store: Store) -> None:
    with running_app(fake, store, settings(monthly_budget_usd=None), charts=uploads(fake)) as app:
        reply = ask(app, fake, "month", "1")
    (block,) = images(reply["blocks"])
    assert block["alt_text"].startswith("Burn-up chart: AI spend, November 2026")
    assert fake.files[block["slack_file"]["id"]]["filename"] == "aispend-month.png"


def test_a_burst_of_the_same_question_uploads_once(fake: FakeSlack, store: Store) -> None:
    charts = uploads(fake)
    with running_app(fake, store, settings(), charts=charts) as app, ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda n: ask(app, fake, "week", str(n)), range(4)))
        again = ask(app, fake, "week public", "5")
    ids = {images(r["blocks"])[0]["slack_file"]["id"] for r in [*replies, again]}
    assert len(ids) == 1
    assert paths(fake) == UPLOAD_CALLS
    assert charts.uploads == 1


def test_models_and_single_days_carry_no_chart(fake: FakeSlack, store: Store) -> None:
    with running_app(fake, store, settings(), charts=uploads(fake)) as app:
        models = ask(app, fake, "models", "1")
        yesterday = ask(app, fake, "yesterday", "2")
    assert images(models["blocks"]) == [] and images(yesterday["blocks"]) == []
    assert paths(fake) == []


def test_uploads_past_the_rate_limit_go_without_a_picture(fake: FakeSlack, store: Store) -> None:
    with running_app(fake, store, settings(), charts=uploads(fake, per_minute=1)) as app:
        ask(app, fake, "yesterday", "0")  # no chart: nothing uploaded, nothing counted
        first = ask(app, fake, "week", "1")
        second = ask(app, fake, "30d", "2")
    assert len(images(first["blocks"])) == 1
    assert images(second["blocks"]) == [] and second["text"].startswith("AI spend, last 30 days")
    assert paths(fake) == UPLOAD_CALLS


def test_a_refused_upload_still_answers_and_tells_an_admin_once(fake: FakeSlack, store: Store) -> None:
    fake.responses["/api/files.getUploadURLExternal"] = NO_SCOPE
    with running_app(fake, store, settings(), charts=uploads(fake)) as app:
        reader = ask(app, fake, "week", "1")
        admin = ask(app, fake, "30d", "2", user=ADMIN)  # paused after missing_scope: no upload tried
        admin_again = ask(app, fake, "30d", "3", user=ADMIN)
    for reply in (reader, admin, admin_again):
        assert images(reply["blocks"]) == []
        assert reply["text"].startswith("AI spend, last")
    notice = "Charts are left out of replies and alerts for now. Slack refused the upload (missing_scope): add the "
    assert notice not in json.dumps(reader)
    told = [b for b in admin["blocks"] if notice in json.dumps(b)]
    assert len(told) == 1 and "files:write scope" in json.dumps(told[0])
    assert notice not in json.dumps(admin_again)
    assert paths(fake) == ["/api/files.getUploadURLExternal"]  # one attempt, then paused


# --- alerts ----------------------------------------------------------------------------------------------------


@pytest.fixture
def alert_store(tmp_path: Path) -> Iterator[Store]:
    s = alert_support.filled_store(tmp_path / "alerts.db")
    yield s
    s.close()


def posts(fake: FakeSlack) -> list[dict[str, Any]]:
    return [r.body for r in fake.received("/api/chat.postMessage")]


def evaluate(fake: FakeSlack, store: Store, charts: ChartUploads) -> None:
    run_alerts(
        store,
        build_client("xoxb-alert-test-token", fake.api_url),
        settings=alert_support.alert_settings(),
        today=alert_support.TODAY,
        now=alert_support.NOW,
        dry_run=False,
        pace=0,
        pictures=AlertPictures(charts),
    )


def test_a_spike_alert_shows_its_drivers_uploaded_before_the_post(fake: FakeSlack, alert_store: Store) -> None:
    evaluate(fake, alert_store, uploads(fake))
    assert paths(fake) == [*UPLOAD_CALLS, "/api/chat.postMessage"]
    (post,) = posts(fake)
    blocks = json.loads(post["blocks"]) if isinstance(post["blocks"], str) else post["blocks"]
    (block,) = images(blocks)
    assert block["slack_file"]["id"] in fake.files
    assert block["alt_text"].startswith("Bar chart: What changed: organization")
    assert post["text"] == alert_support.SPIKE_TEXT  # the text fallback is the alert's, picture or not
    png = image(fake.files[block["slack_file"]["id"]]["content"])
    assert bars_across_columns(png, ["#D55E00"]) == 2  # +$560 and +$70 (+$1.40 is under a pixel)


def test_a_failed_upload_still_posts_the_alert_once(fake: FakeSlack, alert_store: Store) -> None:
    fake.responses["/upload"] = (500, {}, {"ok": False})
    charts = uploads(fake)
    evaluate(fake, alert_store, charts)
    evaluate(fake, alert_store, charts)  # the next evaluation posts nothing new
    (post,) = posts(fake)
    blocks = json.loads(post["blocks"]) if isinstance(post["blocks"], str) else post["blocks"]
    assert images(blocks) == []
    assert post["text"] == alert_support.SPIKE_TEXT
    notice = charts.take_notice()
    assert notice is not None and "file server refused the bytes of aispend-spike.png" in notice
    assert fake.files == {}


def test_a_post_retried_after_a_refusal_shows_the_same_file(fake: FakeSlack, alert_store: Store) -> None:
    fake.responses["/api/chat.postMessage"] = [(200, {}, {"ok": False, "error": "ratelimited"})]
    charts = uploads(fake)
    evaluate(fake, alert_store, charts)
    evaluate(fake, alert_store, charts)
    sent = posts(fake)
    assert len(sent) == 2  # refused (nothing posted), then posted
    ids = {
        images(json.loads(p["blocks"]) if isinstance(p["blocks"], str) else p["blocks"])[0]["slack_file"]["id"]
        for p in sent
    }
    assert len(ids) == 1 and len(fake.received("/api/files.completeUploadExternal")) == 1


def test_the_weekly_digest_shows_the_week_by_day(fake: FakeSlack, alert_store: Store) -> None:
    post_digest(
        alert_store,
        build_client("xoxb-alert-test-token", fake.api_url),
        settings=alert_support.alert_settings(),
        now=alert_support.NOW,
        today=alert_support.TODAY,
        pace=0,
        pictures=AlertPictures(uploads(fake)),
    )
    (post,) = [p for p in posts(fake) if "Weekly AI spend" in p["text"]]
    blocks = json.loads(post["blocks"]) if isinstance(post["blocks"], str) else post["blocks"]
    (block,) = images(blocks)
    assert "Total $1,682.10" in block["alt_text"]
    png = image(fake.files[block["slack_file"]["id"]]["content"])
    assert bars_across_rows(png, ["#D55E00", "#0072B2"]) == 7


def test_replies_carry_no_chart_without_an_uploader(fake: FakeSlack, store: Store) -> None:
    with running_app(fake, store, settings()) as app:
        reply = ask(app, fake, "week", "1")
    assert images(reply["blocks"]) == [] and paths(fake) == []
    assert NOW.date().isoformat() == "2026-11-22"


def test_acknowledging_keeps_the_chart_in_the_edited_message(fake: FakeSlack, alert_store: Store) -> None:
    from bot.alerts.messages import ACK_ACTION
    from tests.test_alert_actions import click, make_app

    evaluate(fake, alert_store, uploads(fake))
    (post,) = posts(fake)
    blocks = json.loads(post["blocks"]) if isinstance(post["blocks"], str) else post["blocks"]
    (shown,) = images(blocks)
    app, pools = make_app(fake, alert_store)
    try:
        assert click(app, fake, ACK_ACTION, READER, "ack", blocks=blocks).status == 200
        (update,) = fake.wait_for("/api/chat.update", timeout=WAIT)
    finally:
        pools.shutdown()
    assert images(update.body["blocks"]) == [shown]
    assert update.body["blocks"].index(shown) == blocks.index(shown)
    assert "Acknowledged by <@UREADER>" in update.body["text"]


def test_the_manifest_asks_for_files_write_and_says_why() -> None:
    manifest = (Path(__file__).parent.parent / "manifest.yml").read_text()
    (line,) = [line for line in manifest.splitlines() if line.strip().startswith("- files:write")]
    assert "# upload chart PNGs" in line


def test_aispend_alerts_says_why_the_chart_was_left_out(
    fake: FakeSlack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    alert_support.filled_store(tmp_path / "cli.db").close()
    fake.responses["/api/files.getUploadURLExternal"] = NO_SCOPE
    environ = {
        "AISPEND_DB": str(tmp_path / "cli.db"),
        "SLACK_BOT_TOKEN": "xoxb-cli-test",
        "SLACK_API_URL": fake.api_url,
        "AISPEND_ALERT_CHANNEL": alert_support.CHANNEL,
    }
    assert main(["alerts", "--as-of", "2026-11-22"], environ=environ, clock=lambda: alert_support.NOW) == 0
    out = capsys.readouterr().out
    assert "Posted spike|2026-11-15..2026-11-21." in out
    assert out.rstrip().endswith(
        "Charts are left out of replies and alerts for now. Slack refused the upload (missing_scope): add the "
        "files:write scope on your Slack app's OAuth & Permissions page and reinstall the app."
    )
    (post,) = posts(fake)
    assert post["text"] == alert_support.SPIKE_TEXT


# --- the App Home ----------------------------------------------------------------------------------------------


def home_tab(fake: FakeSlack, store: Store, charts: ChartUploads) -> Any:
    from concurrent.futures import ThreadPoolExecutor

    from bot.slack.home import HomeTab

    client = build_client("xoxb-test-token", fake.api_url)
    conf = settings(monthly_budget_usd=Decimal(1000))
    return HomeTab(
        store=store, settings=conf, client=client, now=lambda: NOW, work=ThreadPoolExecutor(1), charts=charts
    )


def published_blocks(fake: FakeSlack) -> list[list[dict[str, Any]]]:
    out = []
    for request in fake.received("/api/views.publish"):
        view = request.body["view"]
        out.append((json.loads(view) if isinstance(view, str) else view)["blocks"])
    return out


def test_the_home_tab_shows_the_month_burn_up_uploaded_once(fake: FakeSlack, store: Store) -> None:
    home = home_tab(fake, store, uploads(fake))
    home.opened(ADMIN)
    home.opened(READER)
    first, second = published_blocks(fake)
    (shown,) = images(first)
    assert images(second) == [shown]
    uploaded = fake.files[shown["slack_file"]["id"]]
    assert uploaded["filename"] == "aispend-month.png" and uploaded["channel_id"] is None
    assert uploaded["alt_txt"].startswith("Burn-up chart: AI spend, November 2026")
    assert "budget $1,000.00" in uploaded["alt_txt"]
    assert image(uploaded["content"]).size == (800, 400)
    assert [p for p in paths(fake) if p != "/api/views.publish"] == UPLOAD_CALLS


def test_the_home_tab_goes_without_its_chart_when_the_upload_fails(fake: FakeSlack, store: Store) -> None:
    fake.responses["/api/files.getUploadURLExternal"] = NO_SCOPE
    charts = uploads(fake)
    home_tab(fake, store, charts).opened(ADMIN)
    (blocks,) = published_blocks(fake)
    assert images(blocks) == [] and any("Month to date" in json.dumps(b) for b in blocks)
    notice = charts.take_notice()
    assert notice is not None and "files:write" in notice


def test_after_a_failed_upload_the_next_charts_wait_instead_of_each_timing_out(fake: FakeSlack) -> None:
    from bot.charts.model import ChartImage
    from bot.slack.charts import PAUSE_SHORT

    fake.responses["/upload"] = (500, {}, {"ok": False})
    now = [1000.0]
    charts = uploads(fake, clock=lambda: now[0])
    png = ChartImage(b"\x89PNG\r\n\x1a\n" + b"0" * 64, "alt", "title", "aispend-daily.png")
    assert charts.picture("a", lambda: png) is None
    assert charts.picture("b", lambda: png) is None  # paused: not tried
    assert len(fake.received("/upload")) == 1
    now[0] += PAUSE_SHORT + 1
    fake.responses.pop("/upload")
    picture = charts.picture("b", lambda: png)
    assert picture is not None and fake.files[picture.file_id]["content"] == png.png
    assert len(fake.received("/upload")) == 2


def test_budget_alerts_carry_no_chart_and_upload_nothing(fake: FakeSlack, alert_store: Store) -> None:
    charts = uploads(fake)
    run_alerts(
        alert_store,
        build_client("xoxb-alert-test-token", fake.api_url),
        settings=alert_support.alert_settings(monthly_budget_usd=Decimal(1000)),
        today=alert_support.TODAY,
        now=alert_support.NOW,
        dry_run=False,
        pace=0,
        pictures=AlertPictures(charts),
    )
    sent = {("spike" if p["text"].startswith("AI spend spike") else "other"): p for p in posts(fake)}
    assert set(sent) == {"spike", "other"} and len(posts(fake)) == 2
    other = sent["other"]
    assert images(json.loads(other["blocks"]) if isinstance(other["blocks"], str) else other["blocks"]) == []
    assert charts.uploads == 1 and len(fake.received("/api/files.completeUploadExternal")) == 1

"""bot/slack/uploads.py against the fake Slack Web API: the three upload calls, DMs, every refusal in a sentence."""

from __future__ import annotations

import json

import pytest

from bot.slack.client import build_client
from bot.slack.uploads import UploadError, open_dm, upload_file
from tests.fake_slack import FakeSlack

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def test_upload_makes_the_three_calls_and_returns_the_file_id() -> None:
    with FakeSlack() as fake:
        client = build_client("xoxb-test", fake.api_url)
        file_id = upload_file(client, content=PNG, filename="daily.png", title="Daily spend", alt_text="Spend rose")

        assert [r.path for r in fake.requests] == [
            "/api/files.getUploadURLExternal",
            "/upload",
            "/api/files.completeUploadExternal",
        ]
        first = fake.received("/api/files.getUploadURLExternal")[0].body
        assert (first["filename"], first["length"], first["alt_txt"]) == ("daily.png", str(len(PNG)), "Spend rose")
        complete = fake.received("/api/files.completeUploadExternal")[0].body
        assert json.loads(complete["files"]) == [{"id": file_id, "title": "Daily spend"}]
        assert "channel_id" not in complete  # no channel: the file stays private to the bot
        assert fake.files[file_id]["content"] == PNG
        assert fake.files[file_id]["channel_id"] is None


def test_upload_to_a_dm_shares_the_file_there() -> None:
    with FakeSlack() as fake:
        client = build_client("xoxb-test", fake.api_url)
        channel = open_dm(client, "U123")
        file_id = upload_file(client, content=b"a,b\n1,2\n", filename="spend.csv", title="Spend", channel=channel)

        assert channel == "D123"
        assert fake.received("/api/conversations.open")[0].body["users"] == "U123"
        assert fake.files[file_id]["channel_id"] == "D123"
        assert fake.files[file_id]["content"] == b"a,b\n1,2\n"


@pytest.mark.parametrize(
    ("path", "answer", "reason", "says"),
    [
        (
            "/api/files.getUploadURLExternal",
            {"ok": False, "error": "missing_scope", "needed": "files:write"},
            "missing_scope",
            "add the files:write scope on your Slack app's OAuth & Permissions page and reinstall the app.",
        ),
        (
            "/api/files.completeUploadExternal",
            {"ok": False, "error": "not_in_channel"},
            "not_in_channel",
            "invite the bot to that channel (/invite @aispend) and try again.",
        ),
        (
            "/api/files.getUploadURLExternal",
            {"ok": False, "error": "invalid_auth"},
            "invalid_auth",
            "set SLACK_BOT_TOKEN to the Bot User OAuth Token",
        ),
    ],
)
def test_refusals_say_what_to_do(path: str, answer: dict[str, object], reason: str, says: str) -> None:
    with FakeSlack() as fake:
        fake.responses[path] = (200, {}, answer)
        client = build_client("xoxb-test", fake.api_url)
        with pytest.raises(UploadError) as caught:
            upload_file(client, content=PNG, filename="daily.png", title="Daily spend")
        assert caught.value.reason == reason
        assert says in str(caught.value)
        assert "xoxb-test" not in str(caught.value)


def test_a_failed_byte_upload_is_an_upload_error_and_nothing_is_shared() -> None:
    with FakeSlack() as fake:
        fake.responses["/upload"] = (500, {}, {"ok": False})
        client = build_client("xoxb-test", fake.api_url)
        with pytest.raises(UploadError) as caught:
            upload_file(client, content=PNG, filename="daily.png", title="Daily spend")
        assert caught.value.reason == "upload_refused"
        assert fake.received("/api/files.completeUploadExternal") == []
        assert fake.files == {}


def test_open_dm_without_im_write_names_the_scope() -> None:
    with FakeSlack() as fake:
        fake.responses["/api/conversations.open"] = (
            200,
            {},
            {"ok": False, "error": "missing_scope", "needed": "im:write"},
        )
        client = build_client("xoxb-test", fake.api_url)
        with pytest.raises(UploadError) as caught:
            open_dm(client, "U123")
        assert "add the im:write scope" in str(caught.value)


def test_slack_unreachable_is_one_sentence() -> None:
    client = build_client("xoxb-test", "http://127.0.0.1:9/api/", timeout=2)
    with pytest.raises(UploadError) as caught:
        upload_file(client, content=PNG, filename="daily.png", title="Daily spend")
    assert caught.value.reason == "unreachable"
    assert str(caught.value).endswith("then try again.")

"""manifest.yml: valid against Slack's published v1 schema, and declaring exactly the commands the app registers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml
from slack_bolt import BoltRequest

from bot.slack.app import COMMANDS
from tests.fake_slack import FakeSlack
from tests.slack_support import form_body, running_app, settings, signed, slash_form, store_at

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO.parent / "shared" / "slack" / "manifest.schema.1.0.0.json"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "manifest.yml").read_text(encoding="utf-8"))
    return loaded


def test_manifest_is_valid_against_slacks_schema(manifest: dict[str, Any]) -> None:
    if not SCHEMA.is_file():
        pytest.skip(f"Slack's manifest schema is not beside the repo ({SCHEMA}); CI provides it there")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    errors = [f"{list(e.path)}: {e.message}" for e in jsonschema.Draft7Validator(schema).iter_errors(manifest)]
    assert errors == []


def test_the_schema_catches_a_typo() -> None:
    """The validation above can fail: a misspelt key is an error under the schema."""
    if not SCHEMA.is_file():
        pytest.skip(f"Slack's manifest schema is not beside the repo ({SCHEMA}); CI provides it there")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    broken = {"display_information": {"name": "aispend"}, "settings": {"socket_mode": True}}
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken)) != []


def test_manifest_declares_the_commands_the_app_registers(manifest: dict[str, Any], tmp_path: Path) -> None:
    declared = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert declared == list(COMMANDS)
    with FakeSlack() as fake, store_at(tmp_path / "spend.db") as store, running_app(fake, store, settings()) as app:
        for name in declared:
            form = slash_form("help", response_url=fake.response_url()) | {"command": name}
            body = form_body(form)
            response = app.dispatch(BoltRequest(body=body, headers=signed(body)))
            assert response.status == 200 and "/aispend" in response.body  # 404 would mean no listener


def test_manifest_settings_for_socket_mode(manifest: dict[str, Any]) -> None:
    command = manifest["features"]["slash_commands"][0]
    assert command["usage_hint"].startswith("[today | yesterday | week | month")
    assert "url" not in command  # Socket Mode: Slack ignores request URLs; HTTP mode adds them
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["interactivity"] == {"is_enabled": True}
    assert {"commands", "chat:write", "chat:write.public"} <= set(manifest["oauth_config"]["scopes"]["bot"])
    text = (REPO / "manifest.yml").read_text(encoding="utf-8")
    assert "# url: https://bot.example.com/slack/events" in text
    assert "# request_url: https://bot.example.com/slack/events" in text


def test_manifest_turns_on_the_home_tab(manifest: dict[str, Any]) -> None:
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    text = (REPO / "manifest.yml").read_text(encoding="utf-8")
    assert "HTTP mode (4)" in text  # events need the request URL too in HTTP mode

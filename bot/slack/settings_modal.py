"""The admin Settings modal: the form (views.open), reading a submission, and the per-field errors. Pure.

One text field per saved setting (bot.saved_settings.FIELDS), filled with the value saved from Slack if there is
one; the placeholder says what applies when the field is empty (the environment's value, or the default), so an
admin who saves without touching a field never turns the environment's value into a Slack one. Every value is
checked by `check_value`, the environment's own rules; errors go back per field (`response_action: errors`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.saved_settings import BY_KEY, FIELDS, SettingError, SettingInForce, check_value, source_text
from bot.slack.kit import truncate

SETTINGS_CALLBACK = "aispend_settings"
VALUE_ACTION = "value"
MAX_PLAIN = 150  # placeholder, hint and label texts
MAX_ERROR = 300
MAX_INPUT = 100


def _plain(text: str, limit: int = MAX_PLAIN) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, limit)}


def settings_modal(lines: Sequence[SettingInForce]) -> dict[str, Any]:
    """The form, from the settings in force."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "Saved values take effect at once and override the environment. Leave a field empty to use "
                "the environment's value (or the default).",
                "verbatim": True,
            },
        }
    ]
    for line in lines:
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "action_id": VALUE_ACTION,
            "max_length": MAX_INPUT,
            "placeholder": _plain(f"Empty: {line.shown} ({source_text(line)})"),
        }
        if line.saved is not None:
            element["initial_value"] = line.saved[:MAX_INPUT]
        blocks.append(
            {
                "type": "input",
                "block_id": line.field.key,
                "optional": True,
                "label": _plain(line.field.label),
                "hint": _plain(f"Like {line.field.variable}, such as {line.field.example}."),
                "element": element,
            }
        )
    return {
        "type": "modal",
        "callback_id": SETTINGS_CALLBACK,
        "title": _plain("aispend settings", 24),
        "submit": _plain("Save", 24),
        "close": _plain("Cancel", 24),
        "blocks": blocks,
    }


def refusal_modal(text: str) -> dict[str, Any]:
    """A modal that only says why (a non-admin reached the form): no fields, nothing to submit."""
    return {
        "type": "modal",
        "title": _plain("aispend settings", 24),
        "close": _plain("Close", 24),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, 3000), "verbatim": True}}],
    }


def submitted_values(view: Mapping[str, Any]) -> dict[str, str]:
    """Each known field's text in a view_submission's `view` ('' when empty); unknown or odd parts are ignored."""
    state = view.get("state")
    values = state.get("values") if isinstance(state, Mapping) else None
    if not isinstance(values, Mapping):
        return {}
    out = {}
    for key in BY_KEY:
        block = values.get(key)
        entry = block.get(VALUE_ACTION) if isinstance(block, Mapping) else None
        text = entry.get("value") if isinstance(entry, Mapping) else None
        if isinstance(text, str) or (isinstance(entry, Mapping) and text is None):
            out[key] = text or ""
    return out


def check_submission(values: Mapping[str, str]) -> tuple[dict[str, str | None], dict[str, str]]:
    """(what to store: text, or None to clear; errors by field). Nothing is to be stored when there are errors."""
    to_store: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    for field in FIELDS:
        if field.key not in values:
            continue
        raw = values[field.key]
        if not raw.strip():
            to_store[field.key] = None
            continue
        try:
            to_store[field.key] = check_value(field.key, raw)
        except SettingError as err:
            errors[field.key] = truncate(str(err), MAX_ERROR)
    return ({} if errors else to_store), errors

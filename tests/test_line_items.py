"""The OpenAI line_item parser over every shape the reference lists, plus hostile input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.providers.line_items import LineItem, parse


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        (
            "gpt-4o-mini-2024-07-18, input",
            LineItem("gpt-4o-mini-2024-07-18, input", "gpt-4o-mini-2024-07-18", "input", (), "gpt-4o-mini-2024-07-18"),
        ),
        (
            "gpt-5.5-2026-04-23, cached input",
            LineItem(
                "gpt-5.5-2026-04-23, cached input", "gpt-5.5-2026-04-23", "cached input", (), "gpt-5.5-2026-04-23"
            ),
        ),
        (
            "gpt-5.5-2026-04-23, output",
            LineItem("gpt-5.5-2026-04-23, output", "gpt-5.5-2026-04-23", "output", (), "gpt-5.5-2026-04-23"),
        ),
        (
            "ft-gpt-4o-2024-08-06, output",
            LineItem("ft-gpt-4o-2024-08-06, output", "ft:gpt-4o-2024-08-06", "output", (), "gpt-4o-2024-08-06"),
        ),
        (
            "ft:gpt-4o-2024-08-06:acme::AbC12, input",
            LineItem(
                "ft:gpt-4o-2024-08-06:acme::AbC12, input", "ft:gpt-4o-2024-08-06", "input", (), "gpt-4o-2024-08-06"
            ),
        ),
        (
            "evals | gpt-4o-mini-2024-07-18, input",
            LineItem(
                "evals | gpt-4o-mini-2024-07-18, input",
                "gpt-4o-mini-2024-07-18",
                "input",
                ("evals",),
                "gpt-4o-mini-2024-07-18",
            ),
        ),
        (
            "priority | gpt-5.6-sol, output, long context",
            LineItem(
                "priority | gpt-5.6-sol, output, long context",
                "gpt-5.6-sol",
                "output, long context",
                ("priority",),
                "gpt-5.6-sol",
            ),
        ),
        (
            "gpt-audio-mini-2025-12-15 audio, input",
            LineItem(
                "gpt-audio-mini-2025-12-15 audio, input",
                "gpt-audio-mini-2025-12-15",
                "input",
                (),
                "gpt-audio-mini-2025-12-15",
            ),
        ),
        (
            "gpt-6-astra, input_tokens",
            LineItem("gpt-6-astra, input_tokens", "gpt-6-astra", "input_tokens", (), "gpt-6-astra"),
        ),
        ("whisper-1, audio", LineItem("whisper-1, audio", "whisper-1", "audio", (), "whisper-1")),
        (
            "GPT-4o-2024-08-06, Input",
            LineItem("GPT-4o-2024-08-06, Input", "gpt-4o-2024-08-06", "Input", (), "gpt-4o-2024-08-06"),
        ),
        (
            "assistants api | file search",
            LineItem("assistants api | file search", "", "file search", ("assistants api",)),
        ),
        ("web search tool calls", LineItem("web search tool calls", "", "web search tool calls")),
        ("Text tokens", LineItem("Text tokens", "", "Text tokens")),
        ("input_tokens", LineItem("input_tokens", "", "input_tokens")),
        ("Image models", LineItem("Image models", "", "Image models")),
        ("Vector storage", LineItem("Vector storage", "", "Vector storage")),
        ("storage, gb-hours", LineItem("storage, gb-hours", "", "storage, gb-hours")),
        ("Text tokens, input", LineItem("Text tokens, input", "", "Text tokens, input")),
        (", input", LineItem(", input", "", ", input")),
        ("ft-, input", LineItem("ft-, input", "", "ft-, input")),
        (" | ", LineItem(" | ", "", "", ())),
        ("", LineItem("", "", "")),
        (None, LineItem("", "", "")),
    ],
)
def test_shapes(label: str | None, expected: LineItem) -> None:
    assert parse(label) == expected


@pytest.mark.parametrize(
    ("label", "tier", "fine_tuned"),
    [
        ("priority | gpt-5.6-sol, output", "priority", False),
        ("Batch | gpt-4o-2024-08-06, input", "batch", False),
        ("flex | o3-2025-04-16, input", "flex", False),
        ("evals | ft-gpt-4o-2024-08-06, input", "", True),
        ("gpt-4o, input", "", False),
    ],
)
def test_tier_and_fine_tune(label: str, tier: str, fine_tuned: bool) -> None:
    item = parse(label)
    assert (item.service_tier, item.fine_tuned) == (tier, fine_tuned)


@given(st.one_of(st.none(), st.text(max_size=80)))
def test_never_raises_and_keeps_the_label(label: str | None) -> None:
    item = parse(label)
    assert item.raw == (label or "")
    assert item.model == "" or item.model == item.model.lower()


@pytest.mark.parametrize(
    ("label", "attribution"),
    [
        ("gpt-4o-mini-2024-07-18, input", "gpt-4o-mini-2024-07-18"),
        ("ft-gpt-4o-2024-08-06, output", "ft:gpt-4o-2024-08-06"),
        ("input_tokens", "input_tokens"),  # the current spec's example: token spend of a model it does not name
        ("output_tokens", "output_tokens"),
        (" Text tokens ", "Text tokens"),
        ("Image models", "Image models"),
        ("priority | cached input", "priority | cached input"),
        ("web search tool calls", ""),  # services billed apart from any model: non-model spend
        ("assistants api | file search", ""),
        ("Vector storage", ""),
        ("Code Interpreter sessions", ""),
        ("storage, gb-hours", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_attribution(label: str | None, attribution: str) -> None:
    assert parse(label).attribution == attribution

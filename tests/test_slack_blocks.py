"""Block Kit replies: exact blocks for the known database, escaping, and Slack's limits on huge reports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.periods import parse_period
from bot.records import TokenTotals
from bot.report import DayLine, ModelLine, ProviderLine, Report, WorkspaceLine, load_report
from bot.slack.blocks import budget_message, report_message
from bot.slack.kit import (
    CUT_NOTE,
    MAX_BLOCKS,
    MAX_BLOCKS_JSON,
    Message,
    blocks_size,
    context,
    fit_blocks,
    section,
    truncate_mrkdwn,
)
from bot.store import Store
from tests.slack_support import (
    MODELS_TABLE,
    NOW,
    TODAY,
    WEEK_BLOCKS,
    WEEK_TEXT,
    WORKSPACES_TABLE,
    mrkdwn,
    store_at,
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with store_at(tmp_path / "spend.db") as s:
        yield s


def report_for(store: Store, word: str, budget: Decimal | None = None) -> Report:
    return load_report(store, parse_period(word, TODAY), now=NOW, configured=["anthropic", "openai"], budget_usd=budget)


def assert_valid_for_slack(message: Message) -> None:
    """Every block survives slack_sdk's own model validation, and the message fits Slack's limits."""
    assert message.text
    assert 1 <= len(message.blocks) <= MAX_BLOCKS
    assert blocks_size(message.blocks) <= MAX_BLOCKS_JSON
    for raw in message.blocks:
        parsed = Block.parse(raw)
        assert parsed is not None
        assert parsed.to_dict() == raw  # to_dict() runs the SDK's length checks
        for field in raw.get("fields", []):
            assert len(field["text"]) <= 2000
        texts = [raw["text"]["text"]] if "text" in raw else [f["text"] for f in raw.get("fields", [])]
        texts += [e["text"] for e in raw.get("elements", [])]
        for text in texts:
            assert text.count("```") % 2 == 0, text


def test_week_reply_exact(store: Store) -> None:
    message = report_message(report_for(store, "week"), NOW)
    assert message == Message(WEEK_TEXT, WEEK_BLOCKS)
    assert_valid_for_slack(message)


def test_models_view_lists_models_only(store: Store) -> None:
    message = report_message(report_for(store, "week"), NOW, "models")
    assert message.blocks == [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": "AI spend by model, last 7 days: 2026-11-15 to 2026-11-21 (UTC)",
                "emoji": True,
            },
        },
        WEEK_BLOCKS[1],
        mrkdwn(MODELS_TABLE),
        WEEK_BLOCKS[-1],
    ]
    assert "Top workspace" not in message.text and "Top model: claude-opus-4-8 $420.00." in message.text


def test_workspaces_view(store: Store) -> None:
    message = report_message(report_for(store, "week"), NOW, "workspaces")
    assert message.blocks[0]["text"]["text"] == "AI spend by workspace, last 7 days: 2026-11-15 to 2026-11-21 (UTC)"
    assert message.blocks[2] == mrkdwn(WORKSPACES_TABLE)


def test_month_reply_has_projection_budget_and_notes(store: Store) -> None:
    message = report_message(report_for(store, "month", budget=Decimal("1500")), NOW)
    sections = [b["text"]["text"] for b in message.blocks if b["type"] == "section" and "text" in b]
    assert "*Month to date* $1,288.50 · *projected month end* $1,702.50 (at $56.75/day, from 21 days with spend)" in (
        sections
    )
    assert (
        "*Budget* `████████▋·` $1,288.50 of $1,500.00 this month (85.9%); projected $1,702.50 (113.5%)"
        "  :warning: on track to go over"
    ) in sections
    assert message.blocks[-1] == context(
        "• Today (2026-11-22) is partial: it shows the spend reported so far.\n"
        "• No data before 2026-11-01 has been synced for Anthropic; the previous period is incomplete.\n"
        "• No data before 2026-11-01 has been synced for OpenAI; the previous period is incomplete."
    )
    assert message.text.endswith(
        "Projected month end $1,702.50. Budget $1,288.50 of $1,500.00 used (85.9%), projected $1,702.50 (113.5%)."
    )
    assert_valid_for_slack(message)


def test_failed_sync_shows_a_warning_line_once(tmp_path: Path) -> None:
    with store_at(tmp_path / "spend.db", openai_failed=True) as store:
        message = report_message(report_for(store, "week"), NOW)
    assert message.blocks[2] == mrkdwn(
        ":warning: *OpenAI*: the last sync failed (OpenAI answered HTTP 503 three times). Figures may be stale "
        "(last good sync 4 h ago); check the bot's log or run `aispend doctor`."
    )
    assert message.blocks[3]["fields"][1] == {
        "type": "mrkdwn",
        "text": "*OpenAI*\n$78.75 (12%) · :warning: sync failed",
        "verbatim": True,
    }
    # the report's note says the same thing: it is not repeated at the bottom
    assert message.blocks[-1] == WEEK_BLOCKS[-1]
    assert message.text.endswith("⚠ OpenAI: last sync failed (OpenAI answered HTTP 503 three times).")


def test_budget_message_with_and_without_budget(store: Store) -> None:
    without = budget_message(report_for(store, "month"), NOW, None)
    assert without.blocks[1] == mrkdwn(
        "No monthly budget is set. Month to date: *$1,288.50*.\n"
        "An admin can set one with `/aispend budget set 500`, or set AISPEND_MONTHLY_BUDGET_USD."
    )
    assert without.text == "November 2026: no monthly budget is set; month to date $1,288.50."
    over = budget_message(report_for(store, "month", budget=Decimal("1000")), NOW, "From AISPEND_MONTHLY_BUDGET_USD.")
    assert over.blocks[0]["text"]["text"] == "AI spend budget, November 2026"
    assert over.blocks[1] == mrkdwn(
        "*Budget* `██████████` $1,288.50 of $1,000.00 this month (128.8%); projected $1,702.50 (170.2%)"
        "  :rotating_light: over budget\n_From AISPEND_MONTHLY_BUDGET_USD._"
    )
    assert over.text == ("November 2026: budget $1,288.50 of $1,000.00 used (128.8%), projected $1,702.50 (170.2%)")
    assert_valid_for_slack(over)


# --- limits -------------------------------------------------------------------------------------------------------


def huge_report(n: int = 300) -> Report:
    """400 days, hundreds of models and workspaces with long hostile names, many notes and an error."""
    period = parse_period("400d", TODAY)
    evil = "<!channel> & <@U1> " + "w" * 3000
    models = [ModelLine("openai", f"{evil}-{i}", Decimal(1000 - i)) for i in range(n)]
    workspaces = [WorkspaceLine("anthropic", f"id{i}", f"{evil}{i}", i % 2 == 0, Decimal(1000 - i)) for i in range(n)]
    providers = [
        ProviderLine("anthropic", Decimal("1e6"), "ok", "2026-11-22T09:00:00Z"),
        ProviderLine("openai", Decimal(5), "error", None, "boom <b> " + "e" * 5000),
    ] + [ProviderLine(f"p{i}", Decimal(1), "ok", None) for i in range(20)]
    daily = [DayLine(period.start + timedelta(days=i), Decimal(i), {}) for i in range(period.days)]
    return Report(
        period=period,
        previous_total=Decimal(0),
        total=Decimal("123456789.123"),
        change_pct=None,
        providers=providers,
        models=models,
        workspaces=workspaces,
        daily=daily,
        tokens=TokenTotals(10**12, 10**11, 10**10, 10**9),
        cache_hit_ratio=Decimal("0.01"),
        notes=[f"note {i} <&> " + "n" * 400 for i in range(100)],
        month=None,
        budget=None,
        generated_at=NOW,
    )


@pytest.mark.parametrize("view", ["summary", "models", "workspaces"])
def test_huge_reports_fit_slack_limits(view: Any) -> None:
    message = report_message(huge_report(), NOW, view)
    assert_valid_for_slack(message)
    everything = json.dumps(message.blocks) + message.text
    assert "<!channel>" not in everything and "<@U1>" not in everything and "<b>" not in everything
    assert len(message.text) <= 3000


def test_summary_of_a_huge_report_caps_fields_sparkline_and_notes() -> None:
    message = report_message(huge_report(), NOW)
    fields = next(b["fields"] for b in message.blocks if "fields" in b)
    assert len(fields) == 10 and fields[-1]["text"] == "… and 13 more"
    daily = next(b["text"]["text"] for b in message.blocks if b.get("text", {}).get("text", "").startswith("*Daily*"))
    sparkline = daily.split("`")[1]
    assert daily.startswith("*Daily* (each mark is 7 days)  `") and len(sparkline) == 58  # 400 days in 7-day marks
    notes = message.blocks[-1]["elements"][0]["text"]
    assert notes.startswith("• note 0 &lt;&amp;&gt; nnn") and notes.endswith("…") and len(notes) <= 2000


def test_list_views_show_twenty_rows_and_the_rest_summed() -> None:
    message = report_message(huge_report(25), NOW, "models")
    table = message.blocks[3]["text"]["text"]
    rows = table.strip("`").split("\n")
    assert len(rows) == 21
    assert rows[0].startswith("&lt;!channel&gt; &amp; &lt;@U1&gt; wwwwwwwwwwwwwwwwww… · OpenAI")
    assert rows[0].endswith("$1,000.00  ██████████")
    assert rows[-1].startswith("… 5 more ") and rows[-1].endswith(" $4,890.00")


def test_fit_blocks_caps_the_count_with_a_note() -> None:
    blocks = [section(f"block {i}") for i in range(60)]
    fitted = fit_blocks(blocks)
    assert len(fitted) == MAX_BLOCKS
    assert fitted[:-1] == blocks[: MAX_BLOCKS - 1] and fitted[-1] == context(CUT_NOTE)
    assert fit_blocks(blocks[:50]) == blocks[:50]


def test_fit_blocks_caps_the_total_size() -> None:
    blocks = [section("x" * 2900) for _ in range(10)]
    fitted = fit_blocks(blocks)
    assert fitted == [*blocks[:3], context(CUT_NOTE)]
    assert blocks_size(fitted) <= MAX_BLOCKS_JSON


def test_truncate_mrkdwn_keeps_code_blocks_closed_and_escapes_whole() -> None:
    assert truncate_mrkdwn("short", 10) == "short"
    assert truncate_mrkdwn("```" + "a" * 50 + "```", 20) == "```" + "a" * 13 + "…```"
    assert truncate_mrkdwn("abc &amp; def", 10) == "abc …"
    assert truncate_mrkdwn("a" * 50, 20) == "a" * 16 + "…"

"""bot.pricing against what genai-prices 0.2.3 gets wrong for usage summed over a day, and the reconciliation lines.

Expected dollars are the providers' published list prices worked out by hand (reference anthropic-admin-api.md §7,
openai-admin-api.md §7), not read back from the price database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from genai_prices import Usage, calc_price

from bot.alerts.digest import digest_message
from bot.estimates import LAGGING, PRIORITY, TODAY, build_estimates, estimates_json
from bot.periods import parse_period
from bot.pricing import LIST_PRICE, STANDARD_FOR_PRIORITY, Price, Unpriced, price_usage
from bot.reconcile import DIFFERS, MATCH, build_reconciliation, difference_lines
from bot.records import PricedUsage
from bot.report import build_report
from tests.test_report import small_report_inputs

DAY = date(2026, 11, 20)
M = 1_000_000
USD = 10**9  # nano-dollars


def row(model: str = "claude-sonnet-4-6", provider: str = "anthropic", day: date = DAY, **kw: object) -> PricedUsage:
    fields: dict[str, object] = {
        "service_tier": "standard" if provider == "anthropic" else "default",
        "batch": False,
        "context_window": "0-200k" if provider == "anthropic" else "",
        "inference_geo": "global" if provider == "anthropic" else "",
        "uncached_input": 0,
        "cache_read": 0,
        "cache_write_5m": 0,
        "cache_write_1h": 0,
        "output": 0,
    }
    fields.update(kw)
    return PricedUsage(provider, day, model, **fields)  # type: ignore[arg-type]


def usd(result: Price | Unpriced) -> Decimal:
    assert isinstance(result, Price), result
    return result.nano / USD


def test_every_token_type_at_its_own_rate_and_exact_to_the_nano_dollar() -> None:
    # Sonnet 4.6: $3 input, $0.30 cache read, $3.75 5-minute write, $6 1-hour write, $15 output; $10 per 1000 searches
    priced = price_usage(
        row(uncached_input=M, cache_read=M, cache_write_5m=M, cache_write_1h=M, output=M, web_searches=1000)
    )
    assert usd(priced) == Decimal("3") + Decimal("0.3") + Decimal("3.75") + Decimal("6") + Decimal("15") + 10
    assert isinstance(priced, Price) and priced.web_nano == 10 * USD and priced.basis == LIST_PRICE
    # one cached token of gpt-4o-mini is $0.075 per MTok: 75 nano-dollars, no float anywhere
    one = price_usage(row("gpt-4o-mini-2024-07-18", "openai", cache_read=1))
    assert isinstance(one, Price) and one.nano == Decimal(75) and type(one.nano) is Decimal


def test_a_days_sum_is_priced_at_the_base_rate_not_the_long_context_cliff() -> None:
    # 10M input tokens in a day are many short requests: base rate. calc_price on the sum would use the >200k tier
    day_sum = row("claude-sonnet-4-5", uncached_input=10 * M, output=M)
    assert usd(price_usage(day_sum)) == 30 + 15
    when = datetime(2026, 11, 20, 12, tzinfo=UTC)
    wrong = calc_price(Usage(input_tokens=10 * M, output_tokens=M), "claude-sonnet-4-5", provider_id="anthropic",
                       genai_request_timestamp=when)  # fmt: skip
    assert wrong.total_price == 60 + Decimal("22.5")  # what the database alone would have said
    # the usage report's 200k-1M window gets the long-context rate ($6 / $22.50), where the model has one
    assert usd(price_usage(row("claude-sonnet-4-5", context_window="200k-1M", uncached_input=M, output=M))) == Decimal(
        "28.5"
    )
    # Claude 4.6 and later are billed at the standard rate across the 1M window
    assert usd(price_usage(row(context_window="200k-1M", uncached_input=M, output=M))) == 18


def test_batch_is_half_price_from_the_service_tier_and_before_the_databases_batch_dates() -> None:
    # Anthropic reports batch as service_tier "batch"; the database ignores that and has batch prices only from
    # 2026-10-14, so both a November and a September day must come out at half of $1 / $5 (Haiku 4.5)
    for day in (DAY, date(2026, 9, 1)):
        batch = row("claude-haiku-4-5", day=day, service_tier="batch", batch=True, uncached_input=M, output=M)
        assert usd(price_usage(batch)) == 3, day
    early = price_usage(row("claude-haiku-4-5", day=date(2026, 9, 1), service_tier="batch", batch=True, output=M))
    assert isinstance(early, Price) and early.adjustments and "batch 50 %" in early.adjustments[0]
    # OpenAI's batch flag: half of gpt-4o-mini's $0.15 input
    assert usd(price_usage(row("gpt-4o-mini-2024-07-18", "openai", batch=True, uncached_input=M))) == Decimal("0.075")


def test_priority_tier_is_priced_at_standard_list_price_and_labelled_so() -> None:
    for tier in ("priority", "priority_on_demand"):
        priced = price_usage(row(service_tier=tier, uncached_input=M, output=M))
        assert isinstance(priced, Price) and priced.basis == STANDARD_FOR_PRIORITY and usd(priced) == 18


def test_us_only_inference_costs_a_tenth_more_for_claude_4_6_and_later() -> None:
    assert (
        usd(price_usage(row(inference_geo="us", uncached_input=M, output=M, web_searches=1000))) == Decimal("19.8") + 10
    )  # searches are not a token category
    assert usd(price_usage(row("claude-opus-4-5", inference_geo="us", uncached_input=M))) == 5


def test_what_has_no_price_is_unpriced_never_zero() -> None:
    cases = [
        row("claude-mythos-5", uncached_input=M),  # the database does not know it
        row(service_tier="flex", uncached_input=M),  # Anthropic's flex has no list price
        row("gpt-4o-2024-08-06", "openai", service_tier="flex", uncached_input=M),  # no flex variant: not standard
        row("ft:gpt-4o-2024-08-06:acme::x1", "openai", cache_read=10),  # no cached-input price for the fine-tune
        row("", uncached_input=M),
    ]
    for case in cases:
        assert isinstance(price_usage(case), Unpriced), case
    estimates = build_estimates(cases, {}, DAY, DAY, today=DAY)
    assert estimates.lines == () and estimates.total == 0 and len(estimates.unpriced) == len(cases)
    assert {u["model"] for u in estimates_json(estimates)["unpriced"]} == {c.model for c in cases}


def test_only_usage_the_bill_does_not_cover_is_estimated() -> None:
    today = DAY
    rows = [
        row(day=today, uncached_input=M),  # today, not billed yet
        row(day=date(2026, 11, 19), uncached_input=M),  # a complete day the cost report has not filled
        row(day=date(2026, 11, 18), uncached_input=M),  # billed: the bill has it
        row(day=date(2026, 11, 18), service_tier="priority", output=M),  # never billed
        row("gpt-5.5-2026-04-23", "openai", day=today, output=M),  # OpenAI billed today already
    ]
    billed = {(date(2026, 11, 18), "anthropic"): 5 * USD, (today, "openai"): USD}
    e = build_estimates(rows, billed, date(2026, 11, 18), today, today=today)
    assert [(x.day.day, x.provider, x.usd, x.reason) for x in e.lines] == [
        (18, "anthropic", Decimal(15), PRIORITY),
        (19, "anthropic", Decimal(3), LAGGING),
        (20, "anthropic", Decimal(3), TODAY),
    ]
    assert e.total == 21


def test_reconciliation_flags_a_provider_day_billed_more_than_ten_percent_off() -> None:
    week = parse_period("week", date(2026, 11, 25))
    day = date(2026, 11, 24)
    rows = [row("gpt-5.5-2026-04-23", "openai", day=day, output=M), row(day=day, uncached_input=M)]
    billed = {(day, "openai", "gpt-5.5-2026-04-23"): 66 * USD, (day, "anthropic", "claude-sonnet-4-6"): 3 * USD}
    r = build_reconciliation(week, rows, billed, {(day, "openai"), (day, "anthropic")})
    assert [(x.provider, x.status, x.ratio) for x in r.rows] == [
        ("anthropic", MATCH, Decimal("1.00")),
        ("openai", DIFFERS, Decimal("2.20")),
    ]
    lines = difference_lines(r)
    assert lines == [
        "OpenAI billed 2.2× the list-price estimate on Nov 24 ($66.00 billed, $30.00 estimated): a price change, "
        "a discount, or an unpriced product"
    ]
    report = build_report(small_report_inputs(), parse_period("yesterday", date(2026, 11, 21)), now=datetime(
        2026, 11, 21, 9, tzinfo=UTC), budget=None)  # fmt: skip
    message = digest_message(report, lines)
    assert "OpenAI billed 2.2× the list-price estimate on Nov 24" in message.text
    assert "Billed vs list-price estimate" in str(message.blocks)
    # 10 % is the line: within it, no line
    near = {**billed, (day, "openai", "gpt-5.5-2026-04-23"): 33 * USD}
    assert difference_lines(build_reconciliation(week, rows, near, {(day, "openai")})) == []


def test_provider_model_names_are_escaped_in_estimates_and_reconciliation() -> None:
    import dataclasses
    import json

    from bot.reconcile import render_reconciliation
    from bot.render_text import render_text
    from bot.safe_text import terminal
    from bot.slack.blocks import report_message

    hostile = "<!channel> *x* `y` \x1b[31m<https://evil.example|click>"
    day = date(2026, 11, 20)
    rows = [row(hostile, day=day, uncached_input=M), row(day=day, uncached_input=M)]
    estimates = build_estimates(rows, {}, day, day, today=day)
    assert estimates.unpriced and estimates.lines
    now = datetime(2026, 11, 20, 16, tzinfo=UTC)
    report = dataclasses.replace(
        build_report(small_report_inputs(), parse_period("today", day), now=now, budget=None), estimates=estimates
    )
    message = report_message(report, now)
    shown = message.text + json.dumps(message.blocks)
    for bad in ("<!channel>", "<https://", "\x1b", "\\u001b"):
        assert bad not in shown
    text = terminal(render_text(report, now))
    assert "\x1b" not in text and "unpriced" in text
    r = build_reconciliation(parse_period("week", day + timedelta(days=1)), rows, {}, {(day, "anthropic")})
    assert "\x1b" not in terminal(render_reconciliation(r))


def test_a_billed_day_without_priced_usage_is_named_not_compared() -> None:
    # a database from before migration 010 has billed days and no usage at the pricing grain
    day = date(2026, 11, 20)
    billed = {(day, "anthropic", "claude-sonnet-4-6"): 3 * USD}
    r = build_reconciliation(parse_period("week", day + timedelta(days=1)), [], billed, {(day, "anthropic")})
    assert [x.status for x in r.rows] == ["no_usage"] and r.providers == ()
    assert any("no usage stored at the grain a price needs for 2026-11-20" in note for note in r.notes)

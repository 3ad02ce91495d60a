"""Usage by kind (issue 14 item 3): every OpenAI usage endpoint and Anthropic's context window, inference geo and web
search requests, fetched from the simulator, stored in real SQLite, upgraded into older databases, and reported."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.config import Secret, Settings
from bot.periods import parse_period
from bot.providers import build_providers
from bot.providers.base import Provider
from bot.records import ProviderData
from bot.report import load_report
from bot.report.usage import build_usage
from bot.report_json import dumps_report
from bot.simulator import ANTHROPIC_KEY, OPENAI_KEY, Fault, Org, Simulator
from bot.slack.blocks import report_message
from bot.store import Store
from bot.sync import SyncResult, sync_providers
from bot.usage_kinds import KindSum

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
ONE = timedelta(days=1)
FIRST_RELEASE = Path(__file__).parent / "data" / "first-release.sqlite"
IMAGES = "/v1/organization/usage/images"
Row = tuple[object, ...]
# the group fields each simulated OpenAI family is asked for beyond project and model, in the provider's order
DETAILS = {"images": ("size", "source"), "web_search_calls": ("context_level",)}


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(today=TODAY) as running:
        yield running


def providers_for(sim: Simulator, only: str | None = None) -> list[Provider]:
    settings = Settings(
        anthropic_admin_key=Secret(ANTHROPIC_KEY) if only in (None, "anthropic") else None,
        openai_admin_key=Secret(OPENAI_KEY) if only in (None, "openai") else None,
        anthropic_base_url=sim.anthropic_url,
        openai_base_url=sim.openai_url,
    )
    return build_providers(settings, timeout=10.0, sleep=lambda _: None)


def sync(store: Store, providers: list[Provider], now: datetime = NOW, backfill: int = 10) -> list[SyncResult]:
    return sync_providers(store, providers, now=now, backfill_days=backfill)


def stored(path: Path, provider: str) -> list[Row]:
    conn = sqlite3.connect(path)
    try:
        sql = (
            "SELECT day, provider, kind, workspace_id, model, service_tier, batch, detail, metric, quantity "
            "FROM usage_kinds_daily WHERE provider = ? ORDER BY day, kind, workspace_id, model, service_tier, batch, "
            "detail, metric"
        )
        return [tuple(r) for r in conn.execute(sql, (provider,)).fetchall()]
    finally:
        conn.close()


def _rows(sums: dict[tuple[object, ...], int]) -> list[Row]:
    return sorted((*key, quantity) for key, quantity in sums.items() if quantity)  # type: ignore[misc]


def served_openai(org: Org, start: date, end_excl: date) -> list[Row]:
    """What the simulator serves for OpenAI, summed at the grain aispend asks for: every family by project, model
    and its priced dimensions, and completions by project, model, service tier and batch."""
    sums: dict[tuple[object, ...], int] = {}
    day = start
    while day < end_excl:
        iso = day.isoformat()
        for row in org.openai_kinds_day(day):
            detail = "; ".join(f"{name}={dict(row.dims)[name]}" for name in DETAILS.get(row.family, ()))
            for metric, quantity in row.metrics:
                key = (iso, "openai", row.family, row.project_id or "", row.model or "", "", "", detail, metric)
                sums[key] = sums.get(key, 0) + quantity
        for u in org.openai_day(day).usage:
            grain = (
                iso,
                "openai",
                "completions",
                u.project_id or "",
                u.model,
                u.service_tier,
                str(u.batch).lower(),
                "",
            )
            counts = {
                "input_tokens": u.input_tokens,
                "output_tokens": u.output_tokens,
                "input_cached_tokens": u.input_cached_tokens,
                "num_model_requests": u.num_model_requests,
            }
            for metric, quantity in counts.items():
                sums[(*grain, metric)] = sums.get((*grain, metric), 0) + quantity
        day += ONE
    return _rows(sums)


def served_anthropic(org: Org, start: date, end_excl: date) -> list[Row]:
    """Anthropic's usage rows summed over keys, by workspace, model, tier, context window and inference geo."""
    sums: dict[tuple[object, ...], int] = {}
    day = start
    while day < end_excl:
        for u in org.anthropic_day(day).usage:
            detail = f"context_window={u.context_window}; inference_geo={u.inference_geo}"
            grain = (day.isoformat(), "anthropic")
            where = (u.workspace_id or "", u.model, u.service_tier, "", detail)
            counts = {
                ("messages", "uncached_input_tokens"): u.uncached,
                ("messages", "cache_read_input_tokens"): u.cache_read,
                ("messages", "cache_write_5m_input_tokens"): u.cache_5m,
                ("messages", "cache_write_1h_input_tokens"): u.cache_1h,
                ("messages", "output_tokens"): u.output,
                ("web_search", "web_search_requests"): u.web_search,
            }
            for (kind, metric), quantity in counts.items():
                key = (*grain, kind, *where, metric)
                sums[key] = sums.get(key, 0) + quantity
        day += ONE
    return _rows(sums)


def report_json(store: Store, period: str = "week") -> dict[str, Any]:
    report = load_report(
        store, parse_period(period, TODAY), now=NOW, configured=("anthropic", "openai"), budget_usd=None
    )
    loaded: dict[str, Any] = json.loads(dumps_report(report), parse_float=Decimal)
    return loaded


# ---- fetched and stored ---------------------------------------------------------------------------------------


def test_every_openai_usage_endpoint_is_fetched_and_stored_whole(sim: Simulator, tmp_path: Path) -> None:
    path = tmp_path / "aispend.db"
    with Store(path) as store:
        (result,) = sync(store, providers_for(sim, "openai"))
    assert result.ok and result.warnings == []
    rows = stored(path, "openai")
    assert rows == served_openai(sim.org, TODAY - 9 * ONE, TODAY + ONE)
    kinds = {row[2] for row in rows}
    assert kinds == {
        "completions",
        "embeddings",
        "moderations",
        "images",
        "audio_speeches",
        "audio_transcriptions",
        "vector_stores",
        "code_interpreter_sessions",
        "file_search_calls",
        "web_search_calls",
    }
    # completions keep service_tier and batch: the evals line runs as batch
    assert {(r[5], r[6]) for r in rows if r[2] == "completions"} == {("default", "true"), ("default", "false")}
    assert {r[6] for r in rows if r[2] != "completions"} == {""}  # not reported by the other endpoints
    # each endpoint was asked for with the spec's parameters, once per 31-day chunk
    asked = sorted(r.path.rsplit("/", 1)[1] for r in sim.requests if "/usage/" in r.path)
    assert asked == sorted(kinds)


def test_anthropic_keeps_context_window_inference_geo_and_web_search(sim: Simulator, tmp_path: Path) -> None:
    path = tmp_path / "aispend.db"
    with Store(path) as store:
        (result,) = sync(store, providers_for(sim, "anthropic"))
    assert result.ok and result.warnings == []
    rows = stored(path, "anthropic")
    assert rows == served_anthropic(sim.org, TODAY - 9 * ONE, TODAY + ONE)
    details = {r[7] for r in rows}
    assert "context_window=200k-1M; inference_geo=us" in details  # production's long-context traffic, US-only
    assert "context_window=0-200k; inference_geo=not_available" in details  # a model without geo support
    assert sum(int(str(r[9])) for r in rows if r[2] == "web_search") > 0
    detail_requests = [r for r in sim.requests if r.query.get("group_by[]", [None])[-1] == "inference_geo"]
    assert [r.query["group_by[]"] for r in detail_requests] == [
        ["workspace_id", "model", "service_tier", "context_window", "inference_geo"]  # 5: the API's most
    ]


# ---- a kind an organization cannot read ---------------------------------------------------------------------


def test_a_refused_usage_kind_is_a_note_and_keeps_its_stored_rows(sim: Simulator, tmp_path: Path) -> None:
    path = tmp_path / "aispend.db"
    with Store(path) as store:
        (first,) = sync(store, providers_for(sim, "openai"))
        before = stored(path, "openai")
        day = TODAY - ONE
        sim.org.revise("openai", day, Decimal(2))  # the provider revises the day: every count doubles
        sim.inject(Fault(provider="openai", path=IMAGES, status=404, times=None))
        (second,) = sync(store, providers_for(sim, "openai"), now=NOW + timedelta(hours=1))
        after = stored(path, "openai")
        report = report_json(store)
    assert first.ok and second.ok  # not a failed sync
    note = (
        "OpenAI images usage could not be read (HTTP 404: invalid_request_error: Simulated HTTP 404), so it shows "
        "what earlier syncs stored; the spend figures are complete. Nothing to do unless you use it."
    )
    assert second.warnings == [note]
    assert note in report["notes"]
    images = [r for r in after if r[2] == "images"]
    assert images == [r for r in before if r[2] == "images"]  # not replaced by the revised day, not deleted
    embeddings = {r[8]: r[9] for r in after if r[2] == "embeddings" and r[0] == day.isoformat()}
    was = {r[8]: r[9] for r in before if r[2] == "embeddings" and r[0] == day.isoformat()}
    assert embeddings == {m: 2 * int(str(q)) for m, q in was.items()}  # the other kinds were refetched


def test_an_auth_error_on_a_usage_kind_still_fails_the_sync(sim: Simulator, tmp_path: Path) -> None:
    with Store(tmp_path / "aispend.db") as store:
        sim.inject(Fault(provider="openai", path=IMAGES, status=403, times=None))
        (result,) = sync(store, providers_for(sim, "openai"))
    assert not result.ok and result.error is not None and "OPENAI_ADMIN_KEY" in result.error


# ---- older databases ----------------------------------------------------------------------------------------


def test_the_first_release_database_upgrades_and_gains_usage_by_kind(sim: Simulator, tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    shutil.copyfile(FIRST_RELEASE, path)
    with Store(path) as store:
        assert "011_usage_kinds" in store.applied_migrations()
        assert stored(path, "openai") == stored(path, "anthropic") == []
        results = sync(store, providers_for(sim))
    assert all(r.ok for r in results)
    for result in results:
        served = served_anthropic if result.provider == "anthropic" else served_openai
        rows = stored(path, result.provider)
        assert rows and rows == served(sim.org, result.start, result.end)


def test_a_database_synced_before_usage_by_kind_gains_it_on_the_next_sync(sim: Simulator, tmp_path: Path) -> None:
    """A database as the code before migration 011 leaves it: synced, with every earlier migration and no
    usage-by-kind tables (built by syncing, then removing what 011 adds)."""
    path = tmp_path / "main.db"
    with Store(path) as store:
        sync(store, providers_for(sim))
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DROP TABLE usage_kinds_daily")
        conn.execute("DROP TABLE usage_kind_status")
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = '011_usage_kinds'")
    conn.close()
    with Store(path) as store:
        assert store.pending_migrations() == [] and "011_usage_kinds" in store.applied_migrations()
        assert store.usage_kind_sums(TODAY - 9 * ONE, TODAY) == []
        results = sync(store, providers_for(sim), now=NOW + timedelta(hours=1))
    assert all(r.ok for r in results)
    for result in results:  # the incremental window (the trailing days) is filled
        served = served_anthropic if result.provider == "anthropic" else served_openai
        rows = stored(path, result.provider)
        assert rows and rows == served(sim.org, result.start, result.end)
        assert {r[0] for r in rows} == {(result.start + i * ONE).isoformat() for i in range(3)}


# ---- the report ---------------------------------------------------------------------------------------------


def test_report_json_gives_usage_by_kind_in_its_units(sim: Simulator, tmp_path: Path) -> None:
    with Store(tmp_path / "aispend.db") as store:
        sync(store, providers_for(sim))
        out = report_json(store)
    start, end_excl = TODAY - 7 * ONE, TODAY
    usage = {(u["provider"], u["kind"]): u for u in out["usage"]}
    truth: dict[tuple[str, str], dict[str, int]] = {}
    for served in (served_openai(sim.org, start, end_excl), served_anthropic(sim.org, start, end_excl)):
        for _, provider, kind, *_, metric, quantity in served:
            metrics = truth.setdefault((str(provider), str(kind)), {})
            metrics[str(metric)] = metrics.get(str(metric), 0) + int(str(quantity))
    assert {k: u["metrics"] for k, u in usage.items()} == truth
    units = {k: u["unit"] for k, u in usage.items()}
    assert units == {
        ("anthropic", "messages"): "tokens",
        ("anthropic", "web_search"): "calls",
        ("openai", "completions"): "tokens",
        ("openai", "embeddings"): "tokens",
        ("openai", "moderations"): "tokens",
        ("openai", "images"): "images",
        ("openai", "audio_speeches"): "characters",
        ("openai", "audio_transcriptions"): "seconds",
        ("openai", "vector_stores"): "gb_days",
        ("openai", "code_interpreter_sessions"): "sessions",
        ("openai", "file_search_calls"): "calls",
        ("openai", "web_search_calls"): "calls",
    }
    vector = usage[("openai", "vector_stores")]
    assert vector["quantity"] == Decimal(truth[("openai", "vector_stores")]["usage_bytes"]) / 10**9  # GB-days, exact
    images = usage[("openai", "images")]
    assert (images["quantity"], images["requests"]) == (
        truth[("openai", "images")]["images"],
        truth[("openai", "images")]["num_model_requests"],
    )
    assert {(x["model"], x["detail"]) for x in images["lines"]} == {
        ("gpt-image-1", "size=1024x1024; source=image.generation"),
        ("gpt-image-1", "size=1024x1792; source=image.edit"),
    }
    assert sum(x["quantity"] for x in images["lines"]) == images["quantity"]
    batch = [x for x in usage[("openai", "completions")]["lines"] if x["batch"]]
    assert batch and all(x["service_tier"] == "default" for x in batch)
    windows = {x["detail"] for x in usage[("anthropic", "messages")]["lines"]}
    assert "context_window=200k-1M; inference_geo=us" in windows
    # quantities only: the billed total is the daily figures' sum, untouched
    assert out["total_usd"] == sum(d["total_usd"] for d in out["daily"])
    assert not any("usd" in key for u in out["usage"] for key in u)


def test_text_and_slack_show_usage_beyond_tokens_with_provider_names_escaped(sim: Simulator, tmp_path: Path) -> None:
    from dataclasses import replace

    from bot.render_text import render_text

    with Store(tmp_path / "aispend.db") as store:
        sync(store, providers_for(sim))
        report = load_report(store, parse_period("week", TODAY), now=NOW, configured=("openai",), budget_usd=None)
    text = render_text(report, NOW)
    (line,) = [x for x in text.splitlines() if x.startswith("Other usage: ")]
    assert "images" in line and "GB-days (vector storage)" in line and "calls (web search)" in line
    assert "(embeddings)" in line and "completions" not in line  # the token counts already cover completions
    hostile = replace(
        report,
        usage=build_usage([KindSum("openai", "images", "<!channel> *x*", "", None, "", "images", 5)]),
    )
    message = report_message(hostile, NOW, "models")
    blob = json.dumps(message.blocks)
    assert "<!channel>" not in blob and "&lt;!channel&gt;" in blob
    assert "5 images" in blob
    summary = report_message(hostile, NOW, "summary")
    assert "Other usage: OpenAI 5 images" in summary.text


def test_anthropic_refusing_the_context_window_request_is_a_note_not_a_failed_sync() -> None:
    """An organization whose usage report refuses the context window / inference geo grouping (a 400) still syncs:
    the tokens, by key, are read as before, and the note says what is missing."""
    from tests.scripted_server import Reply, ScriptedServer, Seen
    from tests.test_anthropic_provider import (
        COST,
        EMPTY_REPORT,
        EMPTY_WORKSPACES,
        USAGE,
        WORKSPACES,
        bucket,
        fetch,
        route_spenders,
    )

    row = {"uncached_input_tokens": 10, "output_tokens": 5, "model": "claude-opus-4-8", "workspace_id": None}
    # an answer that echoes the key: the note is stored and shown, so it must not carry it
    said = f"group_by[]: bad value for key {ANTHROPIC_KEY}"
    refusal = {"type": "error", "error": {"type": "invalid_request_error", "message": said}}

    def usage(seen: Seen) -> Reply:
        if "inference_geo" in seen.query["group_by[]"]:
            return Reply(400, refusal)
        return Reply(200, {"data": [bucket("2026-11-21", [row])], "has_more": False, "next_page": None})

    with ScriptedServer() as server:
        server.route(COST, EMPTY_REPORT)
        server.route(USAGE, usage)
        server.route(WORKSPACES, EMPTY_WORKSPACES)
        route_spenders(server)
        data = fetch(server.url, [], start=date(2026, 11, 21), end=date(2026, 11, 22))
    assert [(u.day, u.model, u.input_tokens, u.output_tokens) for u in data.usage] == [
        (date(2026, 11, 21), "claude-opus-4-8", 10, 5)
    ]
    note = (
        "Anthropic messages and web search usage could not be read (HTTP 400: invalid_request_error: group_by[]: bad "
        "value for key ********), so it shows what earlier syncs stored; the spend figures are complete. Nothing to do "
        "unless you use it."
    )
    assert data.usage_kinds == [] and data.usage_kinds_fetched == ()
    assert data.usage_kinds_unavailable == {"messages": note, "web_search": note}
    assert note in data.warnings and ANTHROPIC_KEY not in repr(data)
    # the same refused request is the priced usage's (issue 14): none, and the store keeps what it has
    assert data.priced_usage == [] and data.priced_refused


# ---- the priced usage (issue 14) comes from the same request ----------------------------------------------------


def test_anthropic_priced_usage_is_the_context_window_request_summed_over_workspaces(
    sim: Simulator, tmp_path: Path
) -> None:
    """One usage request per chunk at the context window / geo grain feeds both the usage by kind and the priced
    usage, over the whole window (70 days here, past the 62 days estimates once read on their own)."""
    path = tmp_path / "aispend.db"
    with Store(path) as store:
        (result,) = sync(store, providers_for(sim, "anthropic"), backfill=70)
        priced = store.priced_usage(TODAY - 69 * ONE, TODAY)
    assert result.ok and result.warnings == []
    geo_requests = [r for r in sim.requests if "context_window" in r.query.get("group_by[]", [])]
    assert [r.query["group_by[]"] for r in geo_requests] == [
        ["workspace_id", "model", "service_tier", "context_window", "inference_geo"]
    ] * 3  # ceil(70 / 31): no second request at the priced grain
    metrics = {
        "uncached_input_tokens": 0,
        "cache_read_input_tokens": 1,
        "cache_write_5m_input_tokens": 2,
        "cache_write_1h_input_tokens": 3,
        "output_tokens": 4,
        "web_search_requests": 5,
    }
    from_kinds: dict[tuple[object, ...], list[int]] = {}
    for day, _, _, _, model, tier, _, detail, metric, quantity in stored(path, "anthropic"):
        window, geo = (part.split("=", 1)[1] for part in str(detail).split("; "))
        counts = from_kinds.setdefault((day, model, tier, window, geo), [0] * 6)
        counts[metrics[str(metric)]] += int(str(quantity))
    from_priced = {
        (r.day.isoformat(), r.model, r.service_tier, r.context_window, r.inference_geo): [
            r.uncached_input,
            r.cache_read,
            r.cache_write_5m,
            r.cache_write_1h,
            r.output,
            r.web_searches,
        ]
        for r in priced
        if any((r.uncached_input, r.cache_read, r.cache_write_5m, r.cache_write_1h, r.output, r.web_searches))
    }
    assert from_priced == from_kinds and len(from_priced) > 0
    assert min(r.day for r in priced) == TODAY - 69 * ONE  # the whole window, not its last 62 days
    assert all(r.batch == (r.service_tier == "batch") for r in priced)


def test_a_refused_priced_usage_request_keeps_the_stored_priced_rows(sim: Simulator, tmp_path: Path) -> None:
    with Store(tmp_path / "aispend.db") as store:
        (first,) = sync(store, providers_for(sim, "anthropic"))
        before = store.priced_usage(TODAY - 9 * ONE, TODAY)
        # a fetch of the same window whose context window / geo request was refused (see the test above)
        refused = ProviderData("anthropic", TODAY - 9 * ONE, TODAY + ONE, [], [], priced_refused=True)
        store.replace_provider_data(refused, NOW + timedelta(hours=1))
        kept = store.priced_usage(TODAY - 9 * ONE, TODAY)
        store.replace_provider_data(ProviderData("anthropic", TODAY - 9 * ONE, TODAY + ONE, [], []), NOW)
        replaced = store.priced_usage(TODAY - 9 * ONE, TODAY)
    assert first.ok and len(before) > 0
    assert kept == before  # not deleted by a fetch that could not read them
    assert replaced == []  # a fetch that read them replaces them

"""The benchmarks' code paths at a tiny size: every figure is produced, with the JSON shape run.py promises.

No timing is asserted (the numbers of a smoke run mean nothing); what is deterministic is checked exactly:
the figure names, the request counts against the documented minimum, and the formatting helpers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from tests.benchmarks import bench_sync
from tests.benchmarks.bench_report import baseline
from tests.benchmarks.bench_support import Figure, below, percentile
from tests.benchmarks.run import as_markdown, as_table

REPO = Path(__file__).resolve().parents[1]
KEYS = {"name", "value", "unit", "target", "ok"}


@pytest.fixture(scope="module")
def smoke_figures() -> list[dict[str, object]]:
    done = subprocess.run(
        [sys.executable, "tests/benchmarks/run.py", "--smoke", "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return [json.loads(line) for line in done.stdout.splitlines()]


def expected_names() -> set[str]:
    names = {
        "startup.report_cli",
        "startup.run_ready",
        "startup.run_first_ack",
        "memory.backfill_peak_rss",
        "memory.idle_bot_rss",
        "memory.idle_bot_rss_after_chart",
        "memory.idle_bot_peak_rss",
        "sync.backfill.anthropic.requests",
        "sync.backfill.openai.requests",
        "sync.backfill.requests",
        "sync.backfill.wall",
        "sync.backfill.critical_path",
        "sync.backfill.compute_floor",
        "sync.backfill.wall_vs_bound",
        "sync.naive.requests",
        "sync.naive.wall",
        "sync.naive.requests_ratio",
        "sync.naive.wall_ratio",
        "sync.incremental.anthropic.spread",
        "sync.incremental.openai.spread",
    }
    for path in ("report", "slack"):
        for period in ("week", "month", "400d"):
            names.add(f"{path}.{period}.flatness")
            for days in (3, 6):
                names |= {f"{path}.{period}.{days}d.p50", f"{path}.{period}.{days}d.p99"}
    for history in (10, 40):
        for provider in ("anthropic", "openai"):
            names.add(f"sync.incremental.{history}d.{provider}.requests")
    names |= {"home.build.3d.p50", "home.build.3d.p99", "home.blocks.3d.p99", "home.spenders.3d.p50"}
    return names | spender_names() | anomaly_names() | chart_names()


def anomaly_names() -> set[str]:
    names = {"anomaly.eval_seconds", "anomaly.corpus_seconds"}
    for rules in ("weekly_plain", "weekly", "daily", "daily_only"):
        for figure in ("detection_rate", "spike_detection_rate", "median_days_to_detection"):
            names.add(f"anomaly.{rules}.{figure}")
        names.add(f"anomaly.{rules}.false_alerts_per_scope_90d")
    return names


def chart_names() -> set[str]:
    rendered = {"charts.render_p99", "charts.render_p50", "charts.render_cpu_p99", "charts.data_from_store"}
    rendered.add("charts.first_chart_cold")
    return rendered | {"charts.idle_bot_rss_after_charts", "charts.idle_bot_peak_rss"}


def spender_names() -> set[str]:
    names = {"spenders.backfill.requests", "spenders.backfill.peak_rss", "spenders.db.usage_rows"}
    for provider in ("anthropic", "openai"):
        names |= {f"spenders.backfill.{provider}.requests", f"spenders.incremental.{provider}.spread"}
        names |= {f"spenders.incremental.{history}d.{provider}.requests" for history in (5, 10)}
    for report in ("keys.week", "users.week", "keys.month", "users.month", "week_reply"):
        names |= {f"spenders.{report}.14d.p50", f"spenders.{report}.14d.p99"}
    return names


def test_every_figure_is_produced_once(smoke_figures: list[dict[str, object]]) -> None:
    names = [figure["name"] for figure in smoke_figures]
    assert len(names) == len(set(names))
    assert set(names) == expected_names()


def test_each_figure_has_the_promised_json_shape(smoke_figures: list[dict[str, object]]) -> None:
    for figure in smoke_figures:
        assert set(figure) >= KEYS, figure
        assert set(figure) <= KEYS | {"note"}, figure
        assert isinstance(figure["name"], str)
        assert isinstance(figure["value"], int | float) and not isinstance(figure["value"], bool), figure
        assert isinstance(figure["unit"], str) and figure["unit"], figure
        assert isinstance(figure["target"], str)
        # a figure with a target says whether it was met; an informational one has neither
        if figure["target"]:
            assert isinstance(figure["ok"], bool), figure
        else:
            assert figure["ok"] is None, figure


def test_request_counts_are_the_documented_minimum(smoke_figures: list[dict[str, object]]) -> None:
    by_name = {figure["name"]: figure for figure in smoke_figures}
    # 40 days: Anthropic 2 cost + 2 usage by key + 2 usage by context window and geo (which the priced usage comes
    # from too) + 2 analytics cost pages + 1 page each of workspaces, keys and users + 40 Claude Code days (one
    # request each); OpenAI 1 cost + 2 pages of each of its 10 usage endpoints + 1 project page + 1 user page + the
    # key listings of its 2 projects; then the spend caps: Anthropic's one listing, OpenAI's organization limit and
    # the limits of its 2 active projects that spent
    assert {k: by_name[k]["value"] for k in ("sync.backfill.anthropic.requests", "sync.backfill.openai.requests")} == {
        "sync.backfill.anthropic.requests": 52,
        "sync.backfill.openai.requests": 28,
    }
    assert by_name["sync.backfill.requests"] == {
        "name": "sync.backfill.requests",
        "value": 80,
        "unit": "requests",
        "target": "= 80 (minimum)",
        "ok": True,
    }
    incremental = {k: v["value"] for k, v in by_name.items() if str(k).startswith("sync.incremental.")}
    assert incremental == {
        # 4 reports + analytics cost, keys, users + 3 Claude Code days + the spend caps listing
        "sync.incremental.10d.anthropic.requests": 11,
        # costs + 10 usage endpoints + projects, users, 2 projects' keys + 3 spend limits
        "sync.incremental.10d.openai.requests": 18,
        "sync.incremental.40d.anthropic.requests": 11,
        "sync.incremental.40d.openai.requests": 18,
        "sync.incremental.anthropic.spread": 0,
        "sync.incremental.openai.spread": 0,
    }
    # each is the minimum for its window
    assert all(by_name[k]["ok"] is True for k in incremental if str(k).endswith(".requests"))


def test_spender_requests_are_the_minimum_and_constant(smoke_figures: list[dict[str, object]]) -> None:
    by_name = {figure["name"]: figure for figure in smoke_figures}
    for name in ("spenders.backfill.anthropic.requests", "spenders.backfill.openai.requests"):
        assert by_name[name]["ok"] is True, by_name[name]
    assert by_name["spenders.backfill.requests"]["ok"] is True
    assert {by_name[f"spenders.incremental.{p}.spread"]["value"] for p in ("anthropic", "openai")} == {0}
    # the replies were built from a database that holds spender rows, not an empty one
    assert isinstance(by_name["spenders.db.usage_rows"]["value"], int | float)
    assert by_name["spenders.db.usage_rows"]["value"] > 0
    assert by_name["spenders.backfill.peak_rss"]["unit"] == "MB"


def test_minimum_requests_follow_the_limit_caps() -> None:
    # 400 days: ceil(400/31) = 13 pages per 31-day report (Anthropic: cost, usage by key, usage by context window
    # and geo; OpenAI: its 10 usage endpoints), ceil(400/180) = 3 OpenAI cost pages
    assert bench_sync.min_requests("anthropic", 400, 40) == 13 * 3 + 1 + 90  # Claude Code: its last 90 days
    assert bench_sync.min_requests("openai", 400, 40) == 3 + 13 * 10 + 1
    assert bench_sync.min_requests("openai", 400, 250) == 3 + 13 * 10 + 3
    # Anthropic's spenders over 400 days to 2026-11-22: the analytics API from 2026-01-01 (326 days, 11 chunks of
    # at most 31, one page each for the demo organization) + one page of keys + one of users
    org = bench_sync.Org(bench_sync.TODAY)
    end = bench_sync.TODAY + timedelta(days=1)
    assert bench_sync.anthropic_spender_pages(org, end - timedelta(days=400), end) == 11 + 1 + 1
    assert bench_sync.min_requests("anthropic", 400, 40, 13) == 13 * 3 + 1 + 13 + 90


def test_flatness_compares_histories_that_hold_the_period() -> None:
    sizes = (30, 365, 730)
    assert [baseline(sizes, days) for days in (7, 22, 400)] == [30, 30, 365]


def test_percentile_is_nearest_rank() -> None:
    samples = [float(n) for n in range(50, 0, -1)]
    assert (percentile(samples, 50), percentile(samples, 99), percentile(samples, 100)) == (25.0, 50.0, 50.0)


def test_table_and_markdown_show_value_target_and_verdict() -> None:
    figures = [
        below("report.week.730d.p99", 12.3456, "ms", 50, note="50 runs"),
        Figure("sync.backfill.requests", 45, "requests", "= 44 (minimum)", False),
    ]
    assert as_table(figures).splitlines() == [
        "figure                  value        target",
        "report.week.730d.p99    12.3 ms      < 50 ms         ok",
        "sync.backfill.requests  45 requests  = 44 (minimum)  MISSED",
        "",
        "How the figures were measured:",
        "  report.week.730d.p99: 50 runs",
    ]
    where = {"nproc": "2", "cpu": "CPU X", "memory": "1 MiB", "python": "3.11.7", "sqlite": "3.40.1", "platform": "P"}
    assert as_markdown(figures, where).splitlines()[2:] == [
        "| What | Result | Target | Met |",
        "|---|---|---|---|",
        "| `report.week.730d.p99` | 12.3 ms | < 50 ms | yes |",
        "| `sync.backfill.requests` | 45 requests | = 44 (minimum) | **no** |",
    ]


def test_the_load_script_runs_a_small_burst_end_to_end() -> None:
    """20 signed commands through the real server while a sync writes: every one acked and answered, none locked."""
    done = subprocess.run(
        [sys.executable, "tests/benchmarks/load_slash.py", "--requests", "20", "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout)
    (burst,) = figures["runs"]
    assert burst["statuses"] == {"200": 20} and burst["client_errors"] == {}
    assert burst["answers_expected"] == 18  # every command but the two `help`s (answered in the ack)
    assert burst["answers_received"] == 18
    assert (burst["answers_locked_or_apologising"], burst["locked_in_server_log"], burst["errors_in_server_log"]) == (
        0,
        0,
        0,
    )
    assert burst["syncs_failed"] == 0
    assert set(figures["summary"]) == {
        "runs",
        "all_acked_within_3s",
        "median_ack_p50_ms",
        "median_ack_p99_ms",
        "worst_ack_p99_ms",
        "runs_with_p99_under_250_ms",
        "locked_or_apologising",
    }

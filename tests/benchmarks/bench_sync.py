"""Issue 6 §2-3: what a sync costs the providers' rate limits, and how long it takes.

Against the simulator (scale mode, N_WORKSPACES workspaces/projects × N_MODELS models, in its own process) with
LATENCY seconds slept before every answer, through the real provider clients and bot.sync.sync_providers:

- Backfill of BACKFILL_DAYS days of both providers into an empty database:
  * requests, against the minimum the documented `limit` caps allow (MIN_REQUESTS below);
  * wall time, against the critical-path lower bound. Requests inside one chunk must be sequential (each
    needs the previous page's cursor), and so must the pages of a label listing; chunks run concurrently.
    So the bound is (longest cursor chain) × latency. At this size a sync also parses and stores ~440k rows,
    which no schedule of requests can hide, so the target compares the wall with
    `compute floor + chain × latency`, where the compute floor is the same backfill with zero latency;
  * the naive client of the cookbook (one day per request, sequentially, per endpoint): timed on a sample of
    NAIVE_SAMPLE_DAYS days per endpoint and extrapolated to the whole backfill (running it all would take
    ~1600 requests × latency).
- Incremental: after backfills of several history lengths, the next scheduled sync (an hour later); its
  requests per provider must stay constant as history grows and be the minimum for its window: one page of each
  report (Anthropic: cost, usage by key, usage by context window and geo; OpenAI: costs and its 10 usage endpoints),
  the label page, the spender pages (OpenAI lists the keys of each project whose keys spent in the window),
  Anthropic's one Claude Code request per day of the window and the spend caps (bench_sync.cap_requests).
"""

from __future__ import annotations

import math
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

from bot.config import Secret, Settings
from bot.providers import build_providers
from bot.providers.anthropic_claude_code import MAX_DAYS as CLAUDE_CODE_DAYS
from bot.simulator import ANTHROPIC_KEY, OPENAI_KEY, Org
from bot.store import Store
from bot.sync import SyncResult, sync_providers
from tests.benchmarks.bench_simproc import Seen, SimProcess, simulator_process
from tests.benchmarks.bench_support import Figure, info, median

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
N_WORKSPACES = 40
N_MODELS = 25
LATENCY = 0.05
BACKFILL_DAYS = 400
NAIVE_SAMPLE_DAYS = 10
RUNS = 3  # timed backfills at each latency (medians)
INCREMENTAL_HISTORIES = (30, 120, BACKFILL_DAYS)
WALL_TARGET = 1.3

# Documented caps (shared/reference/*-admin-api.md): buckets per page for daily reports, items per label page.
# Each report request a sync makes, by what it reads: Anthropic's usage report is asked twice (by key, and by
# context window and inference geo: 5 group_by[] dimensions at most), and OpenAI has ten usage endpoints.
_OPENAI_USAGE = ("completions", "embeddings", "moderations", "images", "audio_speeches", "audio_transcriptions")
_OPENAI_USAGE += ("vector_stores", "code_interpreter_sessions", "file_search_calls", "web_search_calls")
CAPS = {
    "anthropic": {
        "/v1/organizations/cost_report": 31,
        "/v1/organizations/usage_report/messages (by key)": 31,
        # usage by kind and the priced usage (issue 14) both come from this one request
        "/v1/organizations/usage_report/messages (by context window and inference geo)": 31,
    },
    "openai": {"/v1/organization/costs": 180, **{f"/v1/organization/usage/{kind}": 31 for kind in _OPENAI_USAGE}},
}
LABEL_PAGE = {"anthropic": ("/v1/organizations/workspaces", 1000), "openai": ("/v1/organization/projects", 100)}


def min_requests(provider: str, days: int, labels: int, spender_pages: int = 0) -> int:
    """One page per `cap` days on each report, plus the pages of the label listing (at least one), plus the
    spender requests (`spender_pages`: anthropic_spender_pages, openai_name_pages), plus for Anthropic Claude
    Code's one request per day (each day's actors fit one page) over at most its last 90 days."""
    reports = sum(math.ceil(days / cap) for cap in CAPS[provider].values())
    labels_pages = max(1, math.ceil(labels / LABEL_PAGE[provider][1]))
    return reports + labels_pages + spender_pages + claude_code_requests(provider, days)


def cap_requests(org: Org, provider: str, start: date, end: date) -> int:
    """Spend caps, once per sync: Anthropic's one listing; OpenAI's organization limit and the limit of each active
    project that spent in the window [start, end)."""
    if provider == "anthropic":
        return 1
    active = {p.id for p in org.listed_projects() if p.archived_at is None}
    days = [start + timedelta(days=i) for i in range((end - start).days)]
    spent = {row.project_id for day in days for row in org.openai_day(day).costs if row.nano() > 0}
    return 1 + len(active & spent)


def claude_code_requests(provider: str, days: int) -> int:
    """The Claude Code Analytics API serves one day per request: one per day of the window, capped."""
    return min(days, CLAUDE_CODE_DAYS) if provider == "anthropic" else 0


def anthropic_spender_pages(org: Org, start: date, end: date) -> int:
    """The fewest requests for Anthropic's spenders over [start, end): per 31-day analytics chunk (from 2026-01-01
    and within 365 days) ceil(rows / 1000) pages, at least one; one page per 1000 keys and per 1000 users."""
    first = min(end, max(start, date(2026, 1, 1), end - timedelta(days=365)))
    pages = 0
    day = first
    while day < end:
        stop = min(day + timedelta(days=31), end)
        rows = {
            (d, c.api_key_id, c.actor, c.workspace_id, c.model)
            for d in (day + timedelta(days=i) for i in range((stop - day).days))
            for c in org.anthropic_day(d).key_costs
        }
        pages += max(1, math.ceil(len(rows) / 1000))
        day = stop
    keys, users = len(org.anthropic_keys.keys), len(org.anthropic_keys.listed_users())
    return pages + max(1, math.ceil(keys / 1000)) + max(1, math.ceil(users / 1000))


def openai_name_pages(org: Org, days: int) -> int:
    """OpenAI's user listing, and the key listing of each project whose keys spent in the last `days` days."""
    people = org.openai_people
    pages = max(1, math.ceil(sum(u.listed for u in people.users) / 100))
    spent = {
        row.project_id
        for offset in range(days)
        for row in org.openai_day(TODAY - timedelta(days=offset)).usage
        if row.api_key_id and row.project_id
    }
    for project in spent:
        pages += max(1, math.ceil(sum(bool(s.key_id and s.listed) for s in people.of_project(project)) / 100))
    return pages


def settings_for(sim: SimProcess, db: Path) -> Settings:
    return Settings(
        anthropic_admin_key=Secret(ANTHROPIC_KEY),
        openai_admin_key=Secret(OPENAI_KEY),
        anthropic_base_url=sim.anthropic_url,
        openai_base_url=sim.openai_url,
        db_path=str(db),
        backfill_days=BACKFILL_DAYS,
    )


def sync_once(sim: SimProcess, db: Path, now: datetime, backfill_days: int) -> tuple[float, list[SyncResult]]:
    """One `aispend sync` (build_providers + sync_providers), timed from the first request to the last write."""
    settings = settings_for(sim, db)
    providers = build_providers(settings)
    try:
        with Store(db) as store:
            started = time.perf_counter()
            results = sync_providers(store, providers, now=now, backfill_days=backfill_days)
            wall = time.perf_counter() - started
    finally:
        for provider in providers:
            provider.close()
    failed = [r for r in results if not r.ok]
    if failed:
        raise RuntimeError(f"the benchmark sync failed: {failed[0].provider}: {failed[0].error}")
    return wall, results


def longest_chain(seen: list[Seen]) -> int:
    """Requests that had to follow each other: the most requests sharing one query (pages of one chunk/listing)."""
    chains = Counter((request.provider, request.path, request.query) for request in seen)
    return max(chains.values(), default=0)


def _scratch(work: Path, name: str) -> Path:
    """A fresh database path for a run whose database is not needed afterwards (each is ~100 MB)."""
    for old in work.glob(f"{name}-scratch.db*"):
        old.unlink()
    return work / f"{name}-scratch.db"


def naive_sample(sim: SimProcess, days: int) -> tuple[float, int]:
    """The cookbook's client: one day per request, one request after another, each report endpoint of both
    providers, following `has_more` pages; returns (seconds, requests) for `days` days per endpoint."""
    requests = 0
    anthropic_headers = {"x-api-key": ANTHROPIC_KEY, "anthropic-version": "2023-06-01"}
    openai_headers = {"authorization": f"Bearer {OPENAI_KEY}"}
    started = time.perf_counter()
    with httpx.Client(timeout=60) as client:
        for offset in range(days):
            day = TODAY - timedelta(days=offset + 1)
            nxt = day + timedelta(days=1)
            iso = (f"{day.isoformat()}T00:00:00Z", f"{nxt.isoformat()}T00:00:00Z")
            unix = (str(_unix(day)), str(_unix(nxt)))
            calls = [
                (
                    sim.anthropic_url + "/v1/organizations/cost_report",
                    anthropic_headers,
                    [
                        ("starting_at", iso[0]),
                        ("ending_at", iso[1]),
                        ("group_by[]", "workspace_id"),
                        ("group_by[]", "description"),
                    ],
                ),
                (
                    sim.anthropic_url + "/v1/organizations/usage_report/messages",
                    anthropic_headers,
                    [
                        ("starting_at", iso[0]),
                        ("ending_at", iso[1]),
                        ("bucket_width", "1d"),
                        ("group_by[]", "model"),
                        ("group_by[]", "workspace_id"),
                        ("group_by[]", "service_tier"),
                    ],
                ),
                (
                    sim.openai_url + "/organization/costs",
                    openai_headers,
                    [
                        ("start_time", unix[0]),
                        ("end_time", unix[1]),
                        ("group_by", "line_item"),
                        ("group_by", "project_id"),
                    ],
                ),
                (
                    sim.openai_url + "/organization/usage/completions",
                    openai_headers,
                    [
                        ("start_time", unix[0]),
                        ("end_time", unix[1]),
                        ("bucket_width", "1d"),
                        ("group_by", "model"),
                        ("group_by", "project_id"),
                    ],
                ),
            ]
            for url, headers, params in calls:
                page: str | None = None
                while True:
                    query = params + ([("page", page)] if page else [])
                    response = client.get(url, params=tuple(query), headers=headers)
                    body = response.raise_for_status().json()
                    requests += 1
                    if not body.get("has_more"):
                        break
                    page = body["next_page"]
    return time.perf_counter() - started, requests


def _unix(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def run(
    *,
    n_workspaces: int = N_WORKSPACES,
    n_models: int = N_MODELS,
    backfill_days: int = BACKFILL_DAYS,
    latency: float = LATENCY,
    runs: int = RUNS,
    naive_days: int = NAIVE_SAMPLE_DAYS,
    histories: tuple[int, ...] = INCREMENTAL_HISTORIES,
    directory: Path | None = None,
) -> list[Figure]:
    figures: list[Figure] = []
    org = Org(TODAY, n_workspaces=n_workspaces, n_models=n_models)
    labels = {"anthropic": len(org.listed_workspaces()), "openai": len(org.listed_projects())}
    first = TODAY - timedelta(days=backfill_days - 1)
    names = {
        "anthropic": anthropic_spender_pages(org, first, TODAY + timedelta(days=1)),
        "openai": openai_name_pages(org, backfill_days),
    }
    with (
        tempfile.TemporaryDirectory(prefix="aispend-bench-sync-", dir=directory) as tmp,
        simulator_process(TODAY, n_workspaces, n_models) as sim,
    ):
        work = Path(tmp)
        # --- the backfill at LATENCY: requests, chain, wall ----------------------------------------------------
        walls, floors = [], []
        results: list[SyncResult] = []
        chain = 0
        # the simulator computes each day once and caches it: warm it so no measured run pays for that
        sim.set_latency(0)
        sync_once(sim, _scratch(work, "warm-up"), NOW, backfill_days)
        served: Counter[str] = Counter()
        for attempt in range(runs):
            sim.set_latency(0)
            floors.append(sync_once(sim, _scratch(work, "floor"), NOW, backfill_days)[0])
            sim.set_latency(latency)
            sim.clear()
            db = work / "backfill.db" if attempt == 0 else _scratch(work, "backfill")
            wall, results = sync_once(sim, db, NOW, backfill_days)
            walls.append(wall)
            recorded = sim.requests()
            served = Counter(request.provider for request in recorded)
            chain = max(chain, longest_chain(recorded))
        by_provider = {r.provider: r for r in results}
        total, minimum = 0, 0
        for provider in ("anthropic", "openai"):
            made = served[provider]  # as the provider sees them: what its rate limit counts
            least = min_requests(provider, backfill_days, labels[provider], names[provider])
            least += cap_requests(org, provider, first, TODAY + timedelta(days=1))
            total, minimum = total + made, minimum + least
            figures.append(
                Figure(
                    f"sync.backfill.{provider}.requests",
                    made,
                    "requests",
                    f"= {least} (minimum)",
                    made == least,
                    f"{backfill_days}-day backfill, counted by the simulator (the client counted "
                    f"{by_provider[provider].requests}); minimum = Σ ceil(days / limit cap) over the reports "
                    f"+ label pages ({labels[provider]} labels) + {names[provider]} pages of key and user names "
                    "+ the spend-cap requests (Anthropic 1; OpenAI 1 + each active project that spent)",
                )
            )
        figures.append(Figure("sync.backfill.requests", total, "requests", f"= {minimum} (minimum)", total == minimum))
        wall, floor = median(walls), median(floors)
        critical = chain * latency
        bound = floor + critical
        rows = sum(r.rows for r in results)
        figures.append(
            info("sync.backfill.wall", wall, "s", f"{backfill_days} days, {rows} rows, {latency * 1000:g} ms latency")
        )
        figures.append(
            info(
                "sync.backfill.critical_path",
                critical,
                "s",
                f"longest cursor chain ({chain} request(s): pages of one chunk or label listing) × latency",
            )
        )
        figures.append(info("sync.backfill.compute_floor", floor, "s", "the same backfill with zero latency"))
        figures.append(
            Figure(
                "sync.backfill.wall_vs_bound",
                round(wall / bound, 3),
                "x",
                f"≤ {WALL_TARGET:g} x",
                wall / bound <= WALL_TARGET,
                f"wall / (compute floor + chain × latency) = {wall:.2f} / ({floor:.2f} + {critical:.3f})",
            )
        )
        # --- the naive client ------------------------------------------------------------------------------------
        sim.set_latency(latency)
        sample_wall, sample_requests = naive_sample(sim, naive_days)
        naive_requests = 4 * backfill_days + 2  # 4 report endpoints × days, + one label listing each
        naive_wall = sample_wall / sample_requests * naive_requests
        figures.append(
            info(
                "sync.naive.requests",
                naive_requests,
                "requests",
                "one day per request on each of the 4 report endpoints, + 2 label listings",
            )
        )
        figures.append(
            info(
                "sync.naive.wall",
                naive_wall,
                "s",
                f"extrapolated from a timed sample of {sample_requests} sequential requests "
                f"({naive_days} days × 4 endpoints, {sample_wall:.2f} s); fetch and decode only, nothing stored",
            )
        )
        figures.append(info("sync.naive.requests_ratio", naive_requests / total, "x", "naive requests / ours"))
        figures.append(info("sync.naive.wall_ratio", naive_wall / wall, "x", "naive wall / our backfill wall"))
        # --- incremental runs after growing histories --------------------------------------------------------
        later = NOW + timedelta(hours=1)
        counts: dict[str, list[int]] = {"anthropic": [], "openai": []}
        for history in histories:
            if history == backfill_days:
                db = work / "backfill.db"
            else:
                sim.set_latency(0)
                db = work / f"history-{history}.db"
                sync_once(sim, db, NOW, history)
            sim.set_latency(latency)
            _, incremental = sync_once(sim, db, later, history)
            for result in incremental:
                counts[result.provider].append(result.requests)
                days = (result.end - result.start).days
                if result.provider == "anthropic":
                    window_names = anthropic_spender_pages(org, result.start, result.end)
                else:
                    window_names = openai_name_pages(org, days)
                target = min_requests(result.provider, days, labels[result.provider], window_names)
                target += cap_requests(org, result.provider, result.start, result.end)
                figures.append(
                    Figure(
                        f"sync.incremental.{history}d.{result.provider}.requests",
                        result.requests,
                        "requests",
                        f"= {target} (minimum)",
                        result.requests == target,
                        f"the scheduled sync an hour after a {history}-day backfill "
                        f"(window {result.start}..{result.end - timedelta(days=1)}"
                        + ("; + one Claude Code request per day of it)" if result.provider == "anthropic" else ")"),
                    )
                )
        for provider, seen in counts.items():
            spread = max(seen) - min(seen)
            figures.append(
                Figure(
                    f"sync.incremental.{provider}.spread",
                    spread,
                    "requests",
                    "= 0 (constant)",
                    spread == 0,
                    f"max - min requests per scheduled run over histories of {', '.join(map(str, histories))} days",
                )
            )
    return figures

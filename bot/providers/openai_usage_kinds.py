"""OpenAI's usage endpoints beyond completions → usage-by-kind records, and completions by tier and batch.

One request per 31-day chunk per endpoint (the spec's `limit` cap for 1d buckets), grouped by project and, where
the endpoint has them, model and the dimensions that set a price: image `size` and `source`, web search
`context_level`. Not by key or user (the spenders come from completions and costs) nor by vector store (one row
per store would multiply rows without changing a price). Every field and grouping below is in the published
spec (openai/openai-openapi `openapi.yaml` @ f85dbe2, `/organization/usage/*`, `Usage*Result`); the counts each
result object requires are required here too: a row without one is a data error, never a zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial

from bot.providers.collect import count, opt_text
from bot.providers.http import FetchSession, JsonClient, JsonObject
from bot.providers.kinds import KindSums, read_kind
from bot.providers.windows import day_chunks, unix_seconds

PROVIDER = "openai"
DAYS_PER_REQUEST = 31
USAGE_PREFIX = "/organization/usage/"
COMPLETIONS = "completions"
# completions counts kept by tier and batch (the rest of its fields are modality splits of these)
COMPLETION_METRICS = (
    "input_tokens",
    "output_tokens",
    "input_cached_tokens",
    "input_cache_write_tokens",
    "num_model_requests",
)


@dataclass(frozen=True, slots=True)
class Endpoint:
    kind: str  # the path segment, and the bot.usage_kinds name
    result: str  # the `object` of its result rows
    metrics: tuple[str, ...]  # the counts its result object requires
    model: bool = True  # grouped by model (the endpoint has one)
    details: tuple[str, ...] = ()  # further groupings, kept in the record's `detail`


ENDPOINTS = (
    Endpoint("embeddings", "organization.usage.embeddings.result", ("input_tokens", "num_model_requests")),
    Endpoint("moderations", "organization.usage.moderations.result", ("input_tokens", "num_model_requests")),
    Endpoint(
        "images", "organization.usage.images.result", ("images", "num_model_requests"), details=("size", "source")
    ),
    Endpoint("audio_speeches", "organization.usage.audio_speeches.result", ("characters", "num_model_requests")),
    Endpoint(
        "audio_transcriptions", "organization.usage.audio_transcriptions.result", ("seconds", "num_model_requests")
    ),
    Endpoint("vector_stores", "organization.usage.vector_stores.result", ("usage_bytes",), model=False),
    Endpoint(
        "code_interpreter_sessions", "organization.usage.code_interpreter_sessions.result", ("num_sessions",), False
    ),
    Endpoint("file_search_calls", "organization.usage.file_searches.result", ("num_requests",), model=False),
    Endpoint(
        "web_search_calls",
        "organization.usage.web_searches.result",
        ("num_requests", "num_model_requests"),
        details=("context_level",),
    ),
)


def jobs(client: JsonClient, start: date, end: date) -> list[Callable[[FetchSession], KindSums]]:
    """One job per endpoint and 31-day chunk of [start, end)."""
    return [
        partial(_read, client, endpoint, lo, hi)
        for endpoint in ENDPOINTS
        for lo, hi in day_chunks(start, end, DAYS_PER_REQUEST)
    ]


def params(endpoint: Endpoint, lo: date, hi: date) -> list[tuple[str, str]]:
    groups = ("project_id", *(("model",) if endpoint.model else ()), *endpoint.details)
    return [
        ("start_time", str(unix_seconds(lo))),
        ("end_time", str(unix_seconds(hi))),
        ("bucket_width", "1d"),
        ("limit", str(DAYS_PER_REQUEST)),
        *(("group_by", g) for g in groups),
    ]


def _read(client: JsonClient, endpoint: Endpoint, lo: date, hi: date, session: FetchSession) -> KindSums:
    path = USAGE_PREFIX + endpoint.kind

    def add(out: KindSums, day: date, row: JsonObject) -> None:
        project = _text(client, path, day, row, "project_id")
        model = _text(client, path, day, row, "model") if endpoint.model else ""
        detail = "; ".join(f"{name}={_text(client, path, day, row, name)}" for name in endpoint.details)
        for metric in endpoint.metrics:
            quantity = _count(client, path, day, row, metric)
            out.add((day, endpoint.kind, project, model, "", None, detail, metric), quantity)

    return read_kind(
        client, PROVIDER, (endpoint.kind,), path, params(endpoint, lo, hi), "start_time", lo, hi, session, add
    )


def add_completions(client: JsonClient, out: KindSums, day: date, row: JsonObject, project: str, model: str) -> None:
    """A completions row (grouped by batch and service_tier) as kind records: its tier and batch kept."""
    path = USAGE_PREFIX + COMPLETIONS
    batch = row.get("batch")
    if batch is not None and not isinstance(batch, bool):
        raise client.data_error(path, f"`batch` for {day} is {batch!r}, not true, false or null")
    tier = _text(client, path, day, row, "service_tier")
    for metric in COMPLETION_METRICS:
        quantity = count(row.get(metric))
        if quantity is None:
            raise client.data_error(path, f"`{metric}` for {day} is {row.get(metric)!r}, not a whole number")
        out.add((day, COMPLETIONS, project, model, tier, batch, "", metric), quantity)


def _text(client: JsonClient, path: str, day: date, row: JsonObject, name: str) -> str:
    value = opt_text(row.get(name))
    if value is None:
        raise client.data_error(path, f"`{name}` for {day} is {row.get(name)!r}, not a string or null")
    return value


def _count(client: JsonClient, path: str, day: date, row: JsonObject, name: str) -> int:
    if name not in row:
        raise client.data_error(path, f"a usage row for {day} has no `{name}`")
    value = count(row[name])
    if value is None:
        raise client.data_error(path, f"`{name}` for {day} is {row[name]!r}, not a whole number")
    return value

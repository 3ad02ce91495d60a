"""OpenAI's usage endpoints beyond completions, as the simulator serves them: embeddings, moderations, images,
audio speeches and transcriptions, vector stores, code interpreter sessions, file search and web search calls.

Shapes, required counts, groupings and filters follow the published spec (openai/openai-openapi `openapi.yaml` @
f85dbe2: `/organization/usage/*` and the `Usage*Result` schemas): every result row carries its `object`, its counts
and each of the endpoint's group fields, null unless grouped by it. Each project has a few kind streams
(`STREAMS`, typical weekday volumes); a day's numbers come from the same hash as every other simulated figure, so
they are stable for a seed and scale with revisions. This usage is attributed to no API key or user (the served
`api_key_id`/`user_id` are null when grouped), and the cost report is left as it was: billed line items for these
products are the price catalog's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from bot.simulator.anthropic_data import day_permille, scaled
from bot.simulator.catalog import Project
from bot.simulator.paging import Query, values

_DAY_SECONDS = 86_400


@dataclass(frozen=True, slots=True)
class Family:
    """One endpoint: its result `object`, counts (required), group fields and the filter of each group field."""

    result: str
    metrics: tuple[str, ...]
    groups: tuple[str, ...]  # in the spec's order; every one is a key of each result row
    filters: dict[str, str]  # filter parameter -> the group field it filters on


_KEYED = ("project_id", "user_id", "api_key_id")
_KEY_FILTERS = {"project_ids": "project_id", "user_ids": "user_id", "api_key_ids": "api_key_id"}
_MODEL_FILTERS = {**_KEY_FILTERS, "models": "model"}
_PROJECT = ("project_id",)
_TOKENS = ("input_tokens", "num_model_requests")
_BY_MODEL = (*_KEYED, "model")
_PROJECT_FILTER = {"project_ids": "project_id"}


def _family(name: str, metrics: tuple[str, ...], groups: tuple[str, ...], filters: dict[str, str]) -> Family:
    return Family(f"organization.usage.{name}.result", metrics, groups, filters)


FAMILIES = {
    "embeddings": _family("embeddings", _TOKENS, _BY_MODEL, _MODEL_FILTERS),
    "moderations": _family("moderations", _TOKENS, _BY_MODEL, _MODEL_FILTERS),
    "images": _family(
        "images",
        ("images", "num_model_requests"),
        ("source", "size", *_BY_MODEL),
        {**_MODEL_FILTERS, "sizes": "size", "sources": "source"},
    ),
    "audio_speeches": _family("audio_speeches", ("characters", "num_model_requests"), _BY_MODEL, _MODEL_FILTERS),
    "audio_transcriptions": _family(
        "audio_transcriptions", ("seconds", "num_model_requests"), _BY_MODEL, _MODEL_FILTERS
    ),
    "vector_stores": _family("vector_stores", ("usage_bytes",), _PROJECT, _PROJECT_FILTER),
    "code_interpreter_sessions": _family("code_interpreter_sessions", ("num_sessions",), _PROJECT, _PROJECT_FILTER),
    # the result objects of the two tool-call endpoints are named for the tools, not the paths
    "file_search_calls": _family(
        "file_searches",
        ("num_requests",),
        (*_KEYED, "vector_store_id"),
        {**_KEY_FILTERS, "vector_store_ids": "vector_store_id"},
    ),
    "web_search_calls": _family(
        "web_searches",
        ("num_model_requests", "num_requests"),
        (*_BY_MODEL, "context_level"),
        {**_MODEL_FILTERS, "context_levels": "context_level"},
    ),
}


@dataclass(frozen=True, slots=True)
class Stream:
    """A project's typical weekday use of one family: the main count, requests, and the group values it has."""

    family: str
    model: str | None
    quantity: int  # the family's first metric that is not a request count (usage_bytes: bytes stored)
    requests: int = 0  # num_model_requests (and web search's num_requests is `quantity`)
    dims: tuple[tuple[str, str], ...] = ()  # size/source, context_level, vector_store_id
    weekend_dip: bool = True


@dataclass(frozen=True, slots=True)
class KindRow:
    family: str
    project_id: str | None
    model: str | None
    dims: tuple[tuple[str, str], ...]
    metrics: tuple[tuple[str, int], ...]

    def field(self, name: str) -> str | None:
        if name == "project_id":
            return self.project_id
        if name == "model":
            return self.model
        return dict(self.dims).get(name)  # api_key_id and user_id: null (attributed to no key)


_DEMO = {
    "web-app": (
        Stream("images", "gpt-image-1", 120, 110, (("size", "1024x1024"), ("source", "image.generation"))),
        Stream("images", "gpt-image-1", 30, 30, (("size", "1024x1792"), ("source", "image.edit"))),
        Stream("web_search_calls", "gpt-5.5-2026-04-23", 400, 380, (("context_level", "medium"),)),
        Stream("audio_speeches", "gpt-4o-mini-tts", 250_000, 900),
        Stream("moderations", "omni-moderation-latest", 3_000_000, 12_000),
    ),
    "data-pipeline": (
        Stream("embeddings", "text-embedding-3-small", 40_000_000, 8_000, weekend_dip=False),
        Stream("file_search_calls", None, 500, dims=(("vector_store_id", "vs_simulated_docs"),)),
        Stream("vector_stores", None, 12_000_000_000, weekend_dip=False),
        Stream("code_interpreter_sessions", None, 40),
        Stream("audio_transcriptions", "whisper-1", 7_200, 60),
    ),
    "legacy-bot": (Stream("embeddings", "text-embedding-ada-002", 5_000_000, 1_000),),
}
_SCALE = tuple(
    Stream(family, model, quantity, requests, dims, dip)
    for family, model, quantity, requests, dims, dip in (
        ("embeddings", "text-embedding-3-small", 20_000_000, 4_000, (), False),
        ("images", "gpt-image-1", 60, 55, (("size", "1024x1024"), ("source", "image.generation")), True),
        ("vector_stores", None, 2_000_000_000, 0, (), False),
        ("audio_transcriptions", "whisper-1", 3_600, 30, (), True),
        ("web_search_calls", "gpt-model-001-2026-01-01", 200, 190, (("context_level", "low"),), True),
    )
)


def streams_of(project: Project, index: int) -> tuple[Stream, ...]:
    """The demo projects by name; any other (scale) project two families by its position, so rows stay few."""
    if project.id is None:
        return ()
    demo = _DEMO.get(project.name)
    if demo is not None:
        return demo
    return (_SCALE[index % len(_SCALE)], _SCALE[(index + 2) % len(_SCALE)])


def kind_rows(projects: tuple[Project, ...], seed: int, today: date, day: date, factor: Decimal) -> tuple[KindRow, ...]:
    """Every family's rows of one UTC day at the finest grain (project x stream)."""
    offset = (today - day).days
    if offset < 0:
        return ()
    rows = []
    for index, project in enumerate(projects):
        if project.last_offset is not None and offset < project.last_offset:
            continue
        for stream in streams_of(project, index):
            key = ("openai-kind", project.name, stream.family, stream.model, stream.dims)
            permille, raw = day_permille(seed, day, offset, key, stream.weekend_dip)
            quantity = scaled(stream.quantity, permille, raw, 0, factor)
            requests = scaled(stream.requests, permille, raw, 1, factor)
            metrics = _metrics(stream.family, quantity, requests)
            if any(q for _, q in metrics):
                rows.append(KindRow(stream.family, project.id, stream.model, stream.dims, metrics))
    return tuple(rows)


def _metrics(family: str, quantity: int, requests: int) -> tuple[tuple[str, int], ...]:
    main = FAMILIES[family].metrics
    if family == "web_search_calls":
        return (("num_model_requests", requests), ("num_requests", quantity))
    return tuple((m, requests if m == "num_model_requests" else quantity) for m in main)


def results(family: str, rows: tuple[KindRow, ...], query: Query, covered: int) -> list[dict[str, Any]]:
    """One bucket's result rows: `rows` filtered and summed per requested grouping, the share `covered` of a day."""
    spec = FAMILIES[family]
    wanted = {spec.filters[f]: set(values(query, f)) for f in spec.filters if values(query, f)}
    groups = set(values(query, "group_by"))
    sums: dict[tuple[str | None, ...], dict[str, int]] = {}
    for row in rows:
        if row.family != family or any(row.field(g) not in allowed for g, allowed in wanted.items()):
            continue
        key = tuple(row.field(g) if g in groups else None for g in spec.groups)
        total = sums.setdefault(key, dict.fromkeys(spec.metrics, 0))
        for metric, quantity in row.metrics:
            total[metric] += quantity
    out = []
    for key, totals in sums.items():
        # a bucket that covers part of the day (a raw start_time) gets that share of the day's usage
        counts = {m: q * covered // _DAY_SECONDS for m, q in totals.items()}
        out.append({"object": spec.result, **counts, **dict(zip(spec.groups, key, strict=True))})
    return out

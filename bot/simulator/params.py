"""The query parameters each endpoint of the two Admin APIs documents, and the 400 for anything else.

A client that misspells a parameter (`group_by` for Anthropic's `group_by[]`, `groupby`), asks for a grouping
an endpoint does not list, or sends an undocumented filter fails here, as it would against the live API (or,
where the live API ignores what it does not know, instead of silently getting ungrouped data there).

Anthropic, from the API reference pages of cost_report and usage_report/messages: arrays only in bracket
form (`group_by[]=model`), at most 5 `group_by[]` dimensions on the usage report (the live API's words, seen
by PostHog/posthog#72556), `speed` only with the fast-mode beta header.

OpenAI, from the published OpenAPI spec (openai/openai-openapi `openapi.yaml`): arrays are accepted in both
encodings the live API answers, the spec's repeated key (`group_by=line_item&group_by=project_id`, OpenAPI's
default form/explode style, also what the cookbook sends) and the official SDK's brackets
(`group_by[]=line_item`). Costs accept `group_by=api_key_id`, which the spec lists; the live endpoint
answered it with a 400 (PostHog/posthog#71784, 2026-07), which `Org.openai_key_costs = False` plays (see
openai_api). SDK-only additions (costs `line_items`, `user_id`/`api_source` groupings) are not in the spec and
are refused. The name listings (project API keys, service accounts, users) page with `after` and `limit`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.simulator.paging import ParamError, Query


@dataclass(frozen=True, slots=True)
class Accepts:
    """The query parameters one endpoint documents, spelled as on the wire (`group_by[]` for Anthropic arrays).

    `arrays` maps each array parameter to the values it allows (None: any string).
    """

    scalars: frozenset[str]
    arrays: Mapping[str, frozenset[str] | None]


NO_PARAMS = Accepts(frozenset(), {})


def check_query(
    query: Query,
    accepts: Accepts,
    unknown: Callable[[str], str],
    bad_value: Callable[[str, str, frozenset[str]], str],
) -> None:
    """A ParamError for the first parameter the endpoint does not document, or an array value it does not allow."""
    for name, given in query.items():
        if name in accepts.arrays:
            allowed = accepts.arrays[name]
            for value in given:
                if allowed is not None and value not in allowed:
                    raise ParamError(bad_value(name, value, allowed), name)
        elif name not in accepts.scalars:
            raise ParamError(unknown(name), name)


# ---- Anthropic ----------------------------------------------------------------------------------------------

ANTHROPIC_COST_GROUPS = frozenset({"workspace_id", "description"})
ANTHROPIC_USAGE_GROUPS = frozenset(
    {"api_key_id", "workspace_id", "model", "service_tier", "context_window", "inference_geo", "speed"}
    | {"account_id", "service_account_id"}
)
MAX_USAGE_GROUPS = 5
FAST_MODE_BETA = "fast-mode-2026-02-01"
_REPORT = frozenset({"starting_at", "ending_at", "bucket_width", "limit", "page"})
ANTHROPIC_COST = Accepts(_REPORT, {"group_by[]": ANTHROPIC_COST_GROUPS})
ANTHROPIC_USAGE = Accepts(
    _REPORT,
    {
        "group_by[]": ANTHROPIC_USAGE_GROUPS,
        "models[]": None,
        "workspace_ids[]": None,
        "api_key_ids[]": None,
        "account_ids[]": None,
        "service_account_ids[]": None,
        "service_tiers[]": frozenset({"standard", "batch", "priority", "priority_on_demand", "flex", "flex_discount"}),
        "context_window[]": frozenset({"0-200k", "200k-1M"}),  # singular here; the analytics API says windows
        "inference_geos[]": frozenset({"global", "us", "not_available"}),
        "speeds[]": frozenset({"fast", "standard"}),
    },
)
# usage_report/claude_code: one day per request (`starting_at` is YYYY-MM-DD), `limit` 1-1000 rows, `page` cursor
ANTHROPIC_CLAUDE_CODE = Accepts(frozenset({"starting_at", "limit", "page"}), {})
ANTHROPIC_WORKSPACES = Accepts(frozenset({"limit", "after_id", "before_id", "include_archived"}), {})
ANTHROPIC_API_KEYS = Accepts(
    frozenset({"limit", "after_id", "before_id", "status", "workspace_id", "created_by_user_id"}), {}
)
ANTHROPIC_USERS = Accepts(frozenset({"limit", "after_id", "before_id", "email"}), {"roles[]": None})
# the Usage & Cost Analytics API (beta), from SDK 2.10.0 types/beta/organization/analytics/cost_list_params.py
ANALYTICS_BETA = "analytics-usage-cost-2026-08-24"
ANALYTICS_COST_GROUPS = frozenset(
    {"actor", "actor_type", "agent_id", "api_key_id", "claude_tag_category", "claude_tag_user_id"}
    | {"context_window", "cost_type", "deployment_id", "environment_id", "inference_geo", "model"}
    | {"organization_id", "product", "rbac_group_id", "service_tier", "session_id", "slack_channel_id"}
    | {"speed", "token_type", "user_profile_id", "workspace_id"}
)
MAX_ANALYTICS_GROUPS = 5  # not counting cost_type and token_type
_ANY = None
ANALYTICS_COST = Accepts(
    frozenset({"starting_at", "ending_at", "time_bucket_width", "limit", "page", "order", "order_by"})
    | {"exclude_deleted_users"},
    {
        "group_by[]": ANALYTICS_COST_GROUPS,
        "actor_types[]": frozenset({"api_actor", "federated_actor", "service_account_actor", "user_actor"}),
        "context_windows[]": frozenset({"0-200k", "200k-1M"}),
        "inference_geos[]": frozenset({"global", "us", "not_available"}),
        "service_tiers[]": frozenset({"standard", "batch", "priority", "priority_on_demand", "flex", "flex_discount"}),
        "speeds[]": frozenset({"fast", "standard"}),
        **{
            name: _ANY
            for name in (
                "actor_ids[]",
                "agent_ids[]",
                "api_key_ids[]",
                "claude_tag_categories[]",
                "claude_tag_user_ids[]",
                "deployment_ids[]",
                "environment_ids[]",
                "models[]",
                "organization_ids[]",
                "products[]",
                "rbac_group_ids[]",
                "session_ids[]",
                "slack_channel_ids[]",
                "user_profile_ids[]",
                "workspace_ids[]",
            )
        },
    },
)
_ANTHROPIC_ARRAYS = frozenset({*ANTHROPIC_COST.arrays, *ANTHROPIC_USAGE.arrays, *ANALYTICS_COST.arrays, "roles[]"})


def _anthropic_unknown(name: str) -> str:
    hint = f"; array parameters are written {name}[]=value" if name + "[]" in _ANTHROPIC_ARRAYS else ""
    return f"{name}: Extra inputs are not permitted{hint}"


def _anthropic_bad_value(name: str, value: str, allowed: frozenset[str]) -> str:
    return f"{name}: unsupported value {value!r}; allowed: {', '.join(sorted(allowed))}"


_FAN_OUT = frozenset({"cost_type", "token_type"})


def anthropic_check(query: Query, accepts: Accepts, headers: Mapping[str, str]) -> None:
    check_query(query, accepts, _anthropic_unknown, _anthropic_bad_value)
    groups = [g for g in query.get("group_by[]", []) if accepts is not ANALYTICS_COST or g not in _FAN_OUT]
    if len(groups) > MAX_USAGE_GROUPS:
        raise ParamError(f"Cannot specify more than {MAX_USAGE_GROUPS} group_by[] dimensions.", "group_by[]")
    if ("speed" in groups or "speeds[]" in query) and FAST_MODE_BETA not in headers.get("anthropic-beta", ""):
        raise ParamError(f"speed: grouping or filtering by speed requires the anthropic-beta: {FAST_MODE_BETA} header")


# ---- OpenAI -------------------------------------------------------------------------------------------------

OPENAI_COST_GROUPS = frozenset({"project_id", "line_item", "api_key_id"})
OPENAI_COMPLETION_GROUPS = frozenset({"project_id", "user_id", "api_key_id", "model", "batch", "service_tier"})
_WINDOW = frozenset({"start_time", "end_time", "bucket_width", "limit", "page"})
_BY_KEY = frozenset({"project_id", "user_id", "api_key_id"})
_KEY_FILTERS: dict[str, frozenset[str] | None] = {"project_ids": None, "user_ids": None, "api_key_ids": None}
_MODEL_FILTERS = {**_KEY_FILTERS, "models": None}
_PROJECT_ONLY = Accepts(_WINDOW, {"project_ids": None, "group_by": frozenset({"project_id"})})
OPENAI_COSTS = Accepts(_WINDOW, {"project_ids": None, "api_key_ids": None, "group_by": OPENAI_COST_GROUPS})
OPENAI_COMPLETIONS = Accepts(_WINDOW | {"batch"}, {**_MODEL_FILTERS, "group_by": OPENAI_COMPLETION_GROUPS})
# the other usage families, by path segment (served by openai_usage_kinds)
OPENAI_OTHER_USAGE = {
    "embeddings": Accepts(_WINDOW, {**_MODEL_FILTERS, "group_by": _BY_KEY | {"model"}}),
    "moderations": Accepts(_WINDOW, {**_MODEL_FILTERS, "group_by": _BY_KEY | {"model"}}),
    "audio_speeches": Accepts(_WINDOW, {**_MODEL_FILTERS, "group_by": _BY_KEY | {"model"}}),
    "audio_transcriptions": Accepts(_WINDOW, {**_MODEL_FILTERS, "group_by": _BY_KEY | {"model"}}),
    "images": Accepts(
        _WINDOW,
        {
            **_MODEL_FILTERS,
            "sources": frozenset({"image.generation", "image.edit", "image.variation"}),
            "sizes": frozenset({"256x256", "512x512", "1024x1024", "1792x1792", "1024x1792"}),
            "group_by": _BY_KEY | {"model", "size", "source"},
        },
    ),
    "vector_stores": _PROJECT_ONLY,
    "code_interpreter_sessions": _PROJECT_ONLY,
    "file_search_calls": Accepts(
        _WINDOW, {**_KEY_FILTERS, "vector_store_ids": None, "group_by": _BY_KEY | {"vector_store_id"}}
    ),
    "web_search_calls": Accepts(
        _WINDOW,
        {
            **_MODEL_FILTERS,
            "context_levels": frozenset({"low", "medium", "high"}),
            "group_by": _BY_KEY | {"model", "context_level"},
        },
    ),
}
OPENAI_PROJECTS = Accepts(frozenset({"limit", "after", "include_archived"}), {})
OPENAI_PROJECT_KEYS = Accepts(frozenset({"limit", "after", "owner_project_access"}), {})
OPENAI_SERVICE_ACCOUNTS = Accepts(frozenset({"limit", "after"}), {})
OPENAI_USERS = Accepts(frozenset({"limit", "after"}), {"emails": None})


def _openai_unknown(name: str) -> str:
    return f"Unrecognized request argument supplied: {name}"


def _openai_bad_value(name: str, value: str, allowed: frozenset[str]) -> str:
    return f"Invalid value for '{name}': {value!r} is not one of {', '.join(sorted(allowed))}."


def openai_query(query: Query, accepts: Accepts) -> Query:
    """The query with bracketed array names (the SDK's encoding) folded into the spec's, once every parameter
    is one the endpoint documents."""
    folded: Query = {}
    for name, given in query.items():
        base = name.removesuffix("[]")
        key = base if name.endswith("[]") and base in accepts.arrays else name
        folded[key] = [*folded.get(key, []), *given]
    check_query(folded, accepts, _openai_unknown, _openai_bad_value)
    return folded

"""Anthropic's usage report by context window and inference geo, with its web search requests, as usage by kind.

The usage report accepts at most 5 `group_by[]` dimensions. The tokens request already uses 4 (model,
workspace_id, service_tier, api_key_id, which the spenders need), so `context_window` and `inference_geo` cannot
join it. They come from one more request per 31-day chunk grouped by model, workspace_id, service_tier,
context_window and inference_geo (the 5): no api_key_id, so its rows grow with workspaces × models × the two
windows and the geos actually used, never with the number of keys. Both dimensions change a price (the 200k-1M
window's long-context rates, US-only inference's 1.1×); `server_tool_use.web_search_requests` is on every row.
A 4xx other than auth for this request is a note, not a failed sync (bot.providers.kinds).

The same rows are the priced usage the estimates need (bot.providers.priced: summed over workspaces, with the
5-minute / 1-hour cache-write split and the web searches), so pricing pays no request of its own. They are read
over the whole window: the kinds need every day of it, and the priced rows of older days come with them for free.
A refusal drops both (the store then keeps the window's earlier priced rows too).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial

from bot.providers.collect import Collected, count, opt_text
from bot.providers.http import FetchSession, JsonClient, JsonObject
from bot.providers.kinds import KindSums, read_kind
from bot.providers.priced import Priced
from bot.providers.windows import day_chunks, rfc3339

PROVIDER = "anthropic"
PATH = "/v1/organizations/usage_report/messages"
DAYS_PER_REQUEST = 31
GROUPS = ("workspace_id", "model", "service_tier", "context_window", "inference_geo")
MESSAGES, WEB_SEARCH = "messages", "web_search"


def jobs(
    client: JsonClient, start: date, end: date, auth_codes: frozenset[str]
) -> list[Callable[[FetchSession], Collected]]:
    return [partial(_read, client, lo, hi, auth_codes) for lo, hi in day_chunks(start, end, DAYS_PER_REQUEST)]


def params(lo: date, hi: date) -> list[tuple[str, str]]:
    return [
        ("starting_at", rfc3339(lo)),
        ("ending_at", rfc3339(hi)),
        ("bucket_width", "1d"),
        ("limit", str(DAYS_PER_REQUEST)),
        *(("group_by[]", g) for g in GROUPS),
    ]


def _read(client: JsonClient, lo: date, hi: date, auth_codes: frozenset[str], session: FetchSession) -> Collected:
    priced = Priced()

    def add(out: KindSums, day: date, row: JsonObject) -> None:
        workspace, model, tier, window, geo = (
            _text(client, day, row, f)
            for f in ("workspace_id", "model", "service_tier", "context_window", "inference_geo")
        )
        detail = f"context_window={window}; inference_geo={geo}"
        creation = _object(client, day, row, "cache_creation")
        tools = _object(client, day, row, "server_tool_use")
        counts = {
            "uncached_input_tokens": _count(client, day, row, "uncached_input_tokens", required=True),
            "cache_read_input_tokens": _count(client, day, row, "cache_read_input_tokens"),
            "cache_write_5m_input_tokens": _count(client, day, creation, "ephemeral_5m_input_tokens"),
            "cache_write_1h_input_tokens": _count(client, day, creation, "ephemeral_1h_input_tokens"),
            "output_tokens": _count(client, day, row, "output_tokens", required=True),
        }
        for metric, quantity in counts.items():
            out.add((day, MESSAGES, workspace, model, tier, None, detail, metric), quantity)
        searches = _count(client, day, tools, "web_search_requests")
        out.add((day, WEB_SEARCH, workspace, model, tier, None, detail, "web_search_requests"), searches)
        priced.add(
            (day, model, tier, tier == "batch", window, geo),  # batch is a service tier here
            uncached=counts["uncached_input_tokens"],
            cache_read=counts["cache_read_input_tokens"],
            write_5m=counts["cache_write_5m_input_tokens"],
            write_1h=counts["cache_write_1h_input_tokens"],
            output=counts["output_tokens"],
            web_searches=searches,
        )

    sums = read_kind(
        client,
        PROVIDER,
        (MESSAGES, WEB_SEARCH),
        PATH,
        params(lo, hi),
        "starting_at",
        lo,
        hi,
        session,
        add,
        auth_codes,
        on_bucket=lambda: priced.seal(PROVIDER, session.spill),
    )
    if sums.unavailable:  # refused: no priced rows either, and the store keeps the ones it has
        return Collected(kinds=sums, priced=Priced(refused=True))
    return Collected(kinds=sums, priced=priced)


def _object(client: JsonClient, day: date, row: JsonObject, name: str) -> JsonObject:
    value = row.get(name) or {}
    if not isinstance(value, dict):
        raise client.data_error(PATH, f"`{name}` for {day} is {value!r}, not an object")
    return value


def _text(client: JsonClient, day: date, row: JsonObject, name: str) -> str:
    value = opt_text(row.get(name))
    if value is None:
        raise client.data_error(PATH, f"`{name}` for {day} is {row.get(name)!r}, not a string or null")
    return value


def _count(client: JsonClient, day: date, row: JsonObject, name: str, *, required: bool = False) -> int:
    if required and name not in row:
        raise client.data_error(PATH, f"a usage row for {day} has no `{name}`")
    value = count(row.get(name))
    if value is None:
        raise client.data_error(PATH, f"`{name}` for {day} is {row.get(name)!r}, not a whole number of tokens")
    return value

"""Cursor paging over `JsonClient`: follow a listing to its end with identical params, or fail closed.

Both Admin APIs page the same way in two flavours: reports (`has_more` + opaque `next_page`, sent back as
`page`) and object lists (`has_more` + `last_id`, sent back as `after_id` / `after`). A page that says
there is more but gives no cursor, repeats a cursor, or never ends is a ProviderDataError: stopping
early would store a partial total as if it were the whole day.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.providers.http import ApiError, FetchSession, JsonClient, JsonObject, Params

MAX_PAGES = 100  # per chunk; a chunk is sized to fit one page, so this only trips on a broken server


def next_page_cursor(body: JsonObject) -> object:
    return body.get("next_page")


def last_id_cursor(body: JsonObject) -> object:
    """`last_id`, or the id of the last item when a list page omits it."""
    cursor = body.get("last_id")
    data = body.get("data")
    if cursor is None and isinstance(data, list) and data and isinstance(data[-1], dict):
        cursor = data[-1].get("id")
    return cursor


def fetch_all(
    client: JsonClient,
    path: str,
    params: Params,
    session: FetchSession,
    *,
    cursor_param: str = "page",
    cursor_of: Callable[[JsonObject], object] = next_page_cursor,
    max_pages: int = MAX_PAGES,
    context: str = "",
    on_item: Callable[[Any], None] | None = None,
    refused: Callable[[ApiError], bool] | None = None,
) -> list[Any]:
    """Every item of every page's `data`, in order; with `on_item`, each goes there as it is decoded instead
    (and the list returned is empty), so a long listing is never in memory whole."""
    items: list[Any] = []
    cursor: str | None = None
    seen: set[str] = set()
    where = f" ({context})" if context else ""
    for page in range(1, max_pages + 1):
        query = [*params, (cursor_param, cursor)] if cursor is not None else list(params)
        body = client.get_json(path, query, session, on_item, refused)
        data = body.get("data")
        has_more = body.get("has_more")
        if not isinstance(data, list):
            raise client.data_error(path, f"page {page}{where} has no `data` list")
        if not isinstance(has_more, bool):
            raise client.data_error(path, f"page {page}{where} has no `has_more` true/false")
        items.extend(data)
        if not has_more:
            return items
        found = cursor_of(body)
        if not isinstance(found, str) or not found:
            raise client.data_error(path, f"page {page}{where} says has_more but gives no cursor")
        if found in seen or found == cursor:
            raise client.data_error(path, f"page {page}{where} repeats the cursor of an earlier page")
        seen.add(found)
        cursor = found
    raise client.data_error(path, f"the listing{where} did not end within {max_pages} pages")

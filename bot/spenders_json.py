"""CONTRACT §4 `keys` and `users`: the spender lines of bot.spenders as JSON (money stays exact Decimal)."""

from __future__ import annotations

from typing import Any

from bot.records import KEY, NO_KEY
from bot.spenders import SpenderView


def spenders_json(view: SpenderView | None) -> list[dict[str, Any]]:
    """[] when the view is missing or hidden from the caller; `email` only when the view carries emails."""
    if view is None or view.hidden:
        return []
    out = []
    for line in view.lines:
        item: dict[str, Any] = {
            "provider": line.provider,
            "id": None if line.kind == KEY and line.id == NO_KEY else line.id,
            "name": line.name,
        }
        if line.kind == KEY:
            item["workspace_id"] = line.workspace_id
        item["total_usd"] = line.total
        item["basis"] = line.basis
        if line.owner is not None:
            item["owner"] = line.owner
        if line.email is not None:
            item["email"] = line.email
        out.append(item)
    return out

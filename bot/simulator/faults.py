"""Injected failures: what a real provider or the network does to a client on a bad day.

A Fault matches requests by provider and exact path (None: any path of that provider) and hits `times`
matching requests (None: forever). Some kinds replace the answer (status, reset, non_json, error_envelope,
no_data), `timeout` only delays it, and the rest rewrite the normal answer (truncated, the cursor kinds,
bad_amount, no_amount, null_amount, extra_fields).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from bot.simulator import anthropic_api, openai_api
from bot.simulator.paging import encode_cursor
from bot.simulator.wire import RecordedRequest, Response

REPLACING = frozenset({"status", "reset", "non_json", "error_envelope", "no_data"})
REWRITING = frozenset(
    {"truncated", "repeat_cursor", "missing_cursor", "endless", "bad_amount", "no_amount", "null_amount"}
    | {"extra_fields"}
)
KINDS = REPLACING | REWRITING | {"timeout"}

_HTML = (
    b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>502 Bad Gateway</h1><p>The upstream server returned an invalid response.</p></body></html>\n"
)
_MESSAGES = {
    429: "Rate limit exceeded. Please retry after the time given in the retry-after header.",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    529: "Overloaded",
}


@dataclass
class Fault:
    provider: str  # "anthropic" or "openai"
    path: str | None = None  # exact request path, e.g. "/v1/organizations/cost_report"; None = any path
    kind: str = "status"
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = 1  # matching requests it hits before it is removed; None = forever
    delay: float = 0.0  # seconds, for kind="timeout"
    # kind="bad_amount": what every amount becomes ("NaN", "abc", float("inf"), ...); kinds "no_amount" (the
    # key is dropped) and "null_amount" (`amount: null`): the line_item or description of the rows hit (None: all)
    value: Any = None

    def __post_init__(self) -> None:
        if self.provider not in ("anthropic", "openai"):
            raise ValueError(f"Fault.provider must be 'anthropic' or 'openai', not {self.provider!r}")
        if self.kind not in KINDS:
            raise ValueError(f"Fault.kind must be one of {', '.join(sorted(KINDS))}, not {self.kind!r}")


@dataclass
class _Entry:
    fault: Fault
    remaining: int | None  # hits left; None = forever


class FaultBook:
    """The pending faults, consumed in injection order; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[_Entry] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._pending.append(_Entry(fault, fault.times))

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()

    def take(self, provider: str, path: str) -> Fault | None:
        with self._lock:
            for entry in self._pending:
                fault = entry.fault
                if fault.provider != provider or (fault.path is not None and fault.path != path):
                    continue
                if entry.remaining is not None:
                    entry.remaining -= 1
                    if entry.remaining <= 0:
                        self._pending.remove(entry)
                return fault
        return None


def provider_error(req: RecordedRequest, status: int, message: str) -> Response:
    if req.provider == "anthropic":
        return anthropic_api.error(req, status, message)
    return openai_api.error(req, status, message)


def before(fault: Fault, req: RecordedRequest) -> Response | None:
    """The answer that replaces the normal one, or None to answer normally (after any delay)."""
    if fault.kind == "timeout":
        time.sleep(fault.delay)
        return None
    if fault.kind == "status":
        response = provider_error(req, fault.status, _MESSAGES.get(fault.status, f"Simulated HTTP {fault.status}"))
        response.headers.update(fault.headers)
        return response
    if fault.kind == "reset":
        return Response(reset=True)
    if fault.kind == "non_json":
        return Response(200, body=_HTML, content_type="text/html; charset=utf-8", headers=dict(fault.headers))
    if fault.kind == "error_envelope":
        status = fault.status if fault.status >= 400 else 500
        response = provider_error(req, status, _MESSAGES.get(status, "Internal server error"))
        response.status = 200
        return response
    if fault.kind == "no_data":
        return Response(200, {"has_more": False}, dict(fault.headers))
    return None


def after(fault: Fault, response: Response) -> Response:
    """The normal answer rewritten by a fault of the REWRITING kinds."""
    if fault.kind == "truncated":
        body = response.encode()
        response.body = body[: len(body) // 2]
        return response
    payload = response.payload
    if response.status != 200 or not isinstance(payload, dict):
        return response
    state = response.page
    if state is not None and fault.kind == "repeat_cursor":
        payload["has_more"] = True
        payload["next_page"] = state.given or encode_cursor(state.fp, state.offset)
    elif state is not None and fault.kind == "missing_cursor":
        payload["has_more"] = True
        payload["next_page"] = None
    elif state is not None and fault.kind == "endless":
        payload["has_more"] = True
        payload["next_page"] = encode_cursor(state.fp, state.offset + state.limit)
    elif fault.kind == "bad_amount":
        for row in _rows(payload):
            _spoil(row, fault.value)
    elif fault.kind in ("no_amount", "null_amount"):
        for row in _rows(payload):
            hit = fault.value is None or fault.value in (row.get("line_item"), row.get("description"))
            if hit and "amount" in row:
                if fault.kind == "no_amount":
                    del row["amount"]
                else:
                    row["amount"] = None
    elif fault.kind == "extra_fields":
        payload["x_simulator_envelope"] = {"note": "unknown envelope field", "version": 2}
        for item in payload.get("data") or []:
            if isinstance(item, dict):
                item["x_simulator_bucket"] = ["unknown", "bucket", "field"]
        for row in _rows(payload):
            row["x_simulator_row"] = {"api_source": "unlabeled", "weight": 1.5}
    return response


def _rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return [row for item in payload.get("data") or [] if isinstance(item, dict) for row in item.get("results") or []]


def _spoil(row: dict[str, Any], value: Any) -> None:
    """Amounts on cost rows; on usage rows (which have no amount) the output token count."""
    amount = row.get("amount")
    if isinstance(amount, dict):
        amount["value"] = value
    elif "amount" in row:
        row["amount"] = value
    elif "output_tokens" in row:
        row["output_tokens"] = value

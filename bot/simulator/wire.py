"""The request and response values passed between the HTTP server, the two API surfaces and the faults."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from bot.simulator.paging import PageState, Query


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the simulator saw it; header names are lower-case."""

    provider: str  # "anthropic", "openai", or "unknown" for paths of neither API
    method: str
    path: str
    query: Query
    headers: dict[str, str]

    def request_id(self) -> str:
        """Stable per request content, so identical runs give byte-identical bodies."""
        text = json.dumps([self.method, self.path, sorted(self.query.items())])
        return hashlib.sha256(text.encode()).hexdigest()[:24]


@dataclass(slots=True)
class Response:
    status: int = 200
    payload: Any = None  # JSON-able value; ignored when `body` is set
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    content_type: str = "application/json"
    page: PageState | None = None  # set on report pages, for the cursor faults
    reset: bool = False  # drop the connection without answering

    def encode(self) -> bytes:
        if self.body is not None:
            return self.body
        return json.dumps(self.payload, separators=(",", ":")).encode()

"""A request variant a provider may refuse: ask once per fetch, and if it is refused, every chunk falls back.

The OpenAI spec lists costs `group_by=api_key_id`, but the live API answered it with a 400 for some
organizations (PostHog/posthog#71784). Chunks run concurrently; the first one to arrive asks with the variant
while the others wait for its verdict, so a refusal costs exactly one request per fetch, not one per chunk.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from bot.errors import ProviderHTTPError

T = TypeVar("T")


class Probe:
    """Whether the variant is accepted: unknown until a chunk has asked, then fixed for the fetch."""

    def __init__(self, refused_status: frozenset[int] = frozenset({400})) -> None:
        self._lock = threading.Lock()
        self._refused_status = refused_status
        self.accepted: bool | None = None
        self.refusal: ProviderHTTPError | None = None  # what the provider said when it refused

    def run(self, variant: Callable[[], T], fallback: Callable[[], T]) -> T:
        """`variant()` while it is accepted (or not yet known), else `fallback()`.

        A refusal (an HTTP error with a refused status) switches to `fallback` for this and every later call;
        any other failure is raised and leaves the verdict unknown, so the next chunk asks again.
        """
        if self.accepted is None:
            with self._lock:
                if self.accepted is None:
                    try:
                        result = variant()
                    except ProviderHTTPError as err:
                        if err.status not in self._refused_status:
                            raise
                        self.accepted, self.refusal = False, err
                    else:
                        self.accepted = True
                        return result
        return variant() if self.accepted else fallback()

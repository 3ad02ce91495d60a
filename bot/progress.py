"""Sync progress for the CLI: a live status line on a terminal, plain timestamped lines otherwise."""

from __future__ import annotations

import threading
import time
from typing import TextIO

from bot.safe_text import terminal


class Progress:
    """Receives (provider, message) events from bot.sync and shows them on `stream`."""

    def __init__(self, stream: TextIO, interactive: bool) -> None:
        self.stream = stream
        self.interactive = interactive
        self.started = time.monotonic()
        self.state: dict[str, str] = {}
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def __enter__(self) -> Progress:
        if self.interactive:
            self._ticker = threading.Thread(target=self._tick, name="aispend-progress", daemon=True)
            self._ticker.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
            self._draw(final=True)

    def __call__(self, provider: str, message: str) -> None:
        with self.lock:
            message = terminal(message)  # a failure quotes the provider's error text
            self.state[provider] = message
            if not self.interactive:
                self.stream.write(f"{provider}: {message}\n")
                self.stream.flush()

    def _tick(self) -> None:
        # redraw a few times a second so the elapsed time moves while a long backfill runs
        while not self._stop.wait(0.25):
            self._draw(final=False)

    def _draw(self, final: bool) -> None:
        with self.lock:
            spinner = "" if final else "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"[int(time.monotonic() * 8) % 10] + " "
            parts = " | ".join(f"{name}: {msg}" for name, msg in sorted(self.state.items()))
            elapsed = time.monotonic() - self.started
            self.stream.write(f"\r\x1b[2K{spinner}{parts} ({elapsed:.1f}s)")
            if final:
                self.stream.write("\n")
            self.stream.flush()

"""`aispend sync`: fetch the configured providers into the store and say how each went."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TextIO

from bot.commands import EXIT_FAILED, EXIT_OK, open_store
from bot.config import Settings
from bot.errors import ConfigError
from bot.safe_text import terminal


def cmd_sync(settings: Settings, days: int | None, only: str | None, err: TextIO, *, now: datetime) -> int:
    from bot.progress import Progress
    from bot.providers import build_providers
    from bot.sync import sync_providers

    providers = [p for p in build_providers(settings) if only is None or p.name == only]
    if not providers:
        which = f"{only} " if only else ""
        raise ConfigError(
            f"No {which}provider key is configured: set ANTHROPIC_ADMIN_KEY and/or OPENAI_ADMIN_KEY "
            "(or the matching _FILE variable), in the environment or in .env."
        )
    store = open_store(settings)
    try:
        with Progress(err, interactive=err.isatty()) as progress:
            results = sync_providers(
                store,
                providers,
                now=now,
                backfill_days=settings.backfill_days,
                days=days,
                progress=progress,
            )
    finally:
        for provider in providers:
            provider.close()
        store.close()
    for result in results:
        # plain (non-terminal) progress has already printed every step; a terminal gets one summary line each
        if err.isatty():
            last_day = result.end - timedelta(days=1)
            summary = (
                f"ok, {result.start}..{last_day} ({result.rows} rows, {result.requests} requests)"
                if result.ok
                else f"FAILED: {result.error}"
            )
            print(f"{result.provider}: {terminal(summary)}", file=err)
        for warning in result.warnings:
            print(f"{result.provider}: warning: {terminal(warning)}", file=err)
    return EXIT_OK if all(r.ok for r in results) else EXIT_FAILED

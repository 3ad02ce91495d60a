"""The CLI's commands (bot.cli parses and dispatches): their exit codes, view words and the store they open.

Each command module keeps its heavy imports inside the command, so `aispend report` starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.store import Store

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
KEY, USER = "key", "user"  # bot.records' spender kinds, without importing it at start-up
SPENDER_VIEWS = {"keys": KEY, "key": KEY, "users": USER, "user": USER}
CLAUDE_CODE_VIEW = "claude-code"


def open_store(settings: Settings) -> Store:
    from bot.store import Store

    return Store(settings.db_path)


def open_existing_store(settings: Settings) -> Store:
    """The database a read-only command reads; ConfigError when it does not exist (opening it would create an
    empty one, and a mistyped AISPEND_DB would then read as "no spend")."""
    from pathlib import Path

    from bot.errors import ConfigError

    if not Path(settings.db_path).exists():
        raise ConfigError(
            f"No database at {settings.db_path}: run `aispend sync` first (or set AISPEND_DB to the bot's database)."
        )
    return open_store(settings)

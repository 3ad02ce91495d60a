"""aispend's SQLite storage: the only package that imports sqlite_utils. Use `Store`."""

from bot.store.store import Store

__all__ = ["Store"]

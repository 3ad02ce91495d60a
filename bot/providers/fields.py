"""Typed reads of one report row's fields, shared by the provider modules.

A field of the wrong type is a ProviderDataError naming the endpoint, the day and the field; a missing
required count is an error too, never a zero.
"""

from __future__ import annotations

from datetime import date

from bot.errors import ProviderDataError
from bot.providers.collect import count, opt_text
from bot.providers.http import JsonClient, JsonObject


class RowFields:
    """Mixed into a provider that has `client` and whose token counts come from `usage_path`."""

    client: JsonClient
    usage_path: str

    def _text(self, path: str, day: date, row: JsonObject, field: str) -> str:
        value = opt_text(row.get(field))
        if value is None:
            raise self._bad(path, day, field, row.get(field), "a string or null")
        return value

    def _count(self, day: date, row: JsonObject, field: str, *, required: bool = False) -> int:
        """A count; optional ones default to 0, but a missing required one is an error, never a zero."""
        if required and field not in row:
            raise self.client.data_error(self.usage_path, f"a usage row for {day} has no `{field}`")
        value = count(row.get(field))
        if value is None:
            raise self._bad(self.usage_path, day, field, row.get(field), "a whole number of tokens")
        return value

    def _bad(self, path: str, day: date, field: str, value: object, expected: str) -> ProviderDataError:
        return self.client.data_error(path, f"`{field}` for {day} is {value!r}, not {expected}")

"""The provider contract: one module per provider implements it, so a third provider is one new file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from bot.records import CapsFetch, ProviderData


@dataclass(frozen=True, slots=True)
class OrgIdentity:
    """Who the key belongs to, for `aispend doctor`."""

    provider: str
    id: str
    name: str


class Provider(Protocol):
    name: str  # "anthropic", "openai": the value stored in every record's provider column
    key_variable: str  # the variable that holds its key, named in every auth error

    def fetch(self, start: date, end: date) -> ProviderData:
        """Costs, usage and labels for the UTC days [start, end) (end exclusive).

        Raises a bot.errors.ProviderError subclass; never returns partial data as if it were complete.
        """
        ...

    def fetch_caps(self, data: ProviderData) -> CapsFetch:
        """The organization's and workspaces'/projects' spend limits as they are now (read only; `data` is this
        sync's fetch, for the workspaces/projects it listed). Never raises for a refusal: CapsFetch says why."""
        ...

    def identity(self, today: date) -> OrgIdentity:
        """The organization the key belongs to (one cheap request); `today` is the UTC day it is asked on."""
        ...

    def close(self) -> None: ...

"""A spender (API key or user) as a driver of a spike (issue 11): its dollars this week and the week before."""

from __future__ import annotations

from dataclasses import dataclass

from bot.records import KEY, TOKEN_SHARE
from bot.safe_text import clean


@dataclass(frozen=True, slots=True)
class SpenderDriver:
    provider: str
    kind: str  # KEY or USER
    id: str
    name: str  # display name, as the keys/users report names it
    basis: str  # BILLED or TOKEN_SHARE: the two are never compared with or added to each other
    where: str  # "batch-jobs / claude-opus-4-8": the workspace and model of most of its spend this week
    current: int  # nano
    previous: int
    is_new: bool  # no spend at all, on any basis, the week before (which was fetched)

    @property
    def contribution(self) -> int:
        return self.current - self.previous

    @property
    def label(self) -> str:
        """'key ci-nightly (anthropic: batch-jobs / claude-opus-4-8)', names in their clean one-line form."""
        noun = "key" if self.kind == KEY else "user"
        return f"{noun} {clean(self.name)} ({self.provider}: {clean(self.where, 120)})"

    @property
    def basis_text(self) -> str:
        return " as a token share" if self.basis == TOKEN_SHARE else ""

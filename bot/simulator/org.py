"""The synthetic organization as the server and the tests see it: days of rows, labels, revisions, truth.

Every day is computed from a hash of (seed, provider, day, workspace, model, item), so any stretch of history
can be served without stored state; computed days are cached (keyed on day and revision factor). Revisions
are the one piece of mutable state, and `expected_cost_nano` reads the same rows the server serves.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from bot.money import cents_to_nano
from bot.simulator.anthropic_data import AnthropicDay, anthropic_day
from bot.simulator.anthropic_keys import demo_keys, scale_keys
from bot.simulator.catalog import PRIORITY_OFFSET, SPIKE_OFFSET, Project, Workspace, b62, demo_projects, demo_workspaces
from bot.simulator.claude_code_data import ClaudeCodeRow, claude_code_rows
from bot.simulator.openai_data import OpenAIDay, openai_day
from bot.simulator.openai_people import demo_people, scale_people
from bot.simulator.openai_usage_kinds import KindRow, kind_rows
from bot.simulator.scale import scale_projects, scale_workspaces

PROVIDERS = ("anthropic", "openai")
_ONE = Decimal(1)


class WorkspaceInfo(NamedTuple):
    id: str | None  # None only for the Anthropic Default Workspace
    name: str
    archived: bool


class Org:
    """A deterministic organization on both providers for a given seed and `today`."""

    def __init__(
        self,
        today: date,
        *,
        seed: int = 0,
        n_workspaces: int | None = None,
        n_models: int | None = None,
        n_keys: int | None = None,
        n_users: int | None = None,
    ) -> None:
        self.today = today
        self.seed = seed
        if n_workspaces is None and n_models is None and n_keys is None and n_users is None:
            self.anthropic_workspaces = demo_workspaces(today, seed)
            self.openai_projects = demo_projects(today, seed)
            self.openai_people = demo_people(self.openai_projects, seed)
        else:
            n_ws = max(1, n_workspaces or 4)
            n_mod = max(1, n_models or 3)
            self.anthropic_workspaces = scale_workspaces(today, seed, n_ws, n_mod)
            self.openai_projects = scale_projects(today, seed, n_ws, n_mod)
            n_projects = len(self.listed_projects())
            self.openai_people = scale_people(self.openai_projects, seed, n_keys or 2 * n_projects, n_users or 3)
        if n_keys is None and n_users is None and n_workspaces is None and n_models is None:
            self.anthropic_keys = demo_keys(self.anthropic_workspaces, today, seed)
        else:
            ws = self.anthropic_workspaces
            self.anthropic_keys = scale_keys(ws, today, seed, max(len(ws), n_keys or 2 * len(ws)), n_users or len(ws))
        # the HTTP status /analytics/cost refuses this organization with (403, 404 or 400), or None: it has the beta
        self.analytics_refused: int | None = None
        # the HTTP status the Spend Limits API (beta) refuses this organization with, or None: it may list them
        self.spend_limits_refused: int | None = None
        self.cap_share: Decimal | None = None  # the capped workspace's/project's cap against its last 30 days
        self.analytics_cache: dict[object, Any] = {}  # ranked analytics rows per query, for its next pages
        # the live API answered costs group_by=api_key_id with a 400 (PostHog/posthog#71784); False plays that
        self.openai_key_costs = True
        # the cost report lags usage (issue 14): with N > 0 it has no rows yet for today nor the N days before, while
        # usage has them; 0 (the default) serves every day's cost at once
        self.cost_lag_days = 0
        self.spike_start = today - timedelta(days=SPIKE_OFFSET)  # the new spender's first day
        self.priority_day = today - timedelta(days=PRIORITY_OFFSET)  # Priority Tier usage in one workspace
        self.anthropic_org_id = _uuid(b62(seed, 32, "anthropic-org"))
        self.anthropic_org_name = "Acme Robotics (simulated)"
        self.openai_org_id = "org-" + b62(seed, 24, "openai-org")
        self._revisions: dict[tuple[str, date], Decimal] = {}
        self._lock = threading.Lock()
        self._anthropic = functools.lru_cache(maxsize=4096)(self._compute_anthropic)
        self._openai = functools.lru_cache(maxsize=4096)(self._compute_openai)
        self._openai_kinds = functools.lru_cache(maxsize=4096)(self._compute_openai_kinds)

    # --- labels -------------------------------------------------------------------------------------------

    def workspaces(self, provider: str) -> list[WorkspaceInfo]:
        """Anthropic: (id, name, archived) for every workspace, Default first with id None.
        OpenAI: every project (org-level cost has no project and is not listed)."""
        _check(provider)
        if provider == "anthropic":
            return [WorkspaceInfo(w.id, w.name, w.archived_at is not None) for w in self.anthropic_workspaces]
        return [
            WorkspaceInfo(p.id, p.name, p.archived_at is not None) for p in self.openai_projects if p.id is not None
        ]

    def listed_workspaces(self) -> list[Workspace]:
        return [w for w in self.anthropic_workspaces if w.id is not None]

    def listed_projects(self) -> list[Project]:
        return [p for p in self.openai_projects if p.id is not None]

    # --- revisions ----------------------------------------------------------------------------------------

    def revise(self, provider: str, day: date, factor: Decimal) -> None:
        """From now on `day` is served with every token count (and so every amount) scaled by `factor`
        relative to the original; a later call for the same day replaces the earlier factor."""
        _check(provider)
        with self._lock:
            self._revisions[(provider, day)] = Decimal(factor)

    def factor(self, provider: str, day: date) -> Decimal:
        with self._lock:
            return self._revisions.get((provider, day), _ONE)

    # --- days ---------------------------------------------------------------------------------------------

    def anthropic_day(self, day: date) -> AnthropicDay:
        served = self._anthropic(day, self.factor("anthropic", day))
        return dataclasses.replace(served, costs=(), key_costs=()) if self.cost_lagging(day) else served

    def openai_day(self, day: date) -> OpenAIDay:
        served = self._openai(day, self.factor("openai", day))
        return dataclasses.replace(served, costs=(), key_costs=()) if self.cost_lagging(day) else served

    def cost_lagging(self, day: date) -> bool:
        """Whether the cost report has no rows for `day` yet (its usage is served all the same)."""
        return self.cost_lag_days > 0 and 0 <= (self.today - day).days <= self.cost_lag_days

    def openai_kinds_day(self, day: date) -> tuple[KindRow, ...]:
        """OpenAI usage beyond completions (images, audio, embeddings, vector stores…) for one UTC day."""
        return self._openai_kinds(day, self.factor("openai", day))

    def _compute_openai_kinds(self, day: date, factor: Decimal) -> tuple[KindRow, ...]:
        return kind_rows(self.openai_projects, self.seed, self.today, day, factor)

    def _compute_anthropic(self, day: date, factor: Decimal) -> AnthropicDay:
        return anthropic_day(self.anthropic_workspaces, self.seed, self.today, day, factor, self.anthropic_keys)

    def _compute_openai(self, day: date, factor: Decimal) -> OpenAIDay:
        return openai_day(self.openai_projects, self.openai_people, self.seed, self.today, day, factor)

    def rename_key(self, key_id: str, name: str) -> None:
        """An OpenAI API key renamed in the console: listings show `name` from now on."""
        with self._lock:
            self.openai_people.renamed[key_id] = name

    def claude_code_day(self, day: date) -> tuple[ClaudeCodeRow, ...]:
        """The Claude Code Analytics rows of one UTC day, as served (and as the tests reconcile against)."""
        return claude_code_rows(self.seed, self.today, day, self.anthropic_org_id)

    # --- the reconciliation reference ---------------------------------------------------------------------

    def daily_cost_nano(self, provider: str, day: date) -> int:
        """Exact sum of the amounts served for one UTC day (cost report grouped at its finest grain)."""
        _check(provider)
        if provider == "anthropic":
            return sum(cents_to_nano(Decimal(row.amount)) for row in self.anthropic_day(day).costs)
        return sum(row.nano() for row in self.openai_day(day).costs)

    def key_cost_nano(self, day: date) -> dict[tuple[str, str], int]:
        """(actor type, actor id) and ("key", api_key_id or "") -> exact nano-dollars the analytics API serves."""
        out: dict[tuple[str, str], int] = {}
        for row in self.anthropic_day(day).key_costs:
            nano = cents_to_nano(row.cents())
            for who in (("key", row.api_key_id or ""), row.actor):
                out[who] = out.get(who, 0) + nano
        return out

    def expected_key_cost_nano(self, start: date, end_excl: date) -> dict[str, int]:
        """OpenAI: exact nano-dollars per api_key_id ("" for none) over [start, end_excl), as costs grouped by
        api_key_id serve them; they sum to expected_cost_nano."""
        totals: dict[str, int] = {}
        day = start
        while day < end_excl:
            for row in self.openai_day(day).key_costs:
                totals[row.api_key_id or ""] = totals.get(row.api_key_id or "", 0) + row.nano()
            day += timedelta(days=1)
        return totals

    def expected_cost_nano(self, provider: str, start: date, end_excl: date) -> int:
        """Exact sum of every amount the server serves for the UTC days [start, end_excl), revisions included."""
        total = 0
        day = start
        while day < end_excl:
            total += self.daily_cost_nano(provider, day)
            day += timedelta(days=1)
        return total


def _check(provider: str) -> None:
    if provider not in PROVIDERS:
        raise ValueError(f"unknown provider {provider!r}: use 'anthropic' or 'openai'")


def _uuid(chars: str) -> str:
    hexed = "".join(f"{ord(c) % 16:x}" for c in chars)
    return f"{hexed[:8]}-{hexed[8:12]}-4{hexed[13:16]}-a{hexed[17:20]}-{hexed[20:32]}"

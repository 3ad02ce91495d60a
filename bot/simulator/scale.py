"""The benchmark organization: n workspaces/projects (ws-001...) over n models (claude-model-001...).

It keeps the demo org's traps in scaled-down form: the last workspace is a new spender from today-7, ws-002 /
project-002 are archived with spend only in older history, ws-001 has Priority Tier usage on today-4, the
Default Workspace and org-level cost exist. Each workspace uses three models so every model is used somewhere
without the rows per day growing as workspaces x models.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from bot.simulator.catalog import (
    LEGACY_ARCHIVED_OFFSET,
    PRIORITY_OFFSET,
    RESEARCH_ARCHIVED_OFFSET,
    SPIKE_OFFSET,
    FlatLine,
    ModelLine,
    Project,
    Stream,
    Workspace,
    b62,
    digest,
    iso_at,
    unix_at,
)

_OPENAI_PRICES = (
    (Decimal("0.15"), Decimal("0.075"), Decimal("0.6")),
    (Decimal("1.25"), Decimal("0.125"), Decimal("10")),
    (Decimal("2.5"), Decimal("1.25"), Decimal("10")),
    (Decimal("0.4"), Decimal("0.1"), Decimal("1.6")),
)


def _size(seed: int, *parts: object) -> int:
    """A typical daily output-token count between 100k and 1.1M."""
    return 100_000 + int.from_bytes(digest(seed, "size", *parts)[:4], "big") % 1_000_000


def _models_for(index: int, n_models: int) -> list[int]:
    return sorted({(index * 3 + j) % n_models for j in range(min(3, n_models))})


def scale_workspaces(today: date, seed: int, n_workspaces: int, n_models: int) -> tuple[Workspace, ...]:
    models = [f"claude-model-{k + 1:03d}" for k in range(n_models)]
    old = date(2024, 10, 30)
    out = [
        Workspace(
            None,
            "Default",
            iso_at(old, seed, "default"),
            None,
            "global",
            (Stream(models[0], "standard", output=200_000, uncached=800_000),),
        )
    ]
    for i in range(1, n_workspaces + 1):
        name = f"ws-{i:03d}"
        new_spender = i == n_workspaces and n_workspaces > 1
        archived = i == 2 and n_workspaces > 2
        streams: list[Stream] = []
        for k in _models_for(i, n_models):
            out_tokens = _size(seed, name, k)
            streams.append(
                Stream(
                    models[k],
                    "batch" if new_spender else "standard",
                    output=out_tokens * (4 if new_spender else 1),
                    uncached=out_tokens * 3,
                    cache_read=out_tokens * 10,
                    cache_5m=out_tokens // 2,
                    cache_1h=out_tokens // 5 if k % 4 == 0 else 0,
                    first_offset=SPIKE_OFFSET if new_spender else None,
                    last_offset=RESEARCH_ARCHIVED_OFFSET + 1 if archived else None,
                )
            )
        if i == 1:
            streams.append(
                Stream(
                    models[0],
                    "priority",
                    output=500_000,
                    uncached=2_000_000,
                    first_offset=PRIORITY_OFFSET,
                    last_offset=PRIORITY_OFFSET,
                )
            )
        created = today - timedelta(days=SPIKE_OFFSET + 2) if new_spender else old + timedelta(days=i)
        archived_at = iso_at(today - timedelta(days=RESEARCH_ARCHIVED_OFFSET), seed, name) if archived else None
        out.append(
            Workspace(
                "wrkspc_01" + b62(seed, 22, "ws", name),
                name,
                iso_at(created, seed, name),
                archived_at,
                "global",
                tuple(streams),
                code_execution_cents=40 if i == 1 else 0,
            )
        )
    return tuple(out)


def scale_projects(today: date, seed: int, n_projects: int, n_models: int) -> tuple[Project, ...]:
    created = date(2024, 6, 3)
    out: list[Project] = []
    for i in range(1, n_projects + 1):
        name = f"project-{i:03d}"
        archived = i == 2 and n_projects > 2
        lines = []
        for k in _models_for(i, n_models):
            model = f"gpt-model-{k + 1:03d}-2026-01-01"
            out_tokens = _size(seed, name, k)
            lines.append(ModelLine(model, model, _OPENAI_PRICES[k % 4], out_tokens * 4, out_tokens, out_tokens))
        out.append(
            Project(
                "proj_" + b62(seed, 24, "proj", name),
                name,
                unix_at(created + timedelta(days=i)),
                unix_at(today - timedelta(days=LEGACY_ARCHIVED_OFFSET)) if archived else None,
                LEGACY_ARCHIVED_OFFSET + 1 if archived else None,
                tuple(lines),
            )
        )
    out.append(Project(None, "", 0, None, None, (), (FlatLine("Text tokens", 1000, Decimal("0.01"), as_string=True),)))
    return tuple(out)

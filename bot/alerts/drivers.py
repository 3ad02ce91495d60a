"""Which drivers of a change are worth naming (issue 13): the few that explain most of it, the rest as "other".

A driver below 5 % of the change, or under $1, says nothing a reader can act on: it folds into "other". Of the
rest, the three largest lead. Used by every alert that names drivers (the weekly spike, the daily anomaly).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

from bot.money import NANO_PER_USD

TOP_DRIVERS = 3
MIN_SHARE_PCT = 5
MIN_DRIVER_NANO = NANO_PER_USD  # $1


class Contributor(Protocol):
    @property
    def contribution(self) -> int: ...

    @property
    def label(self) -> str: ...


T = TypeVar("T", bound=Contributor)


def matters(contribution: int, change: int) -> bool:
    """A contribution worth its own line: at least 5 % of the change and at least $1 (exact integer test)."""
    return contribution >= MIN_DRIVER_NANO and contribution * 100 >= MIN_SHARE_PCT * change


def leading(members: Iterable[T], change: int) -> tuple[tuple[T, ...], int]:
    """The (up to three) drivers that explain most of `change`, largest first, and the rest of it (nano, net)."""
    rising = sorted(
        (d for d in members if d.contribution > 0 and matters(d.contribution, change)),
        key=lambda d: (-d.contribution, d.label),
    )
    top = tuple(rising[:TOP_DRIVERS])
    return top, change - sum(d.contribution for d in top)

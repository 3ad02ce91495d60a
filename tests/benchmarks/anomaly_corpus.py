"""The labelled corpus the anomaly benchmark measures (issue 13): synthetic daily spend with known anomalies.

Each scope: a level between $30 and $3,000 a day, a weekly rhythm (quieter weekends, a busier Monday, jitter on
the other days), a trend of -2 % to +6 % a week, heavy-tailed day-to-day noise (Student t, 5 degrees of freedom,
4–12 % of a day), public holidays at 40 % of a normal day. The clean series is kept; the injected copy adds one
anomaly per 34-day slot after six weeks of history: a single-day spike of +30 % to +300 %, a level shift of
+40 % to +150 % for 14 days, a runaway job that adds 10–50 % of a day more each day for 5 days, or a drop to zero
for 5 days. Amounts are integer nano-dollars (the floats are the generator's, as a provider's would be).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from bot.money import NANO_PER_USD

START = date(2026, 3, 2)  # a Monday
HOLIDAYS = frozenset(
    {date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 1), date(2026, 5, 25), date(2026, 7, 3), date(2026, 8, 3)}
)
SLOT_START, SLOT_DAYS = 42, 34
KINDS = (("spike", 0.55), ("level", 0.15), ("runaway", 0.15), ("drop", 0.15))
DURATION = {"spike": 1, "level": 14, "runaway": 5, "drop": 5}
DETECT_WITHIN = {"spike": 1, "level": 7, "runaway": 5, "drop": 5}  # days from the start that count as "found"


@dataclass(frozen=True, slots=True)
class Injected:
    kind: str
    start: int  # day index
    size: float  # spike / level: +fraction; runaway: fraction of a day added per day; drop: 1.0
    worth: int  # nano: the dollars it added (or removed) over its duration


@dataclass(frozen=True, slots=True)
class Scope:
    clean: list[int]  # nano per day
    injected: list[int]
    anomalies: tuple[Injected, ...]


def day_of(index: int) -> date:
    return START + timedelta(days=index)


def corpus(n_scopes: int = 200, n_days: int = 180, seed: int = 13) -> list[Scope]:
    rng = random.Random(seed)
    return [_scope(rng, n_days) for _ in range(n_scopes)]


def _scope(rng: random.Random, n_days: int) -> Scope:
    level = math.exp(rng.uniform(math.log(30), math.log(3000)))
    weekend = rng.uniform(0.25, 0.8)
    rhythm = [rng.uniform(1.0, 1.3)] + [rng.uniform(0.9, 1.1) for _ in range(4)] + [weekend, weekend * 0.9]
    growth = rng.uniform(-0.02, 0.06) / 7
    sigma = rng.uniform(0.04, 0.12)
    clean = []
    for i in range(n_days):
        t = rng.gauss(0, 1) / math.sqrt(rng.gammavariate(2.5, 2.0) / 5)  # Student t, 5 degrees of freedom
        value = level * rhythm[day_of(i).weekday()] * math.exp(growth * i + sigma * t / math.sqrt(5 / 3))
        clean.append(value * (0.4 if day_of(i) in HOLIDAYS else 1.0))
    injected = list(clean)
    anomalies = []
    for slot in range(SLOT_START, n_days - SLOT_DAYS + 1, SLOT_DAYS):
        kind = rng.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
        start = slot + rng.randrange(10)
        while kind == "spike" and day_of(start) in HOLIDAYS:  # "+50 %" of a holiday is not a labelled spike
            start += 1
        before = list(injected)
        if kind == "spike":
            size = rng.uniform(0.3, 3.0)
            injected[start] *= 1 + size
        elif kind == "level":
            size = rng.uniform(0.4, 1.5)
            for i in range(start, start + DURATION[kind]):
                injected[i] *= 1 + size
        elif kind == "runaway":
            size = rng.uniform(0.1, 0.5)
            for k in range(DURATION[kind]):
                injected[start + k] += level * size * (k + 1)
        else:
            size = 1.0
            for i in range(start, start + DURATION[kind]):
                injected[i] = 0.0
        worth = sum(abs(a - b) for a, b in zip(injected, before, strict=True))
        anomalies.append(Injected(kind, start, size, round(worth * NANO_PER_USD)))
    return Scope(_nano(clean), _nano(injected), tuple(anomalies))


def _nano(values: list[float]) -> list[int]:
    return [round(v * NANO_PER_USD) for v in values]

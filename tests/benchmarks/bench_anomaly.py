"""How often the alert rules are right, on a labelled corpus (issue 13, "Measured, not asserted").

The corpus (tests/benchmarks/anomaly_corpus.py): 200 scopes × 180 days, fixed seed. Both rules run the bot's own
functions on every evaluation day from day 28: the weekly spike is bot.alerts.rules.evaluate_spikes on the last 7
complete days against the 7 before; the daily rules are bot.alerts.anomaly.day_anomaly (the test
evaluate_anomalies runs for every scope) and bot.alerts.drops.zero_run_start. The ledger's re-alert rule is
applied as the bot applies it: a scope alerted by a kind is not alerted by that kind again within its window
(7 days for spikes and anomalies, MAX_RUN_DAYS for drops).

- detection_rate: injected anomalies worth ≥ $50 that an alert names within a week of their last counting day.
- spike_detection_rate: injected single-day spikes of ≥ +50 % (worth ≥ $50) alerted on their own day.
- median_days_to_detection: from the anomaly's first day to the last complete day the finding alert covered.
- false_alerts_per_scope_90d: alerts on the clean series (the same scopes without the injections).
anomaly.weekly.* is the weekly rule alone, anomaly.daily.* weekly + daily (what the bot runs), anomaly.daily_only.*
the daily rules without the weekly one (to show which rule the false alerts come from).
- eval_seconds: one evaluation of the daily rule (evaluate_anomalies) over 1,001 scopes whose 400 days of history
  are in memory: what the bot's detection costs per evaluation (the store read is measured by the report benchmarks).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

from bot.alerts.anomaly import REALERT_DAYS, WINDOW_DAYS, day_anomaly, evaluate_anomalies
from bot.alerts.drops import MAX_RUN_DAYS, STEADY_DAYS, zero_run_start
from bot.alerts.rules import evaluate_spikes, week_for
from bot.money import usd_to_nano
from tests.benchmarks.anomaly_corpus import DETECT_WITHIN, Injected, Scope, corpus, day_of
from tests.benchmarks.bench_support import Figure, below, info

PCT, MIN_USD = Decimal(25), Decimal(10)  # the defaults of AISPEND_SPIKE_PCT and AISPEND_SPIKE_MIN_USD
MIN_NANO = usd_to_nano(MIN_USD)
WORTH = usd_to_nano(Decimal(50))
FIRST_EVAL = 28
COMBO = ("bench", "w", "m")
Rule = Callable[[list[int], int], bool]  # (series, evaluated day index) -> fired


def weekly(series: list[int], d: int) -> bool:
    """The spike rule as the bot runs it the morning after day `d`."""
    current, previous = sum(series[d - 6 : d + 1]), sum(series[d - 13 : d - 6])
    report = evaluate_spikes(
        {COMBO: current}, {COMBO: previous}, labels={}, week=week_for(day_of(d + 1)), pct=PCT, min_usd=MIN_USD
    )
    return any(a.scope == "org" for a in report.alerts)


def daily(series: list[int], d: int) -> bool:
    return day_anomaly(series[max(0, d - WINDOW_DAYS) : d], series[d], MIN_NANO) is not None


def drop(series: list[int], d: int) -> bool:
    window = series[max(0, d - STEADY_DAYS - MAX_RUN_DAYS + 1) : d + 1]
    return zero_run_start(window, [1] * len(window), MIN_NANO) is not None  # the corpus's other scopes go on


def alert_days(series: list[int], rules: list[tuple[Rule, int]]) -> list[int]:
    """Every day an alert covered (its last complete day), each rule deduplicated like the ledger does."""
    out = set()
    for rule, quiet in rules:
        last = -(10**9)
        for d in range(FIRST_EVAL, len(series)):
            if d - last >= quiet and rule(series, d):
                out.add(d)
                last = d
    return sorted(out)


def _found(anomaly: Injected, days: list[int]) -> int | None:
    """Days from the anomaly's start to the first alert that names it (within a week's grace), or None."""
    limit = anomaly.start + DETECT_WITHIN[anomaly.kind] - 1 + 7
    hits = [d - anomaly.start for d in days if anomaly.start <= d <= limit]
    return hits[0] if hits else None


def measure(scopes: list[Scope], rules: list[tuple[Rule, int]], prefix: str, *, targets: bool) -> list[Figure]:
    delays, counted, spikes, spikes_on_day, false = [], 0, 0, 0, 0
    for scope in scopes:
        days = alert_days(scope.injected, rules)
        for anomaly in scope.anomalies:
            if anomaly.worth < WORTH:
                continue
            counted += 1
            delay = _found(anomaly, days)
            if delay is not None:
                delays.append(delay)
            if anomaly.kind == "spike" and anomaly.size >= 0.5:
                spikes += 1
                spikes_on_day += delay == 0
        false += len(alert_days(scope.clean, rules))
        days_evaluated = len(scope.clean) - FIRST_EVAL
    per_90 = false * 90 / (len(scopes) * days_evaluated)
    return [
        info(f"{prefix}.detection_rate", _pct(len(delays), counted), "%", f"of {counted} anomalies ≥ $50"),
        Figure(
            f"{prefix}.spike_detection_rate",
            _pct(spikes_on_day, spikes),
            "%",
            "≥ 95 % (on their day)" if targets else "",
            spikes_on_day >= 0.95 * spikes if targets else None,
            f"{spikes} single-day spikes of +50 % to +300 % worth ≥ $50",
        ),
        info(f"{prefix}.median_days_to_detection", statistics.median(delays) if delays else -1, "days"),
        below(f"{prefix}.false_alerts_per_scope_90d", per_90, "alerts", 1, strict=False, note="on the clean series"),
    ]


def _pct(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def eval_seconds(n_days: int = 400, runs: int = 5) -> Figure:
    """evaluate_anomalies for the last of 400 days over 499 combinations: 1,001 scopes (organization, 2
    providers, 499 workspaces, 499 models)."""
    source = corpus(n_scopes=499, n_days=n_days, seed=400)
    end = day_of(n_days - 1)
    daily_rows: dict[date, dict[tuple[str, str, str], int]] = {}
    for i, scope in enumerate(source):
        combo = ("anthropic" if i % 2 else "openai", f"w{i}", f"m{i}")
        for d, nano in enumerate(scope.clean[:n_days]):
            daily_rows.setdefault(day_of(d), {})[combo] = nano
    starts = {"anthropic": day_of(0), "openai": day_of(0)}
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        evaluate_anomalies(daily_rows, day=end, labels={}, starts=starts, min_usd=MIN_USD)
        times.append(time.perf_counter() - started)
    note = (
        f"evaluate_anomalies for the last of {n_days} days of history over 499 combinations: 1,001 scopes "
        f"(organization, 2 providers, 499 workspaces, 499 models), best of {runs}"
    )
    return below("anomaly.eval_seconds", min(times), "s", 1, note=note)


def run(*, directory: Path | None = None, n_scopes: int = 200, n_days: int = 180, eval_days: int = 400) -> list[Figure]:
    del directory  # nothing cached: the corpus is generated in well under a second
    scopes = corpus(n_scopes=n_scopes, n_days=n_days)
    started = time.perf_counter()
    figures = measure(scopes, [(weekly, 7)], "anomaly.weekly", targets=False)
    daily_rules: list[tuple[Rule, int]] = [(daily, REALERT_DAYS), (drop, MAX_RUN_DAYS)]
    figures += measure(scopes, [(weekly, 7), *daily_rules], "anomaly.daily", targets=True)
    figures += measure(scopes, daily_rules, "anomaly.daily_only", targets=False)
    walk = time.perf_counter() - started
    figures.append(eval_seconds(eval_days))
    figures.append(info("anomaly.corpus_seconds", round(walk, 2), "s", "both rule sets over the corpus, both copies"))
    return figures

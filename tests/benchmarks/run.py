"""aispend's performance benchmarks (issue 6): `python tests/benchmarks/run.py [--json] [--markdown] [--only NAMES]`.

Prints each figure beside its target: report latency against history length (in-process and through the Slack
handler), sync requests and wall time against the simulator, incremental sync requests, memory, start-up, spenders
(2,000 keys / 300 users: their replies' latency, backfill requests and peak RSS, incremental requests), the App
Home dashboard's build time at 730 days of history, the alert rules on a labelled corpus (detection, false
alerts, evaluation time), and charts (render p99 at 730 days, the bot's RSS after one).
`--json`: one JSON object per figure (name, value, unit, target, ok, note) on stdout, the machine on stderr.
`--markdown`: the README table. `--smoke`: every code path at a tiny size (for the test suite; numbers
meaningless). Generated databases are cached in $AISPEND_BENCH_CACHE (default: the temp dir's aispend-bench).

These are measurements, not tests: nothing here fails on a slow number; `ok` says whether the target was met.
The exit status is 0 whenever every benchmark ran.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks import (
    bench_anomaly,
    bench_charts,
    bench_home,
    bench_memory,
    bench_report,
    bench_spenders,
    bench_startup,
    bench_sync,
)
from tests.benchmarks.bench_support import Figure, machine

Bench = Callable[..., list[Figure]]
# name -> (function, keyword arguments for --smoke); the full run uses each function's defaults
BENCHMARKS: dict[str, tuple[Bench, dict[str, Any]]] = {
    "report": (bench_report.run, {"sizes": (3, 6), "runs": 2}),
    "startup": (bench_startup.run, {"runs": 1, "db_days": 3}),
    "home": (bench_home.run, {"sizes": (3,), "runs": 2}),
    "memory": (bench_memory.run, {"backfill_days": 8, "n_workspaces": 2, "n_models": 2, "db_days": 3}),
    "sync": (
        bench_sync.run,
        {
            "n_workspaces": 2,
            "n_models": 2,
            "backfill_days": 40,
            "latency": 0.001,
            "naive_days": 1,
            "histories": (10, 40),
        },
    ),
    "anomaly": (bench_anomaly.run, {"n_scopes": 8, "n_days": 120, "eval_days": 60}),
    "spenders": (
        bench_spenders.run,
        {
            "n_workspaces": 2,
            "n_models": 2,
            "n_keys": 6,
            "n_users": 3,
            "backfill_days": 10,
            "db_days": 14,
            "histories": (5, 10),
            "runs": 2,
        },
    ),
    "charts": (bench_charts.run, {"runs": 2, "db_days": 20}),
}


def run_benchmarks(names: Sequence[str], *, smoke: bool, directory: Path | None) -> list[Figure]:
    figures: list[Figure] = []
    for name in names:
        bench, small = BENCHMARKS[name]
        started = time.perf_counter()
        kwargs: dict[str, Any] = dict(small) if smoke else {}
        found = bench(directory=directory, **kwargs)
        print(f"[{name}: {len(found)} figures in {time.perf_counter() - started:.1f} s]", file=sys.stderr, flush=True)
        figures += found
    return figures


def _value(figure: Figure) -> str:
    value = figure.value
    text = f"{value:,.0f}" if figure.unit == "requests" else f"{value:.3g}" if abs(value) < 100 else f"{value:,.1f}"
    return f"{text} {figure.unit}"


def _verdict(figure: Figure) -> str:
    return "" if figure.ok is None else "ok" if figure.ok else "MISSED"


def as_table(figures: list[Figure]) -> str:
    rows = [(f.name, _value(f), f.target or "—", _verdict(f)) for f in figures]
    widths = [max(len(r[i]) for r in [("figure", "value", "target", ""), *rows]) for i in range(4)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(("figure", "value", "target", ""), widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join([*lines, "", "How the figures were measured:", *_notes(figures)])


def _notes(figures: list[Figure]) -> list[str]:
    """Each distinct note once, after the figures it explains."""
    by_note: dict[str, list[str]] = {}
    for figure in figures:
        if figure.note:
            by_note.setdefault(figure.note, []).append(figure.name)
    lines = []
    for note, names in by_note.items():
        who = ", ".join(names) if len(names) <= 2 else f"{names[0]} and {len(names) - 1} more"
        lines.append(f"  {who}: {note}")
    return lines


def as_markdown(figures: list[Figure], where: dict[str, str]) -> str:
    lines = [
        f"Measured on {where['nproc']} × {where['cpu']}, {where['memory']} RAM, Python {where['python']}, "
        f"SQLite {where['sqlite']} ({where['platform']}) with `python tests/benchmarks/run.py`.",
        "",
        "| What | Result | Target | Met |",
        "|---|---|---|---|",
    ]
    for f in figures:
        met = "—" if f.ok is None else "yes" if f.ok else "**no**"
        lines.append(f"| `{f.name}` | {_value(f)} | {f.target or '—'} | {met} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="aispend performance benchmarks (issue 6)")
    parser.add_argument("--json", action="store_true", help="one JSON object per figure on stdout")
    parser.add_argument("--markdown", action="store_true", help="print the README Performance table")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks the code paths, not the numbers")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help=f"comma-separated subset of {list(BENCHMARKS)}")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}: choose from {list(BENCHMARKS)}")
    where = machine()
    where["load_average"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(json.dumps({"machine": where}), file=sys.stderr, flush=True)
    if args.smoke:
        with tempfile.TemporaryDirectory(prefix="aispend-bench-smoke-") as tmp:
            figures = run_benchmarks(names, smoke=True, directory=Path(tmp))
    else:
        figures = run_benchmarks(names, smoke=False, directory=None)
    if args.json:
        for figure in figures:
            print(json.dumps(figure.to_json(), ensure_ascii=False))
    elif args.markdown:
        print(as_markdown(figures, where))
    else:
        print(as_table(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

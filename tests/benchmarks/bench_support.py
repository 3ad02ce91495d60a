"""What every benchmark module shares: the Figure they report, timing statistics, the machine, the cache dir.

A Figure is one measured number beside its target; `run.py` prints them as a table or as JSON lines. Benchmarks
measure and report; they never assert on timings (the smoke test only checks the shape of the figures).
"""

from __future__ import annotations

import math
import os
import platform
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
CACHE_ENV = "AISPEND_BENCH_CACHE"
SIGNING_SECRET = "bench-signing-secret"


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured value and its target. `ok` is None for figures reported for context (no target)."""

    name: str
    value: float
    unit: str
    target: str  # human-readable, e.g. "< 50 ms" or "= 44 (minimum)"; "" when informational
    ok: bool | None
    note: str = ""  # how it was measured / the formula, shown under the table and kept in the JSON

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "target": self.target,
            "ok": self.ok,
        }
        if self.note:
            out["note"] = self.note
        return out


def below(name: str, value: float, unit: str, limit: float, *, note: str = "", strict: bool = True) -> Figure:
    """A figure whose target is value < limit (or ≤ when strict is False)."""
    ok = value < limit if strict else value <= limit
    return Figure(name, round(value, 3), unit, f"{'<' if strict else '≤'} {limit:g} {unit}", ok, note)


def info(name: str, value: float, unit: str, note: str = "") -> Figure:
    return Figure(name, round(value, 3), unit, "", None, note)


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile: with 50 samples, p99 is the slowest run and p50 the 25th."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def cache_dir() -> Path:
    """Where generated databases are kept between runs ($AISPEND_BENCH_CACHE, else the system temp dir)."""
    path = Path(os.environ.get(CACHE_ENV) or Path(tempfile.gettempdir()) / "aispend-bench")
    path.mkdir(parents=True, exist_ok=True)
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """A clean environment for a benchmark subprocess: the repo importable, no stray aispend or Slack settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AISPEND_", "SLACK_", "ANTHROPIC_", "OPENAI_"))}
    env["PYTHONPATH"] = str(REPO)
    env.pop(CACHE_ENV, None)
    env.update(extra or {})
    return env


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) // 1024} MiB"
                break
    except OSError:
        pass
    return {
        "nproc": str(os.cpu_count() or 0),
        "cpu": cpu,
        "memory": mem,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
    }


def timed(fn: Callable[[], object], runs: int, warmup: int = 2) -> list[float]:
    """Wall milliseconds of `runs` calls of fn, after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def slash_request(text: str, response_url: str, secret: str = SIGNING_SECRET) -> tuple[bytes, dict[str, str]]:
    """The body and headers Slack sends for `/aispend text`, signed now with `secret`."""
    body = urlencode(
        {
            "token": "legacy",
            "team_id": "T1",
            "channel_id": "C1",
            "user_id": "U1",
            "command": "/aispend",
            "text": text,
            "api_app_id": "A1",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    )
    stamp = str(int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body) or ""
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": signature,
    }
    return body.encode(), headers


def vm_status(pid: int | str = "self") -> dict[str, int]:
    """VmRSS / VmHWM (peak) of a process in KiB, from /proc/PID/status."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(rest.split()[0])
    return out

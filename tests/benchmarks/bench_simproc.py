"""The provider simulator in its own process, for the sync and memory benchmarks.

A real provider is another machine: its CPU must not compete with the client's for one GIL, so the simulator
(scale mode) runs in a child process. The parent talks to it over stdin/stdout, one command per line:
`latency SECONDS`, `warm DAYS` (compute the last DAYS days of both providers into the simulator's cache, so a
measured run does not wait on a cold simulator), `clear` (forget recorded requests), `requests` (prints the
recorded requests as JSON lines: provider, path and query without the cursor), `quit`.

Run directly: `python -m tests.benchmarks.bench_simproc TODAY [N_WORKSPACES N_MODELS [N_KEYS N_USERS]]` (without
the sizes: the simulator's default organization, as `aispend demo` serves it; without N_KEYS N_USERS: the scale
organization's default keys and users).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import IO, Any

from tests.benchmarks.bench_support import PYTHON, REPO, child_env

CURSOR_PARAMS = ("page", "after", "after_id")


@dataclass(frozen=True, slots=True)
class Seen:
    provider: str
    path: str
    query: tuple[tuple[str, str], ...]  # every parameter but the cursor, sorted: one chunk or listing
    cursor: bool  # the request carried a cursor (a follow-up page)


class SimProcess:
    def __init__(self, proc: subprocess.Popen[str], urls: dict[str, str]) -> None:
        self.proc = proc
        self.anthropic_url = urls["anthropic"]
        self.openai_url = urls["openai"]

    def _say(self, line: str) -> str:
        stdin, stdout = self._pipes()
        stdin.write(line + "\n")
        stdin.flush()
        return stdout.readline()

    def _pipes(self) -> tuple[IO[str], IO[str]]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        return self.proc.stdin, self.proc.stdout

    def set_latency(self, seconds: float) -> None:
        self._say(f"latency {seconds}")

    def clear(self) -> None:
        self._say("clear")

    def warm(self, days: int) -> None:
        self._say(f"warm {days}")

    def requests(self) -> list[Seen]:
        answer = json.loads(self._say("requests"))
        return [Seen(r["provider"], r["path"], tuple(tuple(p) for p in r["query"]), r["cursor"]) for r in answer]


@contextmanager
def simulator_process(
    today: date,
    n_workspaces: int | None = None,
    n_models: int | None = None,
    n_keys: int | None = None,
    n_users: int | None = None,
) -> Iterator[SimProcess]:
    sizes = [] if n_workspaces is None or n_models is None else [str(n_workspaces), str(n_models)]
    if sizes and n_keys is not None and n_users is not None:
        sizes += [str(n_keys), str(n_users)]
    cmd = [PYTHON, "-m", "tests.benchmarks.bench_simproc", today.isoformat(), *sizes]
    proc = subprocess.Popen(cmd, cwd=REPO, env=child_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        if not first:
            raise RuntimeError(
                "the simulator process did not start; run the command by hand to see why: " + " ".join(cmd)
            )
        yield SimProcess(proc, json.loads(first))
    finally:
        if proc.poll() is None:
            assert proc.stdin is not None
            try:
                proc.stdin.write("quit\n")
                proc.stdin.flush()
            except BrokenPipeError:
                pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _serve(
    today: date, n_workspaces: int | None, n_models: int | None, n_keys: int | None, n_users: int | None
) -> None:
    from bot.simulator import Simulator

    sim = Simulator(today, n_workspaces=n_workspaces, n_models=n_models, n_keys=n_keys, n_users=n_users)
    sim.start()
    print(json.dumps({"anthropic": sim.anthropic_url, "openai": sim.openai_url}), flush=True)
    try:
        for line in sys.stdin:
            command, _, arg = line.strip().partition(" ")
            if command == "latency":
                sim.latency = float(arg)
                print("ok", flush=True)
            elif command == "warm":
                for offset in range(int(arg) + 1):
                    sim.org.anthropic_day(today - timedelta(days=offset))
                    sim.org.openai_day(today - timedelta(days=offset))
                print("ok", flush=True)
            elif command == "clear":
                sim.clear_requests()
                print("ok", flush=True)
            elif command == "requests":
                print(json.dumps([_seen(r) for r in sim.requests]), flush=True)
            elif command == "quit":
                break
    finally:
        sim.stop()


def _seen(request: Any) -> dict[str, Any]:
    query = sorted((k, v) for k, values in request.query.items() if k not in CURSOR_PARAMS for v in values)
    cursor = any(k in CURSOR_PARAMS for k in request.query)
    return {"provider": request.provider, "path": request.path, "query": query, "cursor": cursor}


if __name__ == "__main__":
    sizes = [int(arg) for arg in sys.argv[2:]]
    scale = (sizes + [None] * 4)[:4] if len(sizes) in (2, 4) else [None] * 4
    _serve(date.fromisoformat(sys.argv[1]), *scale)

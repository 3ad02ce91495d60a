"""Ack and answer times of `/aispend week` in HTTP mode (a script, not a test: it reports, it never asserts).

Syncs the bundled provider simulator into a throw-away database, serves the real App through uvicorn on
loopback, and sends 100 signed `/aispend week` requests: first one at a time, then 10 at a time. For each it
measures the ack (the HTTP round trip Slack waits at most 3 s for) and the time until the answer reaches the
response_url (a fake Slack on loopback). Prints median, 95th percentile and worst of both.

    cd /work/main && /work/venv/bin/python tests/benchmarks/ack_times.py [--requests 100] [--concurrency 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bot.slack.app import WORK_WORKERS, Pools  # noqa: E402
from bot.slack.server import HttpServer  # noqa: E402
from tests.fake_slack import FakeSlack  # noqa: E402
from tests.slack_support import NOW, form_body, running_app, settings, signed, simulator_store, slash_form  # noqa: E402


def one_request(url: str, fake: FakeSlack, name: str) -> tuple[float, float]:
    body = form_body(slash_form("week", response_url=fake.response_url(name)))
    headers = {k: v if isinstance(v, str) else v[0] for k, v in signed(body).items()}
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    start = time.monotonic()
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
    acked = time.monotonic()
    answered = fake.wait_for(f"/commands/{name}", timeout=30)[0].at
    return acked - start, answered - start


def summary(label: str, values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    p95 = ms[max(0, round(len(ms) * 0.95) - 1)]
    return f"  {label:<22} median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms   worst {ms[-1]:7.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        began = time.monotonic()
        store = simulator_store(Path(tmp) / "sim.db", NOW, backfill_days=90)
        print(f"synced 90 days from the simulator in {time.monotonic() - began:.2f} s")
        pools = Pools(work=WORK_WORKERS)  # the bot's answer pool and ack gate, as `aispend run` wires them
        with store, running_app(fake, store, settings(), pools=pools) as app:
            server = HttpServer(app, "127.0.0.1", 0, gate=pools.gate).start()
            try:
                one_request(server.url, fake, "warm-up")
                for concurrency in (1, args.concurrency):
                    began = time.monotonic()
                    with ThreadPoolExecutor(concurrency) as pool:
                        times = list(
                            pool.map(
                                lambda i, c=concurrency: one_request(server.url, fake, f"c{c}-{i}"),
                                range(args.requests),
                            )
                        )
                    wall = time.monotonic() - began
                    print(f"{args.requests} signed `/aispend week` requests, {concurrency} at a time ({wall:.2f} s):")
                    print(summary("ack (HTTP 200)", [t[0] for t in times]))
                    print(summary("answer at response_url", [t[1] for t in times]))
            finally:
                server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

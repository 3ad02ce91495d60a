"""Issue 6 §1: report latency against history length, in-process and through the Slack handler.

For each generated database (bench_dbs: 30 / 365 / 730 days × 40 workspaces/projects × 25 models):
- in-process: `load_report` + `render_text` for `week`, `month` and `400d` (what `aispend report` does once the
  process is up), RUNS timed runs after warm-up on one open Store;
- the Slack handler path: a signed `/aispend PERIOD` POSTed to the bot's real HTTP server (uvicorn + Bolt, on
  loopback), timed until the answer reaches the response_url on a fake Slack Web API. This is the whole path a
  user waits on: verify, ack, load the report, build Block Kit, post.
Target: p99 < 50 ms at every size; flat: the median at the largest history ≤ 2 × the median at the smallest
history that already holds (≥ 90% of) the period's days. A 400-day report over 30 days of history reads 30 days
of spend and over 730 days reads 400: that growth is the report's content, not the history's length.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from bot.config import Secret, Settings
from bot.periods import parse_period
from bot.render_text import render_text
from bot.report import load_report
from bot.store import Store
from tests.benchmarks.bench_dbs import NOW, SIZES, TODAY, ensure_db
from tests.benchmarks.bench_support import (
    SIGNING_SECRET,
    Figure,
    below,
    info,
    median,
    percentile,
    slash_request,
    timed,
)
from tests.fake_slack import FakeSlack

PERIODS = ("week", "month", "400d")
RUNS = 50
P99_TARGET_MS = 50.0
FLAT_TARGET = 2.0
CONFIGURED = ["anthropic", "openai"]


def bench_settings() -> Settings:
    return Settings(
        anthropic_admin_key=Secret("sk-ant-admin01-bench"),
        openai_admin_key=Secret("sk-admin-bench"),
        slack_bot_token=Secret("xoxb-bench-token"),
        slack_signing_secret=Secret(SIGNING_SECRET),
        host="127.0.0.1",
    )


def in_process(store: Store, period_word: str, runs: int) -> list[float]:
    period = parse_period(period_word, TODAY)

    def once() -> None:
        report = load_report(store, period, now=NOW, configured=CONFIGURED, budget_usd=None)
        render_text(report, NOW)

    return timed(once, runs)


@contextmanager
def slack_bot(store: Store) -> Iterator[tuple[str, FakeSlack]]:
    """The bot's HTTP server on a free loopback port, its Web API pointed at a fake Slack: (events URL, fake)."""
    from bot.slack.app import Pools, create_app
    from bot.slack.client import build_client
    from bot.slack.server import HttpServer

    with FakeSlack() as fake:
        pools = Pools()
        app = create_app(
            client=build_client("xoxb-bench-token", fake.api_url),
            store=store,
            settings=bench_settings(),
            signing_secret=SIGNING_SECRET,
            now=lambda: NOW,
            pools=pools,
        )
        server = HttpServer(app, "127.0.0.1", 0, gate=pools.gate).start()
        try:
            yield server.url, fake
        finally:
            server.stop()
            pools.shutdown()


class SlashClient:
    """Signs and POSTs `/aispend` commands over one keep-alive connection, then waits for the answer."""

    def __init__(self, url: str, fake: FakeSlack) -> None:
        parsed = urlparse(url)
        self.path = parsed.path
        self.conn = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=30)
        self.fake = fake
        self.sent = 0

    def close(self) -> None:
        self.conn.close()

    def command(self, text: str) -> float:
        """Milliseconds from sending the request to the answer arriving at the response_url."""
        self.sent += 1
        name = f"bench-{self.sent}"
        body, headers = slash_request(text, self.fake.response_url(name))
        started = time.perf_counter()
        self.conn.request("POST", self.path, body=body, headers=headers)
        response = self.conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"the bot answered HTTP {response.status} to /aispend {text}")
        self.fake.wait_for(f"/commands/{name}", timeout=30)
        return (time.perf_counter() - started) * 1000


def slack_path(store: Store, period_word: str, runs: int) -> list[float]:
    """Each command arrives alone, as one person's does: back-to-back commands are a burst to the ack gate,
    which holds their answers until the burst has been quiet for QUIET_SECONDS (load_slash.py measures bursts)."""
    from bot.slack.gate import QUIET_SECONDS

    def alone() -> float:
        time.sleep(2 * QUIET_SECONDS)
        return client.command(period_word)

    with slack_bot(store) as (url, fake):
        client = SlashClient(url, fake)
        try:
            for _ in range(2):  # warm-up: first connection, first report
                alone()
            return [alone() for _ in range(runs)]
        finally:
            client.close()


def run(sizes: tuple[int, ...] = SIZES, runs: int = RUNS, directory: Path | None = None) -> list[Figure]:
    figures: list[Figure] = []
    medians: dict[tuple[str, str], dict[int, float]] = {}
    for days in sizes:
        with Store(ensure_db(days, directory=directory)) as store:
            for path_name, measure in (("report", in_process), ("slack", slack_path)):
                for word in PERIODS:
                    samples = measure(store, word, runs)
                    p50, p99 = median(samples), percentile(samples, 99)
                    medians.setdefault((path_name, word), {})[days] = p50
                    where = (
                        "load_report + render_text in-process"
                        if path_name == "report"
                        else "signed POST to the HTTP server → answer at the response_url, each command alone"
                    )
                    note = f"{runs} runs after warm-up; {where}"
                    figures.append(info(f"{path_name}.{word}.{days}d.p50", p50, "ms", note))
                    figures.append(below(f"{path_name}.{word}.{days}d.p99", p99, "ms", P99_TARGET_MS, note=note))
    if len(sizes) > 1:
        large = max(sizes)
        for (path_name, word), by_size in medians.items():
            small = baseline(sizes, parse_period(word, TODAY).days)
            ratio = by_size[large] / by_size[small]
            figures.append(
                Figure(
                    f"{path_name}.{word}.flatness",
                    round(ratio, 2),
                    "x",
                    f"≤ {FLAT_TARGET:g} x",
                    ratio <= FLAT_TARGET,
                    f"median at {large} days of history / median at {small} days, the smallest history holding "
                    "≥ 90% of the period's days (so both read as much spend and only the history differs)",
                )
            )
    return figures


def baseline(sizes: tuple[int, ...], period_days: int) -> int:
    """The history a flatness ratio compares against: the smallest that holds most of the period's days."""
    covering = [days for days in sorted(sizes) if days >= 0.9 * period_days and days != max(sizes)]
    return covering[0] if covering else min(sizes)

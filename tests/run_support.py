"""`aispend run` in HTTP mode as a child process, as an operator starts it, for the tests of its transport.

The child gets only the variables it needs (no provider key: `/aispend` answers from the database), writes its
log to files (a pipe would fill up), and may start with a lower file-descriptor limit, as under systemd.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.env_support import closed_port
from tests.slack_support import SECRET

REPO = Path(__file__).resolve().parents[1]
BOT_TOKEN = "xoxb-run-support-token"
# `python -m bot run`, after lowering the soft RLIMIT_NOFILE to argv[1] (0: leave it)
_LIMITED_RUN = (
    "import resource, runpy, sys\n"
    "soft = int(sys.argv.pop(1))\n"
    "if soft:\n"
    "    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))\n"
    "sys.argv = ['aispend', 'run']\n"
    "runpy.run_module('bot', run_name='__main__')\n"
)


@dataclass
class Child:
    process: subprocess.Popen[bytes]
    base: str  # http://127.0.0.1:PORT
    stderr_path: Path

    @property
    def events_url(self) -> str:
        return f"{self.base}/slack/events"

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def wait_until_listening(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"aispend run exited with {self.process.returncode}:\n{self.stderr()[-3000:]}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"aispend run did not listen within {timeout} s:\n{self.stderr()[-3000:]}")

    def wait_for_log(self, text: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.stderr():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} in the log:\n{self.stderr()[-3000:]}")
            time.sleep(0.05)

    def stop(self) -> int:
        """SIGTERM, as systemd sends it; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"aispend run did not stop on SIGTERM:\n{self.stderr()[-3000:]}") from None


@contextmanager
def aispend_run(
    tmp_path: Path, slack_api_url: str, *, nofile: int = 0, extra_env: dict[str, str] | None = None
) -> Iterator[Child]:
    """`aispend run` in HTTP mode on a free loopback port, talking to the Slack Web API at `slack_api_url`."""
    port = closed_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO),
        "SKIP_SLACK_SDK_WARNING": "1",
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack_api_url,
        "AISPEND_DB": str(tmp_path / "aispend.db"),
        "AISPEND_HOST": "127.0.0.1",
        "PORT": str(port),
        **(extra_env or {}),
    }
    out_path, err_path = tmp_path / "run.out", tmp_path / "run.err"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-c", _LIMITED_RUN, str(nofile)], env=env, cwd=tmp_path, stdout=out, stderr=err
        )
    child = Child(process, f"http://127.0.0.1:{port}", err_path)
    try:
        yield child
    finally:
        child.stop()


def raise_own_nofile(needed: int) -> None:
    """Let this (the test) process hold `needed` descriptors, or skip the test where the hard limit is lower."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return
    if hard != resource.RLIM_INFINITY and hard < needed:
        import pytest

        pytest.skip(f"needs {needed} file descriptors; the hard limit here is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))

"""The CLI as a user runs it: a subprocess, its exit code and its streams."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    # `aispend demo | head -1`: the reader leaves after one line; no traceback may follow
    with subprocess.Popen(
        [sys.executable, "-m", "bot", "demo"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()
        errors = proc.stderr.read().decode()
        code = proc.wait(timeout=60)
    assert first.startswith(b"aispend demo: simulator on http://127.0.0.1:")
    assert "Traceback" not in errors and "BrokenPipeError" not in errors
    assert code == 1


def test_no_command_prints_help_and_exits_2() -> None:
    done = subprocess.run([sys.executable, "-m", "bot"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "usage: aispend" in done.stdout and "demo" in done.stdout

"""The tests marked `dates` pass on other dates too: re-run in pytest subprocesses with the suite's clock moved.

Each marked test builds its data around `now`/`today` (tests/clock_support.py) and passes them down, so moved
400 days on, to a leap day and to five seconds into a new year it must still pass. A test that reads the real
clock, or code under it that does, or a date written in as if it were always November 2026, fails here the day
it is written rather than the day the calendar catches up with it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.clock_support import VARIABLE

REPO = Path(__file__).resolve().parent.parent
SHIFTS = {
    "400 days on": "+400d",
    "a leap day": "2028-02-29",
    "just after midnight on New Year's Day": "2027-01-01T00:00:05Z",
}


@pytest.mark.slow
@pytest.mark.skipif(VARIABLE in os.environ, reason="this is already a run with the clock moved")
def test_the_date_sensitive_tests_pass_with_the_clock_moved(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    runs = {}
    for name, value in SHIFTS.items():  # all at once: each mostly waits on its loopback servers
        work = tmp_path / f"run{len(runs)}"
        work.mkdir()
        command = [sys.executable, "-m", "pytest", "tests", "-m", "dates", "-p", "no:randomly", "-q", "-rp"]
        log = (work / "output.txt").open("wb")
        env = {**os.environ, VARIABLE: value}
        command += ["--basetemp", str(work / "tmp")]  # not pytest's shared numbered dirs, which it prunes
        runs[name] = (value, log, subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT))
    marked = {item.nodeid for item in request.session.items if item.get_closest_marker("dates")}
    for name, (value, log, process) in runs.items():
        code = process.wait(timeout=600)
        log.close()
        text = Path(log.name).read_text(errors="replace")
        assert code == 0, f"with {VARIABLE}={value} ({name}) the marked tests failed:\n{text[-8000:]}"
        passed = {line.removeprefix("PASSED ") for line in text.splitlines() if line.startswith("PASSED ")}
        assert passed, f"with {VARIABLE}={value} no test passed:\n{text[-2000:]}"
        if marked:  # this session collected the marked tests: exactly those ran, and every one passed
            assert passed == marked, (name, sorted(passed ^ marked))

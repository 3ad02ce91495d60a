"""`python -m tests.cli_at MOMENT ARG...`: the real `aispend` CLI (its logging, streams and exit codes), with
its clock fixed at MOMENT (ISO 8601, UTC), for the tests that run it in a subprocess.

`python -m bot ARG...` would read the real clock, so its `today` would be whatever day the test runs on; with
this the subprocess and the simulator the test started agree on the day even across midnight.
"""

from __future__ import annotations

import sys
from datetime import datetime

from bot.cli import main


def run(argv: list[str]) -> int:
    moment = datetime.fromisoformat(argv[0])
    if moment.tzinfo is None:
        raise SystemExit("tests.cli_at: MOMENT must name its time zone, e.g. 2026-11-22T10:00:00+00:00")
    return main(argv[1:], clock=lambda: moment)


if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:]))

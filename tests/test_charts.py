"""The charts, checked as images: size, not blank, and the bars a known database must give, counted by pixel."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bot.alerts.evaluation import spike_report
from bot.charts import daily_chart, month_chart, previous_by_day, render, spike_chart
from bot.charts.draw import DPI, HEIGHT, WIDTH
from bot.charts.model import (
    ACTUAL_COLOUR,
    BUDGET_COLOUR,
    FALL_COLOUR,
    PROJECTION_COLOUR,
    PROVIDER_COLOURS,
    RISE_COLOUR,
    Bar,
)
from bot.periods import parse_period
from bot.report import Report, load_report
from bot.store import Store
from tests.alert_support import NOW, TODAY, alert_settings, filled_store
from tests.chart_pixels import bars_across_columns, bars_across_rows, colour_pixels, image, ink_share

SIZE = (int(WIDTH * DPI), int(HEIGHT * DPI))
BARS = PROVIDER_COLOURS.values()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    # Nov 1 - Dec 3 2026: $150.10 a day, $240.30 a day from Nov 15 (tests/alert_support.py); today is Nov 22
    s = filled_store(tmp_path / "aispend.db")
    yield s
    s.close()


def report(store: Store, word: str, budget: Decimal | None = None) -> Report:
    period = parse_period(word, TODAY)
    return load_report(store, period, now=NOW, configured=["anthropic", "openai"], budget_usd=budget)


@pytest.mark.parametrize(("word", "bars"), [("week", 7), ("yesterday", 1), ("21d", 21)])
def test_daily_chart_has_one_bar_per_day_of_the_period(store: Store, word: str, bars: int) -> None:
    r = report(store, word)
    chart = render(daily_chart(r, previous_by_day(store, r)))
    img = image(chart.png)
    assert img.size == SIZE
    assert ink_share(img) > 0.05
    assert bars_across_rows(img, BARS) == bars


def test_daily_chart_stacks_each_provider_in_its_colour(store: Store) -> None:
    img = image(render(daily_chart(report(store, "week"), None)).png)
    # both layers are drawn in every bar: each colour alone counts the 7 days
    assert bars_across_rows(img, [PROVIDER_COLOURS["anthropic"]]) == 7
    assert bars_across_rows(img, [PROVIDER_COLOURS["openai"]]) == 7


def test_long_periods_are_drawn_as_weekly_bars(store: Store) -> None:
    # 210 days to Nov 21: 30 weekly bars, of which the data (Nov 1 on) fills the last 3 weeks and the part of
    # a fourth holding Nov 1 (the buckets run Apr 26.., so Oct 25-31 is empty and Nov 1-7 starts a bucket)
    r = report(store, "210d")
    chart = daily_chart(r, previous_by_day(store, r))
    assert chart.bucket_days == 7 and len(chart.days) == 30
    assert sum(sum(s.amounts, Decimal(0)) for s in chart.stacks) == r.total  # every day is in a bucket, exactly
    assert bars_across_rows(image(render(chart).png), BARS) == 3


def test_daily_chart_alt_text_states_total_change_and_budget(store: Store) -> None:
    r = report(store, "week", budget=Decimal("5000"))
    alt = render(daily_chart(r, previous_by_day(store, r))).alt
    assert "Total $1,682.10 (Anthropic $1,260.00, OpenAI $422.10)" in alt
    assert "Up 60.1% (+$631.40) from $1,050.70 in the previous 7 days" in alt
    # $5,000 over November's 30 days
    assert "budget's pace, $166.67 per day" in alt
    assert "Nov 15" in alt


def test_budget_pace_is_drawn_only_with_a_budget(store: Store) -> None:
    without = image(render(daily_chart(report(store, "week"), None)).png)
    with_budget = image(render(daily_chart(report(store, "week", Decimal("5000")), None)).png)
    assert colour_pixels(without, BUDGET_COLOUR, tolerance=10) == 0
    assert colour_pixels(with_budget, BUDGET_COLOUR, tolerance=10) > 200


def test_month_burn_up_draws_spend_projection_and_budget(store: Store) -> None:
    r = report(store, "month", budget=Decimal("5000"))
    chart = month_chart(r)
    assert chart is not None and r.month is not None
    assert chart.cumulative[-1] == r.month.month_to_date
    assert len(chart.cumulative) == 22 and chart.days_in_month == 30
    drawn = render(chart)
    img = image(drawn.png)
    assert img.size == SIZE
    for colour in (ACTUAL_COLOUR, PROJECTION_COLOUR, BUDGET_COLOUR):
        assert colour_pixels(img, colour, tolerance=20) > 100, colour
    assert "$4,023.80 spent through Nov 22" in drawn.alt
    assert "budget $5,000.00, 80% used" in drawn.alt
    assert "projection over budget" in drawn.alt


def test_month_chart_is_only_for_the_month_period(store: Store) -> None:
    assert month_chart(report(store, "week", Decimal("5000"))) is None


def test_spike_chart_has_a_bar_per_driver(store: Store) -> None:
    spike = spike_report(store, alert_settings(), TODAY)
    chart = spike_chart(spike)
    assert chart is not None
    # three combinations rose (batch-jobs +$560, web-app +$70, small +$1.40), nothing else moved
    assert [b.change for b in chart.bars] == [Decimal(560), Decimal(70), Decimal("1.4")]
    drawn = render(chart)
    img = image(drawn.png)
    assert img.size == SIZE
    # the +$1.40 bar is under a pixel wide at this scale: two bars can be seen
    assert bars_across_columns(img, [RISE_COLOUR]) == 2
    assert "+$631.40, +60%" in drawn.alt and "anthropic / batch-jobs / claude-opus-4-8 +$560.00" in drawn.alt


def test_spike_chart_draws_falls_in_their_own_colour(store: Store) -> None:
    spike = spike_report(store, alert_settings(), TODAY)
    chart = spike_chart(spike)
    assert chart is not None
    mixed = dataclasses.replace(chart, bars=(*chart.bars[:2], Bar("openai / web-app / gpt-4o", Decimal(-300))))
    img = image(render(mixed).png)
    assert bars_across_columns(img, [RISE_COLOUR]) == 2
    assert bars_across_columns(img, [FALL_COLOUR]) == 1


def test_a_dollar_sign_in_a_name_is_text_not_math(store: Store) -> None:
    spike = spike_report(store, alert_settings(), TODAY)
    chart = spike_chart(spike)
    assert chart is not None
    # mathtext would fail on an unbalanced "$" or typeset "$x$" as math
    odd = dataclasses.replace(chart, bars=(Bar("anthropic / $team / a$b$c", Decimal(5)), *chart.bars))
    assert image(render(odd).png).size == SIZE


def test_report_and_start_up_never_import_matplotlib(tmp_path: Path) -> None:
    db = tmp_path / "aispend.db"
    filled_store(db).close()
    script = (
        "import sys\n"
        "from datetime import datetime, UTC\n"
        "from bot.cli import main\n"
        "import bot.slack.listener, bot.alerts.service, bot.runner\n"
        "at = datetime(2026, 11, 22, 9, tzinfo=UTC)\n"
        "code = main(['report', 'week', '--as-of', '2026-11-22'], clock=lambda: at)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib')\n"
        "print('LOADED', loaded)\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={"AISPEND_DB": str(db), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).parent.parent)},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "$1,682.10" in done.stdout
    assert "LOADED []" in done.stdout


@pytest.mark.dates
def test_the_demo_writes_the_charts_it_would_post(tmp_path: Path, now: datetime) -> None:
    folder = tmp_path / "charts"
    done = subprocess.run(
        [sys.executable, "-m", "tests.cli_at", now.isoformat(), "demo", "--charts", str(folder)],
        cwd=Path(__file__).parent.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    listed = done.stdout.split("\nThe charts it would post (PNG):\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert listed == [
        f"  /aispend week: {folder / 'daily.png'}",
        f"  /aispend month: {folder / 'month.png'}",
        f"  the spike alert: {folder / 'spike.png'}",
    ]
    for name in ("daily.png", "month.png", "spike.png"):
        img = image((folder / name).read_bytes())
        assert img.size == SIZE and ink_share(img) > 0.05
    assert bars_across_rows(image((folder / "daily.png").read_bytes()), BARS) == 7

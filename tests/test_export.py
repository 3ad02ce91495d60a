"""`aispend export`: billed rows from a real synced database that sum exactly to `report --json`, per period, grain
and provider; CSV that a spreadsheet cannot execute (negative credits still numbers); JSON Lines; `-o FILE`."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.export_format import csv_cell, neutralise
from bot.money import usd_to_nano
from bot.records import CostRecord, Label, ProviderData, UsageRecord
from bot.simulator import Simulator
from bot.store import Store
from tests.slack_support import simulator_store

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)  # the export's own clock: no test reads the real one
TODAY = NOW.date()
GRAINS = ("item", "day", "model", "workspace", "key", "user")
PERIODS = ("today", "yesterday", "week", "month", "30d")


@pytest.fixture(scope="module")
def synced_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """40 days of the simulated organization; OpenAI refuses cost by key, so its keys are token shares while
    Anthropic's are billed: both bases in one export."""
    path = tmp_path_factory.mktemp("export") / "aispend.db"

    def no_key_costs(sim: Simulator) -> None:
        sim.org.openai_key_costs = False

    simulator_store(path, NOW, backfill_days=40, configure=no_key_costs).close()
    yield path


def cli(
    capsys: pytest.CaptureFixture[str], db: Path, *args: str, now: datetime = NOW, **env: str
) -> tuple[int, str, str]:
    code = main(list(args), environ={"AISPEND_DB": str(db), **env}, clock=lambda: now)
    out, err = capsys.readouterr()
    return code, out, err


def report_json(capsys: pytest.CaptureFixture[str], db: Path, period: str) -> dict[str, Any]:
    code, out, _ = cli(capsys, db, "report", period, "--json")
    assert code == 0
    parsed: dict[str, Any] = json.loads(out, parse_float=Decimal)
    return parsed


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def usd_sums(rows: list[dict[str, str]]) -> tuple[Decimal, dict[str, Decimal]]:
    total, by_provider = Decimal(0), defaultdict(Decimal)
    for row in rows:
        if row["usd"]:
            total += Decimal(row["usd"])
            by_provider[row["provider"]] += Decimal(row["usd"])
    return total, dict(by_provider)


@pytest.mark.parametrize("period", PERIODS)
def test_every_grain_sums_exactly_to_the_report(
    capsys: pytest.CaptureFixture[str], synced_db: Path, monkeypatch: pytest.MonkeyPatch, period: str
) -> None:
    monkeypatch.chdir(synced_db.parent)
    report = report_json(capsys, synced_db, period)
    providers = {p["provider"]: p["total_usd"] for p in report["providers"] if p["total_usd"]}
    for grain in GRAINS:
        code, out, _ = cli(capsys, synced_db, "export", period, "--by", grain)
        assert code == 0
        rows = csv_rows(out)
        total, by_provider = usd_sums(rows)
        # exact: Decimal sums of the full-precision cells, to the nano-dollar, not only the cent
        assert total == report["total_usd"], (period, grain)
        assert {p: v for p, v in by_provider.items() if v} == providers, (period, grain)
        assert {r["date"] for r in rows} <= {d["date"] for d in report["daily"]}
    assert report["total_usd"] or period == "today"


def test_day_rows_are_the_reports_days_and_model_rows_its_tokens(
    capsys: pytest.CaptureFixture[str], synced_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(synced_db.parent)
    report = report_json(capsys, synced_db, "week")
    _, out, _ = cli(capsys, synced_db, "export", "week", "--by", "day")
    rows = csv_rows(out)
    days: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        days[row["date"]] += Decimal(row["usd"])
    assert days == {d["date"]: d["total_usd"] for d in report["daily"]}
    # tokens at the model grain are every token the report counts
    _, out, _ = cli(capsys, synced_db, "export", "week", "--by", "model")
    tokens = {k: sum(int(r[f"{k}_tokens"]) for r in csv_rows(out)) for k in ("input", "output", "cache_read")}
    assert tokens == {k: report["tokens"][k] for k in tokens}
    # a model billed under another name (OpenAI's fine-tunes) has tokens and no billed figure: blank, never $0
    unbilled = [r for r in csv_rows(out) if not r["usd"]]
    assert unbilled and all(int(r["input_tokens"]) > 0 for r in unbilled)
    assert all(r["model"].startswith("ft:") for r in unbilled)


@pytest.mark.parametrize("kind", ["key", "user"])
def test_spender_rows_add_up_to_the_reports_spender_lines_and_label_their_basis(
    capsys: pytest.CaptureFixture[str], synced_db: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    monkeypatch.chdir(synced_db.parent)
    report = report_json(capsys, synced_db, "30d")
    _, out, _ = cli(capsys, synced_db, "export", "30d", "--by", kind)
    rows = csv_rows(out)
    per: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for row in rows:
        if row["basis"] in ("billed", "token_share") and row["usd"]:
            per[(row["provider"], row[f"{kind}_id"], row["basis"])] += Decimal(row["usd"])
    expected = {(line["provider"], line["id"] or "", line["basis"]): line["total_usd"] for line in report[f"{kind}s"]}
    assert {k: v for k, v in per.items() if v} == expected
    bases = {(row["provider"], row["basis"]) for row in rows}
    if kind == "key":
        assert ("anthropic", "billed") in bases and ("openai", "token_share") in bases
    # what no spender covers is a row of its own, labelled, and part of the bill
    unassigned = [row for row in rows if row["basis"] == "unassigned"]
    assert unassigned and all(not row[f"{kind}_id"] and row[kind].startswith("(not assigned") for row in unassigned)


def test_user_emails_only_with_emails(
    capsys: pytest.CaptureFixture[str], synced_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(synced_db.parent)
    _, plain, _ = cli(capsys, synced_db, "export", "week", "--by", "user")
    assert "email" not in csv_rows(plain)[0] and "@" not in plain
    _, with_emails, _ = cli(capsys, synced_db, "export", "week", "--by", "user", "--emails")
    assert any("@" in row["email"] for row in csv_rows(with_emails))
    code, _, err = cli(capsys, synced_db, "export", "week", "--emails")
    assert code == 2 and "--emails goes with `aispend export --by user` only." in err


def test_jsonl_rows_are_exact_numbers_and_sum_to_the_report(
    capsys: pytest.CaptureFixture[str], synced_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(synced_db.parent)
    report = report_json(capsys, synced_db, "month")
    for grain in ("item", "key"):
        _, out, _ = cli(capsys, synced_db, "export", "month", "--by", grain, "--format", "jsonl")
        rows = [json.loads(line, parse_float=Decimal) for line in out.splitlines()]
        assert rows and all(isinstance(r["usd"], Decimal | int) or r["usd"] is None for r in rows)
        assert sum(r["usd"] for r in rows if r["usd"] is not None) == report["total_usd"]


def test_output_file_is_private_complete_and_the_same_as_stdout(
    capsys: pytest.CaptureFixture[str], synced_db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(synced_db.parent)
    _, stdout, _ = cli(capsys, synced_db, "export", "month", "--by", "workspace")
    target = tmp_path / "finance.csv"
    target.write_text("old contents")
    os.chmod(target, 0o644)
    code, out, err = cli(capsys, synced_db, "export", "month", "--by", "workspace", "-o", str(target))
    assert code == 0 and out == ""
    assert target.read_bytes() == stdout.encode()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["finance.csv"]  # no temporary file left behind
    assert err.startswith(f"Wrote {len(csv_rows(stdout))} rows (") and str(target) in err
    code, _, err = cli(capsys, synced_db, "export", "-o", str(tmp_path / "missing" / "x.csv"))
    assert code == 1 and err.count("\n") == 1 and "choose a folder you can write to with -o" in err
    assert not (tmp_path / "missing").exists()


# ---- hostile provider text and negative amounts, written through the store API ------------------------------

HOSTILE = {
    '=HYPERLINK("http://x.test","pay")': "formula",
    "+1+1": "plus",
    "-2+3": "minus",
    "@SUM(A1:A9)": "at",
    "\tTAB=1": "tab",
    "\rCR=1": "carriage return",
}


def hostile_db(path: Path) -> Path:
    day = TODAY - timedelta(days=1)
    nano = usd_to_nano
    data = ProviderData("openai", day, TODAY)
    names = list(HOSTILE)
    for n, name in enumerate(names):
        data.costs.append(CostRecord("openai", day, f"proj_{n}", f"model-{n}", name, "", nano(Decimal("2.5"))))
        data.labels.append(Label("openai", f"proj_{n}", name))
    # a credit: a negative line item, and a model whose id tries a formula
    data.costs.append(
        CostRecord("openai", day, "proj_0", "=cmd|' /C calc'!A0", "credit \x1b[2Jrefund", "", -nano(Decimal("1.25")))
    )
    data.usage.append(UsageRecord("openai", day, "proj_0", "=cmd|' /C calc'!A0", "", 10, 5, 0, 0, 1))
    with Store(path) as store:
        sync_id = store.begin_sync("openai", NOW - timedelta(minutes=1), (day, TODAY))
        rows = store.replace_provider_data(data, NOW)
        store.finish_sync(sync_id, NOW, "ok", None, rows)
    return path


@pytest.mark.parametrize("grain", ["item", "model", "workspace"])
def test_csv_cells_cannot_run_formulas_and_negative_numbers_stay_numbers(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, grain: str
) -> None:
    monkeypatch.chdir(tmp_path)
    db = hostile_db(tmp_path / "h.db")
    code, out, _ = cli(capsys, db, "export", "yesterday", "--by", grain)
    assert code == 0
    with io.StringIO(out, newline="") as text:
        table = list(csv.reader(text))
    header, body = table[0], table[1:]
    usd_col = header.index("usd")
    for row in body:
        for n, cell in enumerate(row):
            if n == usd_col or header[n].endswith("_tokens"):
                assert cell == "" or Decimal(cell) == Decimal(cell.strip())  # a plain number, sign and all
                continue
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (header[n], cell)
            assert "\x1b" not in cell and "\r" not in cell and "\t" not in cell
    amounts = sorted(Decimal(row[usd_col]) for row in body)
    if grain == "item":
        assert amounts[0] == Decimal("-1.25")  # the credit, as a number a spreadsheet can add
        assert '\'=HYPERLINK("http://x.test","pay")' in {row[header.index("cost_type")] for row in body}
        assert "credit refund" in {row[header.index("cost_type")] for row in body}
    if grain == "workspace":
        # a leading tab or carriage return is dropped with the other control characters, so those stay plain
        names = {row[header.index("workspace")] for row in body}
        assert names == {'\'=HYPERLINK("http://x.test","pay")', "'+1+1", "'-2+3", "'@SUM(A1:A9)", "TAB=1", "CR=1"}
    assert sum(amounts) == Decimal("2.5") * len(HOSTILE) - Decimal("1.25")


def test_csv_neutralises_each_dangerous_start() -> None:
    assert csv_cell("workspace", "=1+1") == "'=1+1"
    assert csv_cell("workspace", "+1") == "'+1"
    assert csv_cell("workspace", "-1") == "'-1"  # text that looks like a number is still provider text
    assert csv_cell("workspace", "@x") == "'@x"
    assert csv_cell("workspace", "\t=1") == "'=1"  # the tab goes (a control character), the formula stays text
    assert neutralise("\tx") == "'\tx" and neutralise("\rx") == "'\rx"
    assert csv_cell("workspace", "plain-name") == "plain-name"
    assert csv_cell("usd", Decimal("-0.000000001")) == "-0.000000001"
    assert csv_cell("usd", Decimal("1E+1")) == "10"
    assert csv_cell("input_tokens", -3) == "-3"
    assert csv_cell("usd", None) == ""


class _Counting:
    """A stream that keeps nothing: only how much was written."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, text: str) -> int:
        self.size += len(text)
        return len(text)


@pytest.mark.parametrize("grain", ["item", "model"])
def test_a_year_streams_in_bounded_memory(tmp_path: Path, grain: str) -> None:
    """A year of 300 line items a day is written without holding the rows: Python's peak allocation stays a
    small fraction of the output (holding the rows in a list peaks at about nine times the output)."""
    import tracemalloc

    from bot.export_format import write_rows
    from bot.export_rows import columns, export_rows
    from bot.periods import parse_period

    end = TODAY
    start = end - timedelta(days=365)
    data = ProviderData("anthropic", start, end)
    day = start
    while day < end:
        for n in range(300):
            item = f"tokens/line-{n % 6}"
            data.costs.append(CostRecord("anthropic", day, f"wrkspc_{n // 60}", f"model-{n // 6}", item, "", 1_000 + n))
        day += timedelta(days=1)
    with Store(tmp_path / "year.db") as store:
        store.replace_provider_data(data, NOW)
        del data
        period = parse_period("365d", TODAY)
        sink = _Counting()
        tracemalloc.start()
        try:
            rows = export_rows(store, period, grain, people=True)
            totals = write_rows(sink, rows, columns(grain), "csv")  # type: ignore[arg-type]
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert totals.rows == 365 * (300 if grain == "item" else 50)
    assert sink.size > 3_000_000 if grain == "item" else sink.size > 500_000
    assert peak < sink.size / 5, (peak, sink.size)


def test_what_the_report_notes_about_the_days_is_said_beside_the_rows(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An export with a configured provider that was never synced is not silently short of its spend."""
    monkeypatch.chdir(tmp_path)
    db = hostile_db(tmp_path / "h.db")
    code, out, err = cli(capsys, db, "export", "yesterday", ANTHROPIC_ADMIN_KEY="sk-ant-admin01-x")
    assert code == 0 and out.startswith("date,provider,")
    notes = [line for line in err.splitlines() if line.startswith("aispend: note: ")]
    assert "aispend: note: Anthropic has never been synced, so its spend is not shown; run `aispend sync`." in notes
    assert "aispend: note: " not in out

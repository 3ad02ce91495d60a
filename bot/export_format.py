"""Writing export rows as CSV or JSON Lines, one row at a time, to a stream or atomically to a private file.

A spreadsheet must not run anything from a CSV whose text came from providers (workspace, model, key and user
names, line items): every text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return (OWASP's
CSV injection list) gets a leading `'`, which spreadsheets show as text and do not evaluate. Numbers are ours
(`usd` and token counts, written from Decimal and int), so a credit of -1.25 stays the number -1.25 that a
SUM() can add. Text cells are also made one line without control or bidi characters (bot.safe_text.clean).
JSON Lines keeps provider text as data (json escapes every control and non-ASCII character), as `report --json`.
"""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from bot.errors import AispendError
from bot.export_rows import NUMERIC, Cell, Row
from bot.report_json import dumps_json
from bot.safe_text import clean

FORMATS = ("csv", "jsonl")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CELL_LIMIT = 1000  # a name is far shorter; clean() cuts anything longer with an ellipsis


def neutralise(text: str) -> str:
    """A text cell a spreadsheet shows as the text it is: never a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cell(column: str, value: Cell) -> str:
    if value is None:
        return ""
    if column in NUMERIC:
        if isinstance(value, Decimal):
            return format(value, "f")  # full precision, never 1E+1
        if isinstance(value, int):
            return str(value)
        raise TypeError(f"column {column} holds {value!r}, not a number")
    text = str(value)
    return neutralise(clean(text, CELL_LIMIT)) if text else ""


class Totals:
    """What was written: rows and the exact USD sum, for the one line saying where the file went."""

    def __init__(self) -> None:
        self.rows = 0
        self.usd = Decimal(0)

    def add(self, row: Row) -> None:
        self.rows += 1
        usd = row.get("usd")
        if isinstance(usd, Decimal):
            self.usd += usd


def write_rows(out: TextIO, rows: Iterable[Row], columns: Sequence[str], fmt: str) -> Totals:
    """Write `rows` to `out` as they come (constant memory); the totals of what was written."""
    totals = Totals()
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180, as spreadsheets expect
        writer.writerow(columns)
        for row in rows:
            writer.writerow([csv_cell(c, row.get(c)) for c in columns])
            totals.add(row)
    elif fmt == "jsonl":
        for row in rows:
            out.write(dumps_json({c: row.get(c) for c in columns}, indent=None) + "\n")
            totals.add(row)
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    return totals


def write_file(path: Path, rows: Iterable[Row], columns: Sequence[str], fmt: str) -> Totals:
    """Write the export to `path` atomically: a private (0600) temporary file in the same folder, renamed over
    `path` only once complete, so a failure never leaves half a file where the finance sheet looks."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)  # mode 0600
    except OSError as err:
        raise AispendError(f"Cannot write {path} ({err.strerror}): choose a folder you can write to with -o.") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as file:
            totals = write_rows(file, rows, columns, fmt)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except OSError as err:
        _remove(temp)
        raise AispendError(f"Cannot write {path} ({err.strerror}): choose a file you can write with -o.") from None
    except BaseException:
        _remove(temp)
        raise
    return totals


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)

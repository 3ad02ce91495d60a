"""Records a fetch sets aside on disk until the store writes them (issue 11 §7: the backfill's memory).

A 400-day backfill of a 2,000-key organization is millions of records (costs, usage, and per-key and per-user
rows). Held in lists until the one write transaction, they made the sync's peak memory grow with the window. A
provider given a RecordSpill instead writes each sealed part (a day's bucket, or a run of days) here as it ends,
and the store reads them back a part at a time inside the sync's single write transaction: memory is bounded by
a part, while the write stays all-or-nothing and starts only once the whole fetch succeeded.

The file is an unnamed temporary file (deleted by the system when closed, or if the process dies), in the
database's directory when the sync gives it: what the store writes anyway, not the machine's memory. Rows are
the records' field values; nothing secret (no key, no email) is ever in them.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import tempfile
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from operator import attrgetter
from typing import IO, Any, TypeVar

T = TypeVar("T")

# what a part holds (ProviderData reads each back as its records); spender costs are kept per kind
COSTS = "costs"
USAGE = "usage"
SPENDER_USAGE = "spender_usage"
PRICED_USAGE = "priced_usage"
# usage by kind is kept per kind (a kind the provider refused is discarded whole)
KIND_USAGE = "usage_kinds:"


def kind_usage(kind: str) -> str:
    return KIND_USAGE + kind


def spender_costs(kind: str) -> str:
    return f"spender_costs:{kind}"


class RecordSpill:
    """Append-only parts of records by tag, written by any fetch thread and read back in the order written."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        # closed by close() (the sync's), not a with block: the file outlives the fetch that fills it
        self._file: IO[bytes] = tempfile.TemporaryFile(prefix="aispend-sync-", dir=directory)  # noqa: SIM115
        self._lock = threading.Lock()
        self._parts: dict[str, list[tuple[int, int]]] = defaultdict(list)  # tag -> (offset, size) of each part
        self._rows: dict[str, int] = defaultdict(int)
        self._types: dict[str, type[Any]] = {}
        self._rewrites: dict[str, list[Callable[[Any], Any]]] = defaultdict(list)

    def add(self, tag: str, records: Sequence[Any]) -> None:
        """Set aside `records` (frozen dataclasses of one type per tag) as one part."""
        if not records:
            return
        cls = type(records[0])
        fields = attrgetter(*(f.name for f in dataclasses.fields(cls)))
        # plain tuples, not the objects: a third of the bytes and of the time (dates and repeated strings are
        # shared within a part by pickle's memo)
        blob = pickle.dumps([fields(r) for r in records], protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            if self._types.setdefault(tag, cls) is not cls:
                raise TypeError(f"records of {cls.__name__} set aside as {tag!r}, which holds {self._types[tag]}")
            offset = self._file.seek(0, os.SEEK_END)
            self._file.write(blob)
            self._parts[tag].append((offset, len(blob)))
            self._rows[tag] += len(records)

    def rewrite(self, tag: str, fix: Callable[[T], T]) -> None:
        """Pass every record of `tag` read from now on through `fix` (what the fetch learnt after setting it aside,
        e.g. which workspace ids are the Default Workspace's)."""
        with self._lock:
            self._rewrites[tag].append(fix)

    def discard(self, tag: str) -> None:
        """Forget every part of `tag` (e.g. costs that a refusal elsewhere in the fetch made void)."""
        with self._lock:
            self._parts.pop(tag, None)
            self._rows.pop(tag, None)

    def tags(self, prefix: str) -> list[str]:
        """The tags starting with `prefix` that hold records, sorted."""
        with self._lock:
            return sorted(tag for tag, parts in self._parts.items() if tag.startswith(prefix) and parts)

    def count(self, tag: str) -> int:
        with self._lock:
            return self._rows.get(tag, 0)

    def records(self, tag: str, cls: type[T]) -> Iterator[T]:
        """Every record of `tag` as `cls`, one part in memory at a time."""
        with self._lock:
            parts = list(self._parts.get(tag, ()))
            fixes = list(self._rewrites.get(tag, ()))
            if parts and self._types[tag] is not cls:
                raise TypeError(f"{tag!r} holds {self._types[tag].__name__}, not {cls.__name__}")
        for offset, size in parts:
            with self._lock:
                self._file.seek(offset)
                blob = self._file.read(size)
            for row in pickle.loads(blob):
                record = cls(*row)
                for fix in fixes:
                    record = fix(record)
                yield record

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> RecordSpill:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""SQLite connections: one per thread, WAL pragmas, serialized writes, and sqlite errors turned into StoreError.

The Slack answer pool, the scheduler and the sync threads share one Store. sqlite3 connections must not be
used by two threads at once, so each thread gets its own (threading.local). Readers never block in WAL mode;
writers take an in-process lock and rely on busy_timeout to wait for other processes, so nobody sees
"database is locked".
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.errors import StoreError

BUSY_TIMEOUT_MS = 10_000
_FIX = "set AISPEND_DB to a writable path"


def to_timestamp(moment: datetime) -> str:
    """ISO 8601 UTC with a Z, to the second: "2026-11-21T08:00:04Z". Naive datetimes are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"timestamp {moment.isoformat()} has no time zone; pass an aware UTC datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_path(path: str) -> None:
    """StoreError saying what to do when `path` cannot hold a database, before sqlite says it cryptically."""
    if path == ":memory:" or path.startswith("file:"):
        raise StoreError(f"The database must be a file path, not {path!r} (threads each open it); {_FIX}.")
    file = Path(path)
    folder = file.parent
    if not folder.is_dir():
        raise StoreError(f"Cannot open the database {path}: the directory {folder} does not exist; {_FIX}.")
    if file.is_dir():
        raise StoreError(f"Cannot open the database {path}: it is a directory; {_FIX}.")
    # WAL mode writes PATH-wal and PATH-shm beside the file, so the directory itself must be writable
    if not os.access(folder, os.W_OK) or (file.exists() and not os.access(file, os.R_OK | os.W_OK)):
        raise StoreError(f"Cannot write the database {path}: permission denied; {_FIX}.")


@contextmanager
def translated(path: str, action: str) -> Iterator[None]:
    """Re-raise sqlite3 errors as StoreError (one sentence with the fix); everything else passes through."""
    try:
        yield
    except sqlite3.Error as err:
        raise StoreError(f"Could not {action} the database {path}: {err}; check the disk and {_FIX}.") from err


def _connect(path: str) -> Database:
    # check_same_thread=False only so that close() may close every thread's connection at shutdown;
    # during normal operation each connection is used solely by the thread that opened it.
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"The database {path} cannot use WAL mode (got {mode!r}); {_FIX} on a local disk.")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        return Database(conn, execute_plugins=False)
    except BaseException:
        conn.close()
        raise


class Connections:
    """Per-thread sqlite-utils Databases for one file, plus the lock that serializes this process's writers."""

    def __init__(self, path: str) -> None:
        check_path(path)
        self.path = path
        self.write_lock = threading.Lock()
        self._local = threading.local()
        # weak, so a finished thread's connection is closed when its thread-local storage goes away
        self._open: weakref.WeakSet[Database] = weakref.WeakSet()
        self._registry_lock = threading.Lock()
        self._closed = False

    def db(self) -> Database:
        """This thread's connection, opened on first use."""
        if self._closed:
            raise StoreError(f"The store for {self.path} is closed; open a new Store.")
        db: Database | None = getattr(self._local, "db", None)
        if db is None:
            with translated(self.path, "open"):
                db = _connect(self.path)
            self._local.db = db
            with self._registry_lock:
                self._open.add(db)
        return db

    @contextmanager
    def reading(self) -> Iterator[Database]:
        db = self.db()
        with translated(self.path, "read"):
            yield db

    @contextmanager
    def writing(self) -> Iterator[Database]:
        """One write transaction (db.atomic()); rolled back entirely if the block raises."""
        db = self.db()
        # Every write transaction starts with a write statement, so the deferred BEGIN of atomic() takes the
        # write lock at once (waiting up to busy_timeout for another process) instead of failing an upgrade.
        with self.write_lock, translated(self.path, "write"), db.atomic():
            yield db

    def migrate(self, migrations: Migrations) -> None:
        """Apply pending migrations once, even when several processes open a new database at the same time."""
        db = self.db()
        with translated(self.path, "migrate"):
            if not migrations.pending(db):
                return
            with self.write_lock:
                # IMMEDIATE: take the write lock before re-reading what is pending, so two processes cannot
                # both decide to apply the same migration; apply()'s own atomic() nests as savepoints.
                db.execute("BEGIN IMMEDIATE")
                try:
                    migrations.apply(db)
                except BaseException:
                    db.rollback()
                    raise
                db.execute("COMMIT")

    def close(self) -> None:
        self._closed = True
        with self._registry_lock:
            dbs = list(self._open)
            self._open.clear()
        for db in dbs:
            db.close()

"""SQLite connections: one per thread, WAL pragmas, serialized writes, and sqlite errors turned into StoreError.

The Slack answer pool, the scheduler and the sync threads share one Store. sqlite3 connections must not be
used by two threads at once, so each thread gets its own (threading.local). Readers never block in WAL mode;
writers take an in-process lock and rely on busy_timeout to wait for other processes, so nobody sees
"database is locked".

Before the first connection, the file is created 0600 if it is new (SQLite gives PATH-wal and PATH-shm the main
file's mode) and inspected: another program's SQLite file or one written by a newer aispend is refused before
anything is written to it. Each StoreError says what is actually wrong: a path to fix, a damaged file, a lock.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import stat
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.errors import StoreError

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
SCHEMA_PREFIX = "aispend"  # every migration set of ours is named aispend…; the first one is exactly this
_FIX = "set AISPEND_DB to a writable path"
_DAMAGED = (
    "restore it from a backup, or move it aside and run `aispend sync` to build a new one (set AISPEND_DB if it is "
    "the wrong file)"
)


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
    if file.exists() and not file.is_file():  # SQLite would call /dev/null or a FIFO "a disk I/O error"
        raise StoreError(
            f"Cannot use {path} as the database: it is not a regular file (a device, FIFO or socket); set AISPEND_DB "
            "to a file path."
        )
    # WAL mode writes PATH-wal and PATH-shm beside the file, so the directory itself must be writable
    if not os.access(folder, os.W_OK) or (file.exists() and not os.access(file, os.R_OK | os.W_OK)):
        raise StoreError(f"Cannot write the database {path}: permission denied; {_FIX}.")


def store_error(path: str, action: str, err: sqlite3.Error) -> StoreError:
    """One sentence saying what is wrong with the database and what to do, by SQLite's result code."""
    code = (getattr(err, "sqlite_errorcode", None) or 0) & 0xFF  # the primary result code of an extended one
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return StoreError(f"The database {path} is damaged or is not an aispend database ({err}): {_DAMAGED}.")
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StoreError(
            f"Could not {action} the database {path}: another process kept it locked for "
            f"{BUSY_TIMEOUT_MS // 1000} s ({err}); let it finish, or stop the other program holding it, and try again."
        )
    if code == sqlite3.SQLITE_FULL:
        return StoreError(f"Could not {action} the database {path}: the disk is full; free some space and try again.")
    if code in (sqlite3.SQLITE_PERM, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN):
        return StoreError(f"Could not {action} the database {path}: {err}; {_FIX}.")
    if code == sqlite3.SQLITE_CONSTRAINT:  # the schema refused what the code wrote
        return StoreError(
            f"Could not {action} the database {path}: {err}; this is a bug in aispend, please report it with the log."
        )
    if code == sqlite3.SQLITE_IOERR:
        return StoreError(f"Could not {action} the database {path}: a disk error ({err}); check the disk.")
    return StoreError(f"Could not {action} the database {path}: {err}; check the disk and that AISPEND_DB is right.")


@contextmanager
def translated(path: str, action: str) -> Iterator[None]:
    """Re-raise sqlite3 errors as StoreError (one sentence with the fix); everything else passes through."""
    try:
        yield
    except sqlite3.Error as err:
        raise store_error(path, action, err) from err


def create_private(path: str) -> None:
    """Create the database file readable by its owner only, unless it exists (SQLite would make it 0644).

    A symlink to a file that does not exist yet is followed (O_EXCL alone would not create through it).
    """
    try:
        fd = os.open(os.path.realpath(path), os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as err:
        raise StoreError(f"Cannot create the database {path} ({err.strerror}); {_FIX}.") from None
    os.close(fd)


def permission_warnings(path: str) -> list[str]:
    """A warning when the database or its -wal/-shm is readable by other users, with the chmod that fixes it."""
    loose = []
    for name in (path, f"{path}-wal", f"{path}-shm"):
        try:
            mode = os.stat(name).st_mode
        except OSError:
            continue
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            loose.append(name)
    if not loose:
        return []
    return [
        f"{' and '.join(loose)} {'is' if len(loose) == 1 else 'are'} readable by other users; the database holds "
        f"your organization's spend, names and settings, so run: chmod 600 {' '.join(loose)}"
    ]


def refuse_foreign(path: str, db: sqlite3.Connection, known: Sequence[Migrations]) -> None:
    """StoreError when the file is another program's database, or holds migrations this release does not know.

    Only reads. A set named aispend… that is not in `known`, or a name a known set lacks, was written by a newer
    aispend: opening it anyway could migrate or misread tables this code does not understand.
    """
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()}
    if not tables:
        return  # new and empty
    applied: list[tuple[str, str]] = []
    if Migrations.migrations_table in tables:
        applied = [(row[0], row[1]) for row in db.execute("SELECT migration_set, name FROM _sqlite_migrations")]
    if not any(set_name == SCHEMA_PREFIX for set_name, _ in applied):
        raise StoreError(
            f"{path} is an SQLite database, but not aispend's: set AISPEND_DB to aispend's database file, or to a "
            "new file."
        )
    # Migrations has no public list of its own names (pending() only answers for one database)
    names = {m.name: {migration.name for migration in m._migrations} for m in known}
    unknown = [
        f"{set_name}/{name}"
        for set_name, name in applied
        if set_name.startswith(SCHEMA_PREFIX) and name not in names.get(set_name, set())
    ]
    if unknown:
        raise StoreError(
            f"The database {path} was made by a newer aispend (its schema has {', '.join(unknown)}, which this "
            "release does not know): upgrade aispend to use it."
        )


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
    """Per-thread sqlite-utils Databases for one file, plus the lock that serializes this process's writers.

    `schema` is every migration set this release knows, for refusing a database written by a newer one.
    """

    def __init__(self, path: str, schema: Sequence[Migrations] = ()) -> None:
        check_path(path)
        create_private(path)
        self.path = path
        self.warnings = permission_warnings(path)
        for warning in self.warnings:
            log.warning("%s", warning)
        self.write_lock = threading.Lock()
        self._local = threading.local()
        # weak, so a finished thread's connection is closed when its thread-local storage goes away
        self._open: weakref.WeakSet[Database] = weakref.WeakSet()
        self._registry_lock = threading.Lock()
        self._closed = False
        if schema:
            # a plain connection, before _connect switches the file to WAL: a file we refuse is left as it was
            with (
                translated(path, "open"),
                contextlib.closing(sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)) as conn,
            ):
                refuse_foreign(path, conn, schema)

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

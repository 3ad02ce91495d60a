"""Reading the files settings come from, `.env` and `X_FILE`: size-capped, UTF-8, one sentence per problem.

A mistaken `X_FILE=/dev/zero` must not read forever, a file saved as Latin-1 must not end in a traceback, and a
byte-order mark (Windows editors add one) must not become part of a key. No sentence quotes the file's content:
it may hold a secret.
"""

from __future__ import annotations

import os
from pathlib import Path

MAX_SECRET_FILE = 64 * 1024  # bytes: far more than any key, far less than a mistaken /dev/zero or log file
MAX_DOTENV = 1024 * 1024

_UTF8 = "most editors offer UTF-8 under Save As › Encoding"
_DOTENV_FIXES = {
    "unreadable": "make it readable by the user aispend runs as, or remove it",
    "directory": "remove it, or move the settings into a file named .env",
    "too_large": "keep only NAME=value lines in it",
    "not_utf8": f"save it as UTF-8 ({_UTF8})",
}
_SECRET_FILE_FIXES = {
    "unreadable": "make it readable by the user aispend runs as, or point the variable at a file that is",
    "directory": "point the variable at the file holding the secret",
    "too_large": "point the variable at a file holding only the secret",
    "not_utf8": f"write the secret in it as UTF-8 text ({_UTF8})",
}


class FileProblem(Exception):
    """A settings file that cannot be used; `str()` is one sentence naming the file and the fix."""


def read_dotenv(path: Path) -> str:
    """The text of the `.env` file at `path`; FileProblem otherwise."""
    try:
        return _read_text(path, MAX_DOTENV)
    except _Unusable as err:
        raise FileProblem(f"{path} {err}: {_DOTENV_FIXES[err.kind]}.") from None


def read_secret_file(variable: str, path: str) -> str:
    """The text of the file `variable` (such as OPENAI_ADMIN_KEY_FILE) names; FileProblem otherwise."""
    try:
        return _read_text(Path(path), MAX_SECRET_FILE)
    except _Unusable as err:
        raise FileProblem(f"{variable} names {path}, which {err}: {_SECRET_FILE_FIXES[err.kind]}.") from None


class _Unusable(Exception):
    def __init__(self, clause: str, kind: str) -> None:
        self.kind = kind
        super().__init__(clause)


def _read_text(path: Path, cap: int) -> str:
    """UTF-8 text, a leading byte-order mark dropped, reading at most `cap` bytes.

    Opened without blocking, so a named pipe nobody writes to reads as empty instead of waiting forever; then
    read blocking, so a pipe that is being written (`X_FILE=<(pass show x)`) is read to its end.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(fd, "rb") as file:
            if hasattr(os, "O_NONBLOCK"):
                os.set_blocking(fd, True)
            data = file.read(cap + 1)
    except IsADirectoryError:
        raise _Unusable("is a directory", "directory") from None
    except OSError as err:
        raise _Unusable(f"cannot be read ({err.strerror or type(err).__name__})", "unreadable") from None
    if len(data) > cap:
        raise _Unusable(f"is larger than {cap // 1024} KiB", "too_large")
    if (nul := data.find(b"\0")) >= 0:  # valid UTF-8, but no text editor writes it (UTF-16 without a BOM does)
        line = data.count(b"\n", 0, nul) + 1
        raise _Unusable(f"is not UTF-8 text (line {line} has a NUL byte)", "not_utf8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise _Unusable(f"is not UTF-8 text (line {line})", "not_utf8") from None

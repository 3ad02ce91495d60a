"""Decoding a report page `{..., "data": [item, ...], ...}` one item at a time, as its body streams in.

A 180-day OpenAI cost page of a large organization is ~20 MB of JSON and ~60 MB once decoded whole; a
400-day backfill fetches several such pages at once. Streamed, each `data` item (one day's bucket) is handed
to a callback as soon as it is complete, so only a read buffer and one bucket are ever in memory (issue 6).

The same json module decodes every value (`raw_decode`), so numbers, strings and the NaN/Infinity literals
come out exactly as `json.loads` would give them. Anything malformed raises PageError; so does a page with
two `data` members, where `json.loads` would silently keep the last one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

READ_AHEAD = 1 << 20  # characters read at a time: many buckets decode per read, one partial one is retried
_WS = re.compile(r"[ \t\n\r]*")
_NUMBER_CHARS = re.compile(r"[0-9eE+\-.]*")
_DECODER = json.JSONDecoder()


class PageError(ValueError):
    """The body is not well-formed JSON."""


class NotAnObject(PageError):
    """The body is well-formed JSON but not an object; `kind` is the Python type name of what it is."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"the body is a JSON {kind}, not an object")
        self.kind = kind


@dataclass(slots=True)
class Page:
    fields: dict[str, Any] = field(default_factory=dict)  # every member but a streamed `data` list
    items: int | None = None  # how many `data` items went to the callback; None if `data` was not a list


def decode_page(chunks: Iterable[str], on_item: Callable[[Any], None], *, read_ahead: int = READ_AHEAD) -> Page:
    """The page's members, its `data` items handed to on_item one by one; PageError if it is not a JSON object."""
    reader = _Reader(iter(chunks), read_ahead)
    page = Page()
    if reader.peek() not in ("{", ""):
        raise NotAnObject(type(reader.value()).__name__)
    reader.expect("{")
    if reader.peek() == "}":
        reader.pos += 1
    else:
        while True:
            key = reader.value()
            if not isinstance(key, str):
                raise PageError("an object key is not a string")
            reader.expect(":")
            if key == "data" and (page.items is not None or "data" in page.fields):
                raise PageError("the page has two `data` members")
            if key == "data" and reader.peek() == "[":
                reader.pos += 1
                page.items = _stream_list(reader, on_item)
            else:
                page.fields[key] = reader.value()
            if reader.separator("}"):
                break
    if reader.peek() != "":
        raise PageError("there is more after the JSON object")
    return page


def _stream_list(reader: _Reader, on_item: Callable[[Any], None]) -> int:
    count = 0
    if reader.peek() == "]":
        reader.pos += 1
        return count
    while True:
        on_item(reader.value())
        count += 1
        if reader.separator("]"):
            return count


class _Reader:
    def __init__(self, chunks: Iterator[str], read_ahead: int) -> None:
        self._chunks = chunks
        self._read_ahead = read_ahead
        self.text = ""
        self.pos = 0
        self.done = False

    def _more(self, at_least: int) -> bool:
        """Drop what was consumed and read until `at_least` unread characters (or the end); False if none came."""
        parts = [self.text[self.pos :]]
        self.pos = 0
        size, added = len(parts[0]), False
        while size < at_least and not self.done:
            chunk = next(self._chunks, None)
            if chunk is None:
                self.done = True
            elif chunk:
                parts.append(chunk)
                size += len(chunk)
                added = True
        self.text = "".join(parts)
        return added

    def peek(self) -> str:
        """The next non-blank character, "" at the end of the body."""
        while True:
            self.pos = _skip(_WS, self.text, self.pos)
            if self.pos < len(self.text) or not self._more(self._read_ahead):
                return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, char: str) -> None:
        found = self.peek()
        if found != char:
            raise PageError(f"expected {char!r} but found {found or 'the end of the body'!r}")
        self.pos += 1

    def separator(self, closing: str) -> bool:
        """Consume `,` (False: another member follows) or `closing` (True: the container ends)."""
        found = self.peek()
        self.pos += 1
        if found == closing:
            return True
        if found != ",":
            raise PageError(f"expected ',' or {closing!r} but found {found or 'the end of the body'!r}")
        return False

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as err:
                # incomplete rather than wrong while more of the body may come
                if self._more(len(self.text) - self.pos + self._read_ahead):
                    continue
                raise PageError(f"invalid JSON: {err.msg}") from None
            # a number that ends the buffer may go on in the next chunk ("12" then "34", "0" then ".5")
            at_end = type(value) in (int, float) and _skip(_NUMBER_CHARS, self.text, end) == len(self.text)
            if at_end and self._more(len(self.text) - self.pos + self._read_ahead):
                continue
            self.pos = end
            return value


def _skip(chars: re.Pattern[str], text: str, pos: int) -> int:
    """The position after the run of `chars` starting at pos."""
    match = chars.match(text, pos)
    return pos if match is None else match.end()

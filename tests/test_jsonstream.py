"""bot.providers.jsonstream: a page decoded item by item must equal `json.loads` of the whole body, however the
body is cut into chunks, and anything `json.loads` would refuse (or silently half-accept) is a PageError."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.providers.jsonstream import NotAnObject, Page, PageError, decode_page

SCALARS = st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats(allow_nan=False) | st.text()
VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4), max_leaves=20
)
PAGES = st.dictionaries(st.text().filter(lambda key: key != "data"), VALUES, max_size=4).flatmap(
    lambda fields: st.lists(VALUES, max_size=6).map(lambda data: {**fields, "data": data})
)


def cut(text: str, sizes: list[int]) -> list[str]:
    """`text` in consecutive chunks of the given sizes (cycled), as a streamed body arrives."""
    chunks, at, i = [], 0, 0
    while at < len(text):
        size = sizes[i % len(sizes)]
        chunks.append(text[at : at + size])
        at, i = at + size, i + 1
    return chunks


def decode(text: str, sizes: list[int] = [1_000_000], read_ahead: int = 1 << 20) -> tuple[Page, list[Any]]:  # noqa: B006
    items: list[Any] = []
    page = decode_page(cut(text, sizes), items.append, read_ahead=read_ahead)
    return page, items


@settings(max_examples=200, deadline=None)
@given(
    page=PAGES,
    indent=st.sampled_from([None, 0, 2]),
    sizes=st.lists(st.integers(1, 40), min_size=1, max_size=5),
    read_ahead=st.integers(1, 64),
)
def test_streamed_page_equals_json_loads(
    page: dict[str, Any], indent: int | None, sizes: list[int], read_ahead: int
) -> None:
    text = json.dumps(page, indent=indent)
    decoded, items = decode(text, sizes, read_ahead)
    assert decoded.items == len(page["data"])
    assert {**decoded.fields, "data": items} == json.loads(text)


def test_numbers_split_across_chunks_are_whole() -> None:
    decoded, items = decode('{"data": [12345, -6.5e3, 7], "n": 890}', sizes=[3], read_ahead=1)
    assert (decoded.fields, decoded.items, items) == ({"n": 890}, 3, [12345, -6500.0, 7])


def test_a_page_without_a_data_list_keeps_what_it_has() -> None:
    decoded, items = decode('{"has_more": false, "data": null}')
    assert (decoded.fields, decoded.items, items) == ({"has_more": False, "data": None}, None, [])
    decoded, items = decode('{"type": "error", "error": {"message": "no"}}')
    assert (decoded.fields, decoded.items, items) == ({"type": "error", "error": {"message": "no"}}, None, [])


def test_nan_and_infinity_come_out_as_json_loads_gives_them() -> None:
    decoded, items = decode('{"data": [{"value": NaN}, {"value": Infinity}]}')
    assert decoded.items == 2
    assert [str(item["value"]) for item in items] == ["nan", "inf"]


@pytest.mark.parametrize(
    "body",
    [
        "",
        "   ",
        '{"data": [1,]}',
        '{"data": [1 2]}',
        '{"data": [1] "more": 2}',
        '{"a": 1',
        '{"data": [{"a": 1}',
        '{"a": 1} trailing',
        "<html><body>502 Bad Gateway</body></html>",
        '{"a": tru}',
        "{1: 2}",
        '{"data": [1], "data": [2]}',
        '{"data": [1], "data": null}',
        '{"data": null, "data": [1]}',
    ],
)
def test_malformed_bodies_are_refused(body: str) -> None:
    for sizes, read_ahead in (([1], 1), ([1_000_000], 1 << 20)):
        with pytest.raises(PageError):
            decode(body, sizes, read_ahead)


def test_json_that_is_not_an_object_says_what_it_is() -> None:
    with pytest.raises(NotAnObject) as caught:
        decode("[1, 2]")
    assert (caught.value.kind, str(caught.value)) == ("list", "the body is a JSON list, not an object")


def test_items_go_out_before_the_body_ends() -> None:
    """The point of streaming: the first bucket is handed over while the rest has not been read."""
    seen_when: list[int] = []
    chunks_read = 0

    def chunks() -> Any:
        nonlocal chunks_read
        for part in ('{"data": [{"day": 1}', ", ", '{"day": 2}', "]}"):
            chunks_read += 1
            yield part

    decode_page(chunks(), lambda item: seen_when.append(chunks_read), read_ahead=1)
    assert seen_when[0] < 4

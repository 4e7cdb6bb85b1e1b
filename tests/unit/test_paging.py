"""Marker/MaxItems pagination shared by the list operations."""

from __future__ import annotations

import pytest

from ovis.errors import InvalidParameterValueException
from ovis.services.lambda_.paging import decode_marker, encode_marker, paginate


def test_pages_cover_every_item_once() -> None:
    items = [str(i) for i in range(7)]
    seen, marker = [], None
    while True:
        page, marker = paginate(items, marker, 3, key=lambda x: x)
        seen += page
        if marker is None:
            break
    assert seen == items


def test_sorted_listing_survives_the_marker_item_being_deleted() -> None:
    page, marker = paginate(["a", "b", "c", "d"], None, 2, key=lambda x: x, sorted_by_key=True)
    assert page == ["a", "b"]
    rest, _ = paginate(["a", "c", "d"], marker, 2, key=lambda x: x, sorted_by_key=True)
    assert rest == ["c", "d"]


def test_unsorted_listing_needs_the_marker_item() -> None:
    _, marker = paginate(["x", "y", "z"], None, 1, key=lambda x: x)
    with pytest.raises(InvalidParameterValueException):
        paginate(["y", "z"], marker, 1, key=lambda x: x)


def test_empty_key_still_makes_a_marker() -> None:
    page, marker = paginate(["", "alias"], None, 1, key=lambda x: x)
    assert page == [""] and marker
    assert paginate(["", "alias"], marker, 1, key=lambda x: x) == (["alias"], None)
    assert decode_marker(encode_marker("")) == ""


@pytest.mark.parametrize("bad", ["!!!", "bm90LWEta2V5"])  # not base64; base64 without our prefix
def test_garbage_markers_are_refused(bad: str) -> None:
    with pytest.raises(InvalidParameterValueException):
        paginate(["a"], bad, 1, key=lambda x: x)

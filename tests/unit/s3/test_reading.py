"""Range headers and conditional requests as S3 judges them."""

from __future__ import annotations

import pytest

from ovis.models.s3 import ObjectRecord
from ovis.services.s3.errors import InvalidRange, NotModified, PreconditionFailed
from ovis.services.s3.reading import byte_range, check_conditions


@pytest.mark.parametrize(
    ("header", "want"),
    [
        (None, None),
        ("bytes=0-9", (0, 9)),
        ("bytes=5-", (5, 99)),
        ("bytes=-10", (90, 99)),
        ("bytes=-500", (0, 99)),
        ("bytes=90-500", (90, 99)),
        ("bytes=0-1,5-6", None),  # several ranges: S3 answers the whole object
        ("items=0-1", None),
        ("bytes=9-3", None),
        ("bytes=a-b", None),
    ],
)
def test_byte_range(header: str | None, want: tuple[int, int] | None) -> None:
    assert byte_range(header, 100) == want


def test_unsatisfiable_ranges() -> None:
    for header in ("bytes=100-", "bytes=200-300", "bytes=-0"):
        with pytest.raises(InvalidRange):
            byte_range(header, 100)


OBJ = ObjectRecord("b", "k", "blob", 1, '"abc"', 1_700_000_000_000)
BEFORE = "Tue, 14 Nov 2023 22:00:00 GMT"  # the object was modified at 22:13:20
AFTER = "Wed, 15 Nov 2023 00:00:00 GMT"


def test_conditions() -> None:
    check_conditions(OBJ, '"abc"', None, None, None)
    check_conditions(OBJ, "*", '"other"', None, None)
    check_conditions(OBJ, None, None, BEFORE, AFTER)
    with pytest.raises(PreconditionFailed):
        check_conditions(OBJ, '"zzz"', None, None, None)
    with pytest.raises(PreconditionFailed):
        check_conditions(OBJ, None, None, None, BEFORE)
    with pytest.raises(NotModified):
        check_conditions(OBJ, None, "abc", None, None)
    with pytest.raises(NotModified):
        check_conditions(OBJ, None, None, AFTER, None)
    # If-Match that holds overrides If-Unmodified-Since; If-None-Match overrides -Modified-Since
    check_conditions(OBJ, '"abc"', None, None, BEFORE)
    check_conditions(OBJ, None, '"other"', AFTER, None)
    check_conditions(OBJ, None, None, "not a date", "not a date")

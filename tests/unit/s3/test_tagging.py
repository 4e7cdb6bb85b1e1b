"""Object tag sets: the x-amz-tagging header and S3's limits."""

from __future__ import annotations

import pytest

from ovis.services.s3.errors import InvalidTag
from ovis.services.s3.tagging import check_object_tags, parse_tagging_header


def test_the_header_is_a_url_encoded_query() -> None:
    assert parse_tagging_header(None) == ()
    assert parse_tagging_header("") == ()
    assert parse_tagging_header("a=1&b=two%20words&c=") == (
        ("a", "1"),
        ("b", "two words"),
        ("c", ""),
    )


@pytest.mark.parametrize(
    "tags",
    [
        [("aws:k", "v")],
        [("", "v")],
        [("k" * 129, "v")],
        [("k", "v" * 257)],
        [("k", "1"), ("k", "2")],
        [(f"k{i}", "v") for i in range(11)],
    ],
)
def test_s3_limits(tags: list[tuple[str, str]]) -> None:
    with pytest.raises(InvalidTag):
        check_object_tags(tags)


def test_ten_tags_are_allowed() -> None:
    tags = [(f"k{i}", "v") for i in range(10)]
    assert check_object_tags(tags) == tuple(tags)

"""ListObjects paging over a repository's key order: delimiters, markers, tokens."""

from __future__ import annotations

import pytest

from ovis.models.s3 import ObjectRecord
from ovis.services.s3.commands import ListObjects
from ovis.services.s3.errors import InvalidArgumentS3
from ovis.services.s3.listing import decode_token, encode_token, list_page


class Keys:
    """The one repository method listing uses, over a sorted list of keys."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = sorted(keys, key=str.encode)
        self.calls = 0

    def objects(self, bucket: str, prefix: str, after: str, limit: int) -> list[ObjectRecord]:
        self.calls += 1
        out = [
            ObjectRecord(bucket, k, "", 0, "", 0)
            for k in self.keys
            if k.startswith(prefix) and k.encode() > after.encode() and k >= prefix
        ]
        return out[:limit]


def _all(repo: Keys, **kw: object) -> list[str]:
    cmd = ListObjects("b", **kw)  # type: ignore[arg-type]
    seen: list[str] = []
    while True:
        page = list_page(repo, cmd)  # type: ignore[arg-type]
        seen += page.prefixes + [o.key for o in page.objects]
        if not page.truncated:
            return seen
        cmd = ListObjects("b", cmd.prefix, cmd.delimiter, cmd.max_keys, page.resume)


def test_common_prefixes_count_once_and_skip_their_keys() -> None:
    keys = [f"a/{i:04d}" for i in range(2500)] + ["b", "c/x", "c/y"]
    repo = Keys(keys)
    page = list_page(repo, ListObjects("b", delimiter="/"))  # type: ignore[arg-type]
    assert page.prefixes == ["a/", "c/"] and [o.key for o in page.objects] == ["b"]
    assert repo.calls <= 4  # a prefix's keys are skipped, not read through
    assert _all(Keys(keys), delimiter="/", max_keys=1) == ["a/", "b", "c/"]


def test_pages_cover_every_key_once() -> None:
    keys = [f"k{i:03d}" for i in range(250)]
    assert _all(Keys(keys), max_keys=7) == keys
    assert _all(Keys(keys), prefix="k1", max_keys=13) == [k for k in keys if k.startswith("k1")]


def test_a_marker_that_is_a_common_prefix_resumes_after_its_keys() -> None:
    repo = Keys(["p/1", "p/2", "q"])
    page = list_page(repo, ListObjects("b", delimiter="/", after="p/"))  # type: ignore[arg-type]
    assert page.prefixes == [] and [o.key for o in page.objects] == ["q"]


def test_tokens_round_trip_and_foreign_ones_are_refused() -> None:
    assert decode_token(encode_token("a/é\U0010ffff")) == "a/é\U0010ffff"
    for bad in ("garbage", "", "b3ZpczE"):
        with pytest.raises(InvalidArgumentS3):
            decode_token(bad)

"""Hash ranges and resharding plans (ovis/services/kinesis/shards.py)."""

from __future__ import annotations

import hashlib
import itertools

import pytest

from ovis.models.stream import HASH_MAX, ShardRecord
from ovis.services.kinesis.shards import Reshard, ShardMap, even_ranges, hash_key, uniform


def _shards(count: int) -> list[ShardRecord]:
    return [ShardRecord("s", i, a, b, 0) for i, (a, b) in enumerate(even_ranges(count))]


def _open_ranges(plan: Reshard, before: list[ShardRecord]) -> list[tuple[int, int]]:
    shards = {s.index: s for s in before}
    for s in plan.final():
        shards[s.index] = s
    return sorted((s.start_hash, s.end_hash) for s in shards.values() if s.open)


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7, 100])
def test_even_ranges_cover_the_key_space_contiguously(count: int) -> None:
    ranges = even_ranges(count)
    assert ranges[0][0] == 0 and ranges[-1][1] == HASH_MAX and len(ranges) == count
    for (_, end), (start, _) in itertools.pairwise(ranges):
        assert start == end + 1


def test_two_shards_split_at_half_like_aws() -> None:
    assert even_ranges(2) == [(0, 2**127 - 1), (2**127, HASH_MAX)]


def test_hash_key_is_the_md5_of_the_partition_key_as_a_128_bit_integer() -> None:
    assert hash_key("a") == int(hashlib.md5(b"a").hexdigest(), 16)


def test_shard_map_finds_the_open_shard_of_a_key() -> None:
    m = ShardMap(_shards(4))
    q = (HASH_MAX + 1) // 4
    assert [m.shard_for(k) for k in (0, q - 1, q, 2 * q, HASH_MAX)] == [0, 0, 1, 2, 3]


def test_split_closes_the_parent_at_its_last_record_and_opens_two_children() -> None:
    (parent,) = _shards(1)
    plan = Reshard(1, 5, {0: 7})
    low, high = plan.split(parent, 100)
    assert (low.start_hash, low.end_hash, high.start_hash, high.end_hash) == (0, 99, 100, HASH_MAX)
    assert (low.parent, high.parent, low.index, high.index) == (0, 0, 1, 2)
    closed = plan.closed[0]
    assert (closed.end_n, closed.closed_ms, plan.next_index) == (7, 5, 3)


def test_merge_names_both_parents() -> None:
    a, b = _shards(2)
    child = Reshard(2, 0, {}).merge(a, b)
    assert (child.parent, child.adjacent_parent, child.start_hash, child.end_hash) == (
        0,
        1,
        0,
        HASH_MAX,
    )


@pytest.mark.parametrize(
    ("current", "target"), [(1, 2), (2, 4), (4, 2), (3, 5), (5, 3), (3, 4), (4, 3)]
)
def test_uniform_scaling_reaches_even_ranges_with_one_or_two_parents_each(
    current: int, target: int
) -> None:
    before = _shards(current)
    plan = Reshard(current, 0, {})
    uniform(plan, before, target)
    assert _open_ranges(plan, before) == even_ranges(target)
    for s in plan.opened:
        assert s.parent is not None  # every new shard has lineage

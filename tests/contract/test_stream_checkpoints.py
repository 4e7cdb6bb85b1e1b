"""Stream mappings' checkpoints: what the stream poller relies on from every backend."""

from __future__ import annotations

from typing import cast

from ovis.services.lambda_.esm.checkpoints import CheckpointRepository, ShardCheckpoint
from tests.contract.conftest import Backend


def repo(backend: Backend) -> CheckpointRepository:
    return cast(CheckpointRepository, backend.open().checkpoints)  # type: ignore[attr-defined]


def test_starting_points_are_decided_once(backend: Backend) -> None:
    r = repo(backend)
    assert r.load("m1") is None
    got = r.start("m1", [ShardCheckpoint("s0", "10"), ShardCheckpoint("s1", "0")])
    assert got == {"s0": ShardCheckpoint("s0", "10"), "s1": ShardCheckpoint("s1", "0")}
    # a second start (a restart racing the first) keeps the first decision
    again = r.start("m1", [ShardCheckpoint("s0", "99")])
    assert again == got
    assert repo(backend).load("m1") == got  # durable: another connection sees it
    assert r.start("m2", []) == {} and r.load("m2") == {}


def test_positions_only_move_forward_and_carry_flags_and_window(backend: Backend) -> None:
    r = repo(backend)
    r.start("m", [ShardCheckpoint("s", "0")])
    big = "49590338271490256608559692538361571095921575989136588898"
    r.save([("m", ShardCheckpoint("s", big, window='{"start_ms": 1}'))])
    r.save([("m", ShardCheckpoint("s", "9" * 20))])  # shorter: smaller, ignored
    assert r.load("m") == {"s": ShardCheckpoint("s", big, window='{"start_ms": 1}')}
    r.save([("m", ShardCheckpoint("s", big, finished=True))])  # same position, new flags
    r.save([("m", ShardCheckpoint("t", "5")), ("m", ShardCheckpoint("s", big[:-1] + "9", True))])
    assert repo(backend).load("m") == {
        "s": ShardCheckpoint("s", big[:-1] + "9", True),
        "t": ShardCheckpoint("t", "5"),
    }


def test_saves_for_unknown_or_deleted_mappings_are_ignored_and_delete_is_idempotent(
    backend: Backend,
) -> None:
    r = repo(backend)
    r.save([("never", ShardCheckpoint("s", "1"))])
    assert r.load("never") is None
    r.start("m", [ShardCheckpoint("s", "1")])
    r.delete("m")
    r.delete("m")
    r.save([("m", ShardCheckpoint("s", "2"))])  # a poller closing after the deletion
    assert r.load("m") is None
    assert r.start("m", []) == {}  # a new start of the same id starts afresh
    r.start("n", [])
    assert sorted(repo(backend).mapping_ids()) == ["m", "n"]

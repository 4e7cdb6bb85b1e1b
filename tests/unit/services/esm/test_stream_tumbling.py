"""tumbling: window alignment, the invocation's members, state round trips."""

from __future__ import annotations

from ovis.services.lambda_.esm.tumbling import OpenWindow, returned_state, window_start


def test_windows_align_to_the_epoch() -> None:
    assert window_start(1_596_128_412_345, 300) == 1_596_128_400_000
    assert window_start(1_596_128_400_000, 300) == 1_596_128_400_000


def test_members_and_round_trip() -> None:
    w = OpenWindow(1_596_128_400_000, 300, {"1": 282})
    assert w.members("shardId-000000000006", "arn:s", final=True, early=False) == {
        "window": {"start": "2020-07-30T17:00:00Z", "end": "2020-07-30T17:05:00Z"},
        "state": {"1": 282},
        "shardId": "shardId-000000000006",
        "eventSourceARN": "arn:s",
        "isFinalInvokeForWindow": True,
        "isWindowTerminatedEarly": False,
    }
    assert OpenWindow.from_json(w.to_json()) == w
    assert OpenWindow.from_json(None) is None


def test_returned_state() -> None:
    assert returned_state(b'{"state": {"a": 1}, "batchItemFailures": []}') == {"a": 1}
    for bad in (b"", b"null", b"[1]", b'{"state": 3}', b"not json"):
        assert returned_state(bad) == {}

"""The event envelope and PutEvents entries as EventBridge checks and sizes them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from ovis.services.events.event import EntryError, entry_size, from_entry, scheduled


def test_entry_size_is_computed_as_aws_documents() -> None:
    entry = {"Source": "sé", "DetailType": "t", "Detail": '{"a": 1}', "Resources": ["r1", "r2"]}
    assert entry_size(entry) == 3 + 1 + 8 + 4
    assert entry_size({**entry, "Time": 1}) == 16 + 14


def test_envelope_fields_in_awss_order_and_time_in_seconds() -> None:
    when = datetime(2024, 5, 6, 7, 8, 9, 500000, tzinfo=UTC)
    ev = from_entry(
        {"Source": "s", "DetailType": "d", "Detail": '{"k": 1}', "Time": when}, "1", "r", 0
    )
    assert not isinstance(ev, EntryError)
    assert list(ev) == [
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    ]
    assert ev["time"] == "2024-05-06T07:08:09Z"
    assert (ev["version"], ev["account"], ev["region"], ev["resources"]) == ("0", "1", "r", [])
    from_epoch = from_entry(
        {"Source": "s", "DetailType": "d", "Detail": "{}", "Time": 1700000000}, "1", "r", 0
    )
    assert not isinstance(from_epoch, EntryError)
    assert from_epoch["time"] == "2023-11-14T22:13:20Z"
    now = from_entry({"Source": "s", "DetailType": "d", "Detail": "{}"}, "1", "r", 86_400_000)
    assert not isinstance(now, EntryError)
    assert now["time"] == "1970-01-02T00:00:00Z"


def test_entry_errors() -> None:
    def code(**entry: object) -> str:
        out = from_entry({"Source": "s", "DetailType": "d", "Detail": "{}", **entry}, "1", "r", 0)
        return out.code if isinstance(out, EntryError) else "ok"

    assert code() == "ok"
    assert code(Source="") == "InvalidArgument"
    assert code(Detail="") == "InvalidArgument"
    assert code(Detail="[1]") == "MalformedDetail"
    assert code(Detail="{") == "MalformedDetail"
    assert code(Source="aws.s3") == "NotAuthorizedForSourceException"


def test_scheduled_event() -> None:
    ev = scheduled("arn:aws:events:r:1:rule/x", "1", "r", 60_000)
    assert ev["detail-type"] == "Scheduled Event" and ev["source"] == "aws.events"
    assert ev["resources"] == ["arn:aws:events:r:1:rule/x"] and ev["detail"] == {}
    assert ev["time"] == "1970-01-01T00:01:00Z"
    assert json.dumps(ev)

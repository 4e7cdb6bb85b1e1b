"""batchItemFailures: AWS's success and failure conditions for ReportBatchItemFailures."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ovis.services.lambda_.esm.item_failures import failed_items

IDS = {"m1", "m2", "m3"}


def read(doc: Any) -> set[str] | None:
    return failed_items(json.dumps(doc).encode(), IDS)


@pytest.mark.parametrize(
    "payload", [b"", b"null", b"{}", b'"done"', b"[1]", b"not json", b'{"batchItemFailures": null}']
)
def test_success_conditions(payload: bytes) -> None:
    assert failed_items(payload, IDS) == set()


def test_empty_list_is_success() -> None:
    assert read({"batchItemFailures": []}) == set()


def test_reported_items() -> None:
    doc = {"batchItemFailures": [{"itemIdentifier": "m2"}, {"itemIdentifier": "m3"}]}
    assert read(doc) == {"m2", "m3"}


@pytest.mark.parametrize(
    "entry",
    [
        {"itemIdentifier": ""},
        {"itemIdentifier": None},
        {"itemId": "m1"},  # a bad key name
        {"itemIdentifier": "m9"},  # not in the batch
        {"itemIdentifier": 1},
        "m1",
    ],
)
def test_failure_conditions_fail_the_whole_batch(entry: Any) -> None:
    assert read({"batchItemFailures": [{"itemIdentifier": "m1"}, entry]}) is None


def test_a_non_list_is_invalid() -> None:
    assert read({"batchItemFailures": {"itemIdentifier": "m1"}}) is None

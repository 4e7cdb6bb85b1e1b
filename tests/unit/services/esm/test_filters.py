"""RecordFilter: FilterCriteria on SQS bodies and Kinesis data, as AWS's filtering guide says."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from ovis.errors import InvalidEventPatternException
from ovis.models.event_source_mapping import SourceKind
from ovis.services.lambda_.esm.filters import RecordFilter


def sqs(body: str, **extra: Any) -> dict[str, Any]:
    return {
        "messageId": "m1",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1"},
        **extra,
    }


def kinesis(data: bytes, key: str = "k1") -> dict[str, Any]:
    return {
        "kinesis": {
            "partitionKey": key,
            "sequenceNumber": "1",
            "data": base64.b64encode(data).decode(),
        },
        "eventSource": "aws:kinesis",
    }


def keeps(patterns: list[Any], record: dict[str, Any], kind: SourceKind = SourceKind.SQS) -> bool:
    return RecordFilter([json.dumps(p) for p in patterns], kind).keep(record)


def test_no_filters_keep_everything() -> None:
    f = RecordFilter([], SourceKind.SQS)
    assert not f.active
    assert f.keep(sqs("anything"))


def test_sqs_json_body_matched_as_json() -> None:
    pattern = {"body": {"RequestCode": ["BBBB"]}}
    assert keeps([pattern], sqs(json.dumps({"RequestCode": "BBBB", "RecordNumber": 1})))
    assert not keeps([pattern], sqs(json.dumps({"RequestCode": "AAAA"})))


def test_sqs_numeric_on_body() -> None:
    pattern = {"body": {"RecordNumber": [{"numeric": [">", 9999]}]}}
    assert keeps([pattern], sqs('{"RecordNumber": 10000}'))
    assert not keeps([pattern], sqs('{"RecordNumber": 9999}'))


def test_sqs_plain_string_body_matched_as_string() -> None:
    pattern = {"body": [{"prefix": "Result: "}]}
    assert keeps([pattern], sqs("Result: ok"))
    assert not keeps([pattern], sqs("Other"))


def test_sqs_format_mismatch_drops() -> None:
    # A JSON pattern never matches a plain body, a plain pattern never a JSON body.
    assert not keeps([{"body": {"a": ["x"]}}], sqs("a=x"))
    assert not keeps([{"body": [{"prefix": "{"}]}], sqs('{"a": "x"}'))


def test_sqs_metadata_only_patterns_ignore_the_body() -> None:
    pattern = {"attributes": {"ApproximateReceiveCount": ["1"]}}
    assert keeps([pattern], sqs("plain"))
    assert keeps([pattern], sqs('{"x": 1}'))


def test_filters_are_ored() -> None:
    patterns = [{"body": {"a": ["1"]}}, {"body": {"b": ["2"]}}]
    assert keeps(patterns, sqs('{"b": "2"}'))
    assert not keeps(patterns, sqs('{"c": "3"}'))


def test_kinesis_data_decoded_from_base64() -> None:
    pattern = {"data": {"City": ["Seattle"]}}
    assert keeps([pattern], kinesis(b'{"City": "Seattle"}'), SourceKind.KINESIS)
    assert not keeps([pattern], kinesis(b'{"City": "Boston"}'), SourceKind.KINESIS)


def test_kinesis_non_json_data_matches_no_data_pattern() -> None:
    assert not keeps([{"data": {"a": ["x"]}}], kinesis(b"not json"), SourceKind.KINESIS)
    assert not keeps([{"data": [{"prefix": "not"}]}], kinesis(b"not json"), SourceKind.KINESIS)
    assert keeps([{"data": [{"exists": False}]}], kinesis(b"not json"), SourceKind.KINESIS)


def test_kinesis_metadata_fields_of_the_kinesis_object() -> None:
    pattern = {"partitionKey": [{"prefix": "user-"}]}
    assert keeps([pattern], kinesis(b"{}", key="user-7"), SourceKind.KINESIS)
    assert not keeps([pattern], kinesis(b"{}", key="order-7"), SourceKind.KINESIS)


def test_dynamodb_patterns_see_the_record() -> None:
    record = {"eventName": "INSERT", "dynamodb": {"Keys": {"id": {"S": "1"}}}}
    assert keeps([{"eventName": ["INSERT"]}], record, SourceKind.DYNAMODB)
    assert not keeps([{"eventName": ["REMOVE"]}], record, SourceKind.DYNAMODB)


def test_a_broken_record_never_raises() -> None:
    f = RecordFilter([json.dumps({"data": {"a": ["x"]}})], SourceKind.KINESIS)
    assert not f.keep({"kinesis": {"data": "%%%not-base64"}})
    assert not f.keep({})


def test_invalid_patterns_are_refused_when_built() -> None:
    with pytest.raises(InvalidEventPatternException):
        RecordFilter(['{"body": "not-an-array"}'], SourceKind.SQS)

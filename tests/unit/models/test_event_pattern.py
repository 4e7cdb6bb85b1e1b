"""EventPattern: the examples of EventBridge's and Lambda's event-pattern documentation, each
with matching and non-matching events, and the patterns EventBridge refuses."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from ovis.errors import InvalidEventPatternException
from ovis.models.event_pattern import EventPattern, compile_pattern

EC2_EVENT: dict[str, Any] = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"},
}

AUTOSCALING_EVENT: dict[str, Any] = {
    "version": "0",
    "id": "3e3c153a-8339-4e30-8c35-687ebef853fe",
    "detail-type": "EC2 Instance Launch Successful",
    "source": "aws.autoscaling",
    "account": "123456789012",
    "time": "2015-11-11T21:31:47Z",
    "region": "us-east-1",
    "resources": [],
    "detail": {"eventVersion": "", "responseElements": None},
}

# (id, pattern, event, matches)
CASES: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    # exact values, AND across fields, OR within an array
    ("exact-source", {"source": ["aws.ec2"]}, EC2_EVENT, True),
    ("exact-source-other", {"source": ["aws.s3"]}, EC2_EVENT, False),
    ("exact-or-values", {"source": ["aws.s3", "aws.ec2"]}, EC2_EVENT, True),
    (
        "and-nested",
        {"source": ["aws.ec2"], "detail": {"state": ["terminated", "stopped"]}},
        EC2_EVENT,
        True,
    ),
    (
        "and-one-fails",
        {"source": ["aws.ec2"], "detail": {"state": ["running"]}},
        EC2_EVENT,
        False,
    ),
    ("case-sensitive", {"source": ["AWS.EC2"]}, EC2_EVENT, False),
    ("missing-field", {"detail": {"nope": ["x"]}}, EC2_EVENT, False),
    ("missing-parent", {"nothere": {"state": ["terminated"]}}, EC2_EVENT, False),
    ("leaf-on-object", {"detail": ["terminated"]}, EC2_EVENT, False),
    (
        "location-day",
        {"Location": ["New York"], "Day": ["Monday"]},
        {"Location": "New York", "Day": "Monday"},
        True,
    ),
    (
        "location-day-no",
        {"Location": ["New York"], "Day": ["Monday"]},
        {"Location": "New York", "Day": "Tuesday"},
        False,
    ),
    # arrays in the event: any element
    (
        "event-array-any",
        {"resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"]},
        EC2_EVENT,
        True,
    ),
    ("event-array-none", {"resources": ["arn:x"]}, EC2_EVENT, False),
    ("event-array-intersection", {"tags": ["b", "z"]}, {"tags": ["a", "b", "c"]}, True),
    ("event-array-nested", {"tags": ["c"]}, {"tags": ["a", ["b", ["c"]]]}, True),
    ("event-array-empty", {"tags": ["a"]}, {"tags": []}, False),
    (
        "event-array-objects",
        {"items": {"sku": ["B"]}},
        {"items": [{"sku": "A"}, {"sku": "B"}]},
        True,
    ),
    (
        "event-array-objects-same-element",
        {"items": {"sku": ["A"], "qty": [2]}},
        {"items": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2}]},
        False,
    ),
    (
        "event-array-objects-same-element-yes",
        {"items": {"sku": ["B"], "qty": [2]}},
        {"items": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2}]},
        True,
    ),
    # null, empty string, booleans, numbers vs strings
    (
        "null-matches-null",
        {"detail": {"responseElements": [None]}},
        {"detail": {"responseElements": None}},
        True,
    ),
    ("null-not-missing", {"detail": {"responseElements": [None]}}, {"detail": {}}, False),
    (
        "null-not-empty",
        {"detail": {"responseElements": [None]}},
        {"detail": {"responseElements": ""}},
        False,
    ),
    ("empty-matches-empty", {"LastName": [""]}, {"LastName": ""}, True),
    ("empty-not-null", {"LastName": [""]}, {"LastName": None}, False),
    ("empty-not-missing", {"LastName": [""]}, {"FirstName": "A"}, False),
    ("bool-true", {"BOOL": [True]}, {"BOOL": True}, True),
    ("bool-not-one", {"BOOL": [True]}, {"BOOL": 1}, False),
    ("one-not-bool", {"n": [1]}, {"n": True}, False),
    ("number-exact", {"n": [300]}, {"n": 300}, True),
    ("number-by-value", {"n": [300]}, {"n": 300.0}, True),
    ("number-not-string", {"n": [300]}, {"n": "300"}, False),
    ("string-not-number", {"n": ["300"]}, {"n": 300}, False),
    # prefix / suffix, with and without equals-ignore-case
    ("prefix", {"time": [{"prefix": "2017-10-02"}]}, {"time": "2017-10-02T18:43:48Z"}, True),
    ("prefix-no", {"time": [{"prefix": "2017-10-02"}]}, {"time": "2017-10-03T18:43:48Z"}, False),
    ("prefix-not-number", {"n": [{"prefix": "1"}]}, {"n": 123}, False),
    ("prefix-us", {"Region": [{"prefix": "us-"}]}, {"Region": "us-east-1"}, True),
    (
        "prefix-ignore-case",
        {"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}},
        {"detail": {"service": "eventbridge"}},
        True,
    ),
    (
        "prefix-ignore-case-upper",
        {"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}},
        {"detail": {"service": "EVENTBRIDGE"}},
        True,
    ),
    (
        "prefix-ignore-case-no",
        {"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}},
        {"detail": {"service": "lambda"}},
        False,
    ),
    ("suffix", {"FileName": [{"suffix": ".png"}]}, {"FileName": "image.png"}, True),
    ("suffix-case", {"FileName": [{"suffix": ".png"}]}, {"FileName": "image.PNG"}, False),
    (
        "suffix-ignore-case",
        {"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}},
        {"detail": {"FileName": "image.PNG"}},
        True,
    ),
    (
        "suffix-ignore-case-no",
        {"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}},
        {"detail": {"FileName": "image.jpg"}},
        False,
    ),
    # equals-ignore-case
    ("equals-ignore-case", {"Name": [{"equals-ignore-case": "alice"}]}, {"Name": "ALICE"}, True),
    (
        "equals-ignore-case-no",
        {"Name": [{"equals-ignore-case": "alice"}]},
        {"Name": "Alicia"},
        False,
    ),
    # anything-but
    (
        "anything-but-string",
        {"detail": {"state": [{"anything-but": "initializing"}]}},
        {"detail": {"state": "running"}},
        True,
    ),
    (
        "anything-but-string-no",
        {"detail": {"state": [{"anything-but": "initializing"}]}},
        {"detail": {"state": "initializing"}},
        False,
    ),
    (
        "anything-but-missing",
        {"detail": {"state": [{"anything-but": "initializing"}]}},
        {"detail": {}},
        False,
    ),
    (
        "anything-but-number",
        {"detail": {"x-limit": [{"anything-but": 123}]}},
        {"detail": {"x-limit": 456}},
        True,
    ),
    (
        "anything-but-number-no",
        {"detail": {"x-limit": [{"anything-but": 123}]}},
        {"detail": {"x-limit": 123}},
        False,
    ),
    (
        "anything-but-number-string",
        {"detail": {"x-limit": [{"anything-but": 123}]}},
        {"detail": {"x-limit": "123"}},
        True,
    ),
    (
        "anything-but-list",
        {"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}},
        {"detail": {"state": "running"}},
        True,
    ),
    (
        "anything-but-list-no",
        {"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}},
        {"detail": {"state": "overloaded"}},
        False,
    ),
    (
        "anything-but-number-list",
        {"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}},
        {"detail": {"x-limit": 200.0}},
        False,
    ),
    (
        "anything-but-number-list-yes",
        {"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}},
        {"detail": {"x-limit": 250}},
        True,
    ),
    ("anything-but-event-array", {"s": [{"anything-but": "a"}]}, {"s": ["a", "b"]}, True),
    (
        "anything-but-event-array-all",
        {"s": [{"anything-but": ["a", "b"]}]},
        {"s": ["a", "b"]},
        False,
    ),
    (
        "anything-but-prefix",
        {"detail": {"state": [{"anything-but": {"prefix": "init"}}]}},
        {"detail": {"state": "running"}},
        True,
    ),
    (
        "anything-but-prefix-no",
        {"detail": {"state": [{"anything-but": {"prefix": "init"}}]}},
        {"detail": {"state": "initializing"}},
        False,
    ),
    (
        "anything-but-suffix",
        {"detail": {"FileName": [{"anything-but": {"suffix": ".txt"}}]}},
        {"detail": {"FileName": "a.png"}},
        True,
    ),
    (
        "anything-but-suffix-no",
        {"detail": {"FileName": [{"anything-but": {"suffix": ".txt"}}]}},
        {"detail": {"FileName": "notes.txt"}},
        False,
    ),
    (
        "anything-but-ignore-case",
        {"detail": {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]}},
        {"detail": {"state": "INITIALIZING"}},
        False,
    ),
    (
        "anything-but-ignore-case-yes",
        {"detail": {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]}},
        {"detail": {"state": "running"}},
        True,
    ),
    (
        "anything-but-ignore-case-list",
        {"state": [{"anything-but": {"equals-ignore-case": ["Stopped", "overloaded"]}}]},
        {"state": "STOPPED"},
        False,
    ),
    (
        "anything-but-wildcard",
        {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]},
        {"FilePath": "/usr/bin/x"},
        True,
    ),
    (
        "anything-but-wildcard-no",
        {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]},
        {"FilePath": "/usr/lib/x"},
        False,
    ),
    (
        "anything-but-wildcard-list",
        {"FilePath": [{"anything-but": {"wildcard": ["*/lib/*", "*/bin/*"]}}]},
        {"FilePath": "/usr/bin/x"},
        False,
    ),
    # numeric
    (
        "numeric-range",
        {"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}},
        {"detail": {"c-count": 5}},
        True,
    ),
    (
        "numeric-range-low-open",
        {"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}},
        {"detail": {"c-count": 0}},
        False,
    ),
    (
        "numeric-range-high",
        {"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}},
        {"detail": {"c-count": 5.5}},
        False,
    ),
    (
        "numeric-range-string",
        {"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}},
        {"detail": {"c-count": "3"}},
        False,
    ),
    ("numeric-less", {"d-count": [{"numeric": ["<", 10]}]}, {"d-count": 9.99}, True),
    ("numeric-less-no", {"d-count": [{"numeric": ["<", 10]}]}, {"d-count": 10}, False),
    ("numeric-equals", {"x-limit": [{"numeric": ["=", 3.018e2]}]}, {"x-limit": 301.8}, True),
    ("numeric-equals-no", {"x-limit": [{"numeric": ["=", 3.018e2]}]}, {"x-limit": 301}, False),
    ("numeric-price", {"Price": [{"numeric": ["=", 100]}]}, {"Price": 100}, True),
    ("numeric-ge", {"n": [{"numeric": [">=", -1]}]}, {"n": -1}, True),
    ("numeric-bool", {"n": [{"numeric": [">=", 0]}]}, {"n": True}, False),
    ("numeric-reversed-bounds", {"n": [{"numeric": ["<", 10, ">=", 5]}]}, {"n": 5}, True),
    ("numeric-event-array", {"n": [{"numeric": [">", 10]}]}, {"n": [1, 2, 30]}, True),
    # exists
    ("exists-true", {"detail": {"state": [{"exists": True}]}}, EC2_EVENT, True),
    ("exists-true-missing", {"detail": {"state": [{"exists": True}]}}, {"detail": {}}, False),
    (
        "exists-true-null",
        {"detail": {"state": [{"exists": True}]}},
        {"detail": {"state": None}},
        True,
    ),
    ("exists-false-missing", {"detail": {"state": [{"exists": False}]}}, {"detail": {}}, True),
    ("exists-false-present", {"detail": {"state": [{"exists": False}]}}, EC2_EVENT, False),
    (
        "exists-false-parent-missing",
        {"detail": {"state": [{"exists": False}]}},
        {"source": "x"},
        True,
    ),
    ("exists-true-object", {"detail": [{"exists": True}]}, EC2_EVENT, False),
    ("exists-false-object", {"detail": [{"exists": False}]}, EC2_EVENT, True),
    ("exists-false-empty-array", {"tags": [{"exists": False}]}, {"tags": []}, True),
    ("exists-false-or-value", {"s": [{"exists": False}, "on"]}, {"s": "on"}, True),
    ("exists-false-or-value-no", {"s": [{"exists": False}, "on"]}, {"s": "off"}, False),
    # wildcard
    (
        "wildcard",
        {"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]},
        {"EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/default"},
        True,
    ),
    (
        "wildcard-no",
        {"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]},
        {"EventBusArn": "arn:aws:events:us-west-2:123456789012:event-bus/default"},
        False,
    ),
    ("wildcard-dir", {"FileName": [{"wildcard": "dir/*.png"}]}, {"FileName": "dir/a/b.png"}, True),
    (
        "wildcard-dir-no",
        {"FileName": [{"wildcard": "dir/*.png"}]},
        {"FileName": "dir/a.jpg"},
        False,
    ),
    ("wildcard-empty-run", {"s": [{"wildcard": "ab*"}]}, {"s": "ab"}, True),
    ("wildcard-whole", {"s": [{"wildcard": "a*c"}]}, {"s": "xabc"}, False),
    ("wildcard-escaped-star", {"s": [{"wildcard": "a\\*c"}]}, {"s": "a*c"}, True),
    ("wildcard-escaped-star-literal", {"s": [{"wildcard": "a\\*c"}]}, {"s": "abc"}, False),
    ("wildcard-escaped-backslash", {"s": [{"wildcard": "a\\\\*"}]}, {"s": "a\\bc"}, True),
    ("wildcard-regex-chars", {"s": [{"wildcard": "a.c*"}]}, {"s": "abcd"}, False),
    ("wildcard-newline", {"s": [{"wildcard": "a*"}]}, {"s": "a\nb"}, True),
    ("wildcard-number", {"s": [{"wildcard": "1*"}]}, {"s": 12}, False),
    # cidr
    (
        "cidr",
        {"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}},
        {"detail": {"source-ip": "10.0.0.255"}},
        True,
    ),
    (
        "cidr-no",
        {"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}},
        {"detail": {"source-ip": "10.0.1.1"}},
        False,
    ),
    ("cidr-not-ip", {"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "hello"}, False),
    ("cidr-v6", {"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "2001:db8::1"}, True),
    ("cidr-v6-no", {"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "10.0.0.1"}, False),
    # $or
    (
        "or-fields",
        {
            "$or": [
                {"c-count": [{"numeric": [">", 0, "<=", 5]}]},
                {"d-count": [{"numeric": ["<", 10]}]},
                {"x-limit": [{"numeric": ["=", 3.018e2]}]},
            ]
        },
        {"d-count": 3},
        True,
    ),
    (
        "or-fields-none",
        {
            "$or": [
                {"c-count": [{"numeric": [">", 0, "<=", 5]}]},
                {"d-count": [{"numeric": ["<", 10]}]},
            ]
        },
        {"c-count": 6, "d-count": 11},
        False,
    ),
    (
        "or-with-and",
        {
            "source": ["aws.ec2"],
            "$or": [
                {"detail": {"state": ["running"]}},
                {"detail-type": ["EC2 Instance State-change Notification"]},
            ],
        },
        EC2_EVENT,
        True,
    ),
    (
        "or-with-and-fails",
        {
            "source": ["aws.s3"],
            "$or": [{"detail": {"state": ["terminated"]}}, {"region": ["us-west-1"]}],
        },
        EC2_EVENT,
        False,
    ),
    (
        "or-nested",
        {"detail": {"$or": [{"state": ["stopped"]}, {"instance-id": [{"prefix": "i-"}]}]}},
        EC2_EVENT,
        True,
    ),
    (
        "or-nested-or",
        {"$or": [{"a": ["1"]}, {"$or": [{"b": ["2"]}, {"c": ["3"]}]}]},
        {"c": "3"},
        True,
    ),
    ("or-exists-false", {"$or": [{"a": [{"exists": False}]}, {"a": ["x"]}]}, {"b": 1}, True),
    # Lambda event filtering examples (SQS body / Kinesis data / DynamoDB images)
    (
        "lambda-sqs-body",
        {"body": {"RetailCategory": ["Electronics"], "Price": [{"numeric": [">", 5]}]}},
        {"body": {"RetailCategory": "Electronics", "Price": 10}},
        True,
    ),
    (
        "lambda-sqs-body-no",
        {"body": {"RetailCategory": ["Electronics"], "Price": [{"numeric": [">", 5]}]}},
        {"body": {"RetailCategory": "Electronics", "Price": "10"}},
        False,
    ),
    (
        "lambda-dynamodb",
        {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"id": {"BOOL": [True]}}}},
        {"eventName": "INSERT", "dynamodb": {"NewImage": {"id": {"BOOL": True}}}},
        True,
    ),
    (
        "lambda-dynamodb-no",
        {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"id": {"BOOL": [True]}}}},
        {"eventName": "MODIFY", "dynamodb": {"NewImage": {"id": {"BOOL": True}}}},
        False,
    ),
    (
        "lambda-kinesis-data",
        {"data": {"tracking": {"position": [{"exists": True}]}}},
        {"data": {"tracking": {"position": {"lat": 1}}}},
        False,
    ),
    (
        "lambda-attributes",
        {"attributes": {"MessageGroupId": [{"prefix": "g-"}]}},
        {"attributes": {"MessageGroupId": "g-7"}, "body": "not json"},
        True,
    ),
    (
        "lambda-anything-but-weather",
        {"data": {"Weather": [{"anything-but": ["Raining"]}]}},
        {"data": {"Weather": "Sunny"}},
        True,
    ),
    (
        "lambda-mixed-alternatives",
        {"Price": [{"numeric": [">", 100]}, "free", None]},
        {"Price": None},
        True,
    ),
    (
        "lambda-mixed-alternatives-no",
        {"Price": [{"numeric": [">", 100]}, "free", None]},
        {"Price": 50},
        False,
    ),
    # the comparison-operator summary's examples, one by one
    ("summary-null-empty-version", {"detail": {"eventVersion": [""]}}, AUTOSCALING_EVENT, True),
    ("summary-null-response", {"detail": {"responseElements": [None]}}, AUTOSCALING_EVENT, True),
    ("summary-empty-not-null", {"detail": {"responseElements": [""]}}, AUTOSCALING_EVENT, False),
    ("summary-null-not-empty", {"detail": {"eventVersion": [None]}}, AUTOSCALING_EVENT, False),
    ("summary-resources-empty", {"resources": [{"exists": False}]}, AUTOSCALING_EVENT, True),
    ("summary-userid-null", {"UserID": [None]}, {"UserID": None}, True),
    ("summary-userid-null-no", {"UserID": [None]}, {"UserID": "u-1"}, False),
    ("summary-product-exists", {"ProductName": [{"exists": True}]}, {"ProductName": "x"}, True),
    (
        "summary-product-not-exists",
        {"ProductName": [{"exists": False}]},
        {"ProductName": "x"},
        False,
    ),
    (
        "summary-weather",
        {"Weather": [{"anything-but": ["Raining"]}]},
        {"Weather": "Raining"},
        False,
    ),
    ("summary-price-range", {"Price": [{"numeric": [">", 10, "<=", 20]}]}, {"Price": 20}, True),
    (
        "summary-price-range-low",
        {"Price": [{"numeric": [">", 10, "<=", 20]}]},
        {"Price": 10},
        False,
    ),
    ("summary-payment", {"PaymentType": ["Credit", "Debit"]}, {"PaymentType": "Debit"}, True),
    ("summary-payment-no", {"PaymentType": ["Credit", "Debit"]}, {"PaymentType": "Cash"}, False),
    (
        "summary-or-location-day",
        {"$or": [{"Location": ["New York"]}, {"Day": ["Monday"]}]},
        {"Location": "Boston", "Day": "Monday"},
        True,
    ),
    (
        "summary-or-location-day-no",
        {"$or": [{"Location": ["New York"]}, {"Day": ["Monday"]}]},
        {"Location": "Boston", "Day": "Friday"},
        False,
    ),
    (
        "summary-suffix-ignore-case",
        {"service": [{"suffix": {"equals-ignore-case": "tbridge"}}]},
        {"service": "EventBRIDGE"},
        True,
    ),
    (
        "summary-region-not-us",
        {"Region": [{"anything-but": {"prefix": "us-"}}]},
        {"Region": "eu-west-1"},
        True,
    ),
    (
        "summary-region-not-us-no",
        {"Region": [{"anything-but": {"prefix": "us-"}}]},
        {"Region": "us-east-2"},
        False,
    ),
    (
        "summary-anything-but-number-exponent",
        {"price": [{"anything-but": [100, 500]}]},
        {"price": 1e2},
        False,
    ),
    (
        "summary-anything-but-number-fraction",
        {"price": [{"anything-but": [100, 500]}]},
        {"price": 100.1},
        True,
    ),
    (
        "summary-anything-but-number-array",
        {"price": [{"anything-but": [100, 500]}]},
        {"price": [100, 50]},
        True,
    ),
    (
        "summary-anything-but-number-array-no",
        {"price": [{"anything-but": [100, 500]}]},
        {"price": [100, 500]},
        False,
    ),
    (
        "summary-numeric-exponent",
        {"price_usd": [{"numeric": ["=", 301.5]}]},
        {"price_usd": 3.015e2},
        True,
    ),
]

INVALID: list[tuple[str, Any]] = [
    ("root-array", ["aws.ec2"]),
    ("root-string", "aws.ec2"),
    ("root-number", 3),
    ("empty-root", {}),
    ("leaf-string", {"source": "aws.ec2"}),
    ("leaf-number", {"n": 5}),
    ("leaf-null", {"n": None}),
    ("leaf-bool", {"n": True}),
    ("empty-array", {"source": []}),
    ("empty-nested", {"detail": {}}),
    ("nested-array", {"source": [["a"]]}),
    ("unknown-operator", {"source": [{"contains": "ec2"}]}),
    ("two-operators", {"source": [{"prefix": "a", "suffix": "b"}]}),
    ("empty-operator", {"source": [{}]}),
    ("operator-not-in-array", {"source": {"prefix": "aws."}}),
    ("prefix-number", {"s": [{"prefix": 1}]}),
    ("prefix-list", {"s": [{"prefix": ["a"]}]}),
    ("prefix-bad-inner", {"s": [{"prefix": {"suffix": "a"}}]}),
    ("suffix-null", {"s": [{"suffix": None}]}),
    ("suffix-ignore-case-number", {"s": [{"suffix": {"equals-ignore-case": 3}}]}),
    ("equals-ignore-case-number", {"s": [{"equals-ignore-case": 1}]}),
    ("wildcard-number", {"s": [{"wildcard": 1}]}),
    ("wildcard-consecutive", {"s": [{"wildcard": "a**b"}]}),
    ("wildcard-bad-escape", {"s": [{"wildcard": "a\\b"}]}),
    ("wildcard-trailing-backslash", {"s": [{"wildcard": "a\\"}]}),
    ("exists-string", {"s": [{"exists": "true"}]}),
    ("exists-number", {"s": [{"exists": 1}]}),
    ("numeric-not-list", {"n": [{"numeric": 5}]}),
    ("numeric-empty", {"n": [{"numeric": []}]}),
    ("numeric-odd", {"n": [{"numeric": [">", 0, "<"]}]}),
    ("numeric-bad-operator", {"n": [{"numeric": ["==", 5]}]}),
    ("numeric-string-value", {"n": [{"numeric": [">", "5"]}]}),
    ("numeric-bool-value", {"n": [{"numeric": [">", True]}]}),
    ("numeric-two-lows", {"n": [{"numeric": [">", 0, ">=", 5]}]}),
    ("numeric-equals-in-range", {"n": [{"numeric": ["=", 0, "<", 5]}]}),
    ("numeric-bottom-above-top", {"n": [{"numeric": [">", 5, "<", 1]}]}),
    ("numeric-empty-range", {"n": [{"numeric": [">=", 5, "<=", 5]}]}),
    ("numeric-too-large", {"n": [{"numeric": [">", 5.1e9]}]}),
    ("numeric-six-elements", {"n": [{"numeric": [">", 0, "<", 5, "=", 3]}]}),
    ("exact-number-too-large", {"n": [1e10]}),
    ("anything-but-empty-list", {"s": [{"anything-but": []}]}),
    ("anything-but-mixed-list", {"s": [{"anything-but": ["a", 1]}]}),
    ("anything-but-null", {"s": [{"anything-but": None}]}),
    ("anything-but-bool", {"s": [{"anything-but": True}]}),
    ("anything-but-numeric", {"s": [{"anything-but": {"numeric": [">", 1]}}]}),
    ("anything-but-exists", {"s": [{"anything-but": {"exists": True}}]}),
    ("anything-but-nested", {"s": [{"anything-but": {"anything-but": "a"}}]}),
    ("anything-but-prefix-number", {"s": [{"anything-but": {"prefix": 1}}]}),
    ("cidr-bad", {"ip": [{"cidr": "10.0.0.0/33"}]}),
    ("cidr-number", {"ip": [{"cidr": 10}]}),
    ("or-not-list", {"$or": {"a": ["1"]}}),
    ("or-one-element", {"$or": [{"a": ["1"]}]}),
    ("or-empty", {"$or": []}),
    ("or-values", {"$or": ["a", "b"]}),
    ("or-empty-pattern", {"$or": [{"a": ["1"]}, {}]}),
    ("or-bad-branch", {"$or": [{"a": ["1"]}, {"b": "2"}]}),
    ("too-deep", json.loads('{"a":' * 60 + '["x"]' + "}" * 60)),
]


@pytest.mark.parametrize(
    ("pattern", "event", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_matches(pattern: dict[str, Any], event: dict[str, Any], expected: bool) -> None:
    assert compile_pattern(pattern).matches(event) is expected
    # The same pattern given as JSON text compiles to the same matcher.
    assert compile_pattern(json.dumps(pattern)).matches(event) is expected


@pytest.mark.parametrize("pattern", [c[1] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_patterns_are_refused(pattern: Any) -> None:
    with pytest.raises(InvalidEventPatternException) as e:
        compile_pattern(pattern if isinstance(pattern, dict) else json.dumps(pattern))
    assert e.value.code == "InvalidEventPatternException"
    assert e.value.status == 400
    assert e.value.message.startswith("Event pattern is not valid. Reason: ")


@pytest.mark.parametrize("text", ["", "{", '{"a": ["x"]} trailing', '{"n": [NaN]}', "x" * 5000])
def test_text_that_is_not_a_json_pattern_is_refused(text: str) -> None:
    with pytest.raises(InvalidEventPatternException, match=r"^Event pattern is not valid"):
        compile_pattern(text)


def test_message_names_the_field() -> None:
    with pytest.raises(InvalidEventPatternException, match=r'"detail\.state" must be an object'):
        compile_pattern({"detail": {"state": "running"}})


def test_pattern_is_frozen_and_compares_by_source() -> None:
    a = compile_pattern({"b": ["2"], "a": ["1"]})
    b = compile_pattern('{"a": ["1"], "b": ["2"]}')
    assert isinstance(a, EventPattern)
    assert a == b and a.source == '{"a":["1"],"b":["2"]}'
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.source = "{}"  # type: ignore[misc]


def test_non_dict_events_never_match() -> None:
    p = compile_pattern({"a": [{"exists": False}]})
    assert p.matches({}) is True
    assert p.matches([]) is False  # type: ignore[arg-type]


def test_matching_leaves_the_event_untouched() -> None:
    event = {"a": [{"b": "x"}, {"b": ["y", None]}], "c": {"d": 1}}
    before = json.dumps(event)
    compile_pattern({"a": {"b": ["y"]}, "c": {"d": [{"numeric": ["=", 1]}]}}).matches(event)
    assert json.dumps(event) == before

"""Delivery retry schedules: AWS's managed policy and http(s) delivery policies."""

from __future__ import annotations

import json

import pytest

from ovis.services.sns.errors import InvalidParameter
from ovis.services.sns.policy import (
    HTTP_DEFAULT,
    MANAGED,
    RetryPolicy,
    http_content_type,
    http_policy,
    parse_retry_policy,
)


def test_managed_policy_is_awss_four_phases() -> None:
    delays = [MANAGED.delay_s(i) for i in range(1, 16)]
    assert delays[:3] == [0.0, 0.0, 0.0]  # 3 immediate retries
    assert delays[3:5] == [1.0, 1.0]  # 2 retries 1 s apart
    backoff = delays[5:15]  # 10 retries backing off from 1 s to 20 s
    assert backoff == sorted(backoff) and backoff[0] > 1.0 and backoff[-1] == pytest.approx(20.0)
    assert MANAGED.delay_s(16) == 20.0 and MANAGED.delay_s(100_015) == 20.0
    assert MANAGED.delay_s(100_016) is None


def test_http_default_is_three_retries_20_seconds_apart() -> None:
    assert [HTTP_DEFAULT.delay_s(i) for i in range(1, 5)] == [20.0, 20.0, 20.0, None]


def test_custom_http_policy_phases() -> None:
    p = parse_retry_policy(
        {
            "numRetries": 6,
            "numNoDelayRetries": 1,
            "numMinDelayRetries": 1,
            "numMaxDelayRetries": 1,
            "minDelayTarget": 2,
            "maxDelayTarget": 10,
            "backoffFunction": "linear",
        },
        "DeliveryPolicy",
    )
    assert [p.delay_s(i) for i in range(1, 8)] == [
        0.0,
        2.0,
        2 + 8 / 3,
        2 + 16 / 3,
        10.0,
        10.0,
        None,
    ]


@pytest.mark.parametrize(
    "doc",
    [
        {"numRetries": 101},
        {"minDelayTarget": 30, "maxDelayTarget": 10},
        {"numRetries": 2, "numNoDelayRetries": 3},
        {"backoffFunction": "random"},
        {"numRetries": 100, "minDelayTarget": 3600, "maxDelayTarget": 3600},  # over an hour
    ],
)
def test_invalid_http_policies(doc: dict[str, object]) -> None:
    with pytest.raises(InvalidParameter):
        parse_retry_policy(doc, "DeliveryPolicy")


def test_subscription_policy_overrides_the_topics() -> None:
    topic = json.dumps({"http": {"defaultHealthyRetryPolicy": {"numRetries": 5}}})
    sub = json.dumps({"healthyRetryPolicy": {"numRetries": 1}})
    assert http_policy(topic, sub).num_retries == 1
    assert http_policy(topic, "").num_retries == 5
    assert http_policy("", "") == HTTP_DEFAULT
    assert isinstance(http_policy("{bad", ""), RetryPolicy)


def test_http_content_type_from_the_request_policies() -> None:
    topic = json.dumps(
        {"http": {"defaultRequestPolicy": {"headerContentType": "application/json"}}}
    )
    sub = json.dumps({"requestPolicy": {"headerContentType": "text/xml"}})
    assert http_content_type(topic, sub) == "text/xml"
    assert http_content_type(topic, "") == "application/json"
    assert http_content_type("", "{bad") == "text/plain; charset=UTF-8"

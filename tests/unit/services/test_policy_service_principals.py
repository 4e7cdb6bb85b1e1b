"""Resource-policy evaluation for service principals (SNS, EventBridge...): Principal
{"Service": ...}, ArnLike on AWS:SourceArn, StringEquals on AWS:SourceAccount."""

from __future__ import annotations

from ovis.services.lambda_.permissions import _arn_like, _conditions_hold, _service_matches

TOPIC = "arn:aws:sns:us-east-1:000000000000:orders"


def test_service_principal() -> None:
    assert _service_matches({"Service": "sns.amazonaws.com"}, "sns.amazonaws.com")
    assert _service_matches(
        {"Service": ["events.amazonaws.com", "sns.amazonaws.com"]}, "sns.amazonaws.com"
    )
    assert _service_matches("*", "sns.amazonaws.com")
    assert not _service_matches({"Service": "events.amazonaws.com"}, "sns.amazonaws.com")
    assert not _service_matches({"AWS": "arn:aws:iam::000000000000:root"}, "sns.amazonaws.com")


def test_arn_like_wildcards() -> None:
    assert _arn_like(TOPIC, TOPIC)
    assert _arn_like(TOPIC, "arn:aws:sns:us-east-1:000000000000:*")
    assert _arn_like(TOPIC, "arn:aws:sns:*:*:order?")
    assert not _arn_like(TOPIC, "arn:aws:sns:us-east-1:000000000000:other")
    assert not _arn_like(TOPIC, "ARN:aws:sns:us-east-1:000000000000:orders")
    assert not _arn_like("arn:aws:sns:x:1:[ab]", "arn:aws:sns:x:1:a")  # brackets are literal


def test_conditions_for_a_service_call() -> None:
    context = {"aws:sourcearn": TOPIC, "aws:sourceaccount": "000000000000"}
    assert _conditions_hold({"ArnLike": {"AWS:SourceArn": TOPIC}}, context)
    assert _conditions_hold({"StringEquals": {"AWS:SourceAccount": "000000000000"}}, context)
    assert not _conditions_hold({"ArnLike": {"AWS:SourceArn": TOPIC + "-x"}}, context)
    assert not _conditions_hold({"StringEquals": {"AWS:SourceAccount": "111111111111"}}, context)
    # A condition key the call does not carry fails, as in IAM.
    assert not _conditions_hold({"StringEquals": {"lambda:EventSourceToken": "t"}}, context)

"""Target kinds and PutTargets' checks."""

from __future__ import annotations

import pytest

from ovis.services.events.errors import ValidationException
from ovis.services.events.targets import BUS, LAMBDA, SNS, SQS, check_target, kind

A = "000000000000"


def test_kinds() -> None:
    assert kind(f"arn:aws:lambda:us-east-1:{A}:function:f") == LAMBDA
    assert kind(f"arn:aws:lambda:us-east-1:{A}:function:f:live") == LAMBDA
    assert kind(f"arn:aws:sqs:us-east-1:{A}:q.fifo") == SQS
    assert kind(f"arn:aws:sns:us-east-1:{A}:t") == SNS
    assert kind(f"arn:aws:events:us-east-1:{A}:event-bus/b") == BUS
    assert kind(f"arn:aws:ecs:us-east-1:{A}:cluster/c") is None
    assert kind("not an arn") is None


def test_checks() -> None:
    q = f"arn:aws:sqs:us-east-1:{A}:q"
    check_target({"Id": "a", "Arn": q, "Input": "{}"})
    bad = [
        {"Id": "a", "Arn": "nope"},
        {"Id": "a", "Arn": q, "Input": "{}", "InputPath": "$"},
        {"Id": "a", "Arn": q, "Input": "not json"},
        {"Id": "a", "Arn": q, "InputPath": "detail"},
        {"Id": "a", "Arn": q + ".fifo"},
        {"Id": "a", "Arn": q, "DeadLetterConfig": {"Arn": f"arn:aws:sns:us-east-1:{A}:t"}},
    ]
    for target in bad:
        with pytest.raises(ValidationException):
            check_target(target)
    check_target({"Id": "a", "Arn": q + ".fifo", "SqsParameters": {"MessageGroupId": "g"}})

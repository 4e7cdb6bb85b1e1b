"""Limits of the botocore model and AWS's docs that #19 found unchecked: EphemeralStorage
512..10240 MB, at most 50 tags per resource (Lambda, SQS, SNS), and ARNs naming another region
or account where Lambda refuses them. Each refusal is the service's own code and wording."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import ACCOUNT, REGION, ServerProcess, create_python_function

ECHO = "def handler(event, context):\n    return event\n"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/lambda-role"


def _err(call: Any, **kw: Any) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as e:
        call(**kw)
    r = e.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"], r["Error"]["Message"]


def _tags(n: int, prefix: str = "k") -> dict[str, str]:
    return {f"{prefix}{i}": "v" for i in range(n)}


# The SDK's own checks off, so the server's are what answers.
RAW = Config(parameter_validation=False, retries={"max_attempts": 1})


def test_lambda_limits(server: ServerProcess) -> None:
    lam: Any = server.client("lambda", config=RAW)
    name = f"lim-{uuid.uuid4().hex[:8]}"
    for size in (511, 10241):
        status, code, msg = _err(
            create_python_function, lam=lam, name=name, code=ECHO, EphemeralStorage={"Size": size}
        )
        assert (status, code) == (400, "ValidationException"), msg
        assert "ephemeralStorage.size" in msg
    status, code, msg = _err(create_python_function, lam=lam, name=name, code=ECHO, Tags=_tags(51))
    assert (status, code) == (400, "InvalidParameterValueException"), msg
    assert "tag" in msg.lower()

    create_python_function(lam, name, ECHO, Tags=_tags(50), EphemeralStorage={"Size": 10240})
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    for size in (511, 10241):
        status, code, _ = _err(
            lam.update_function_configuration, FunctionName=name, EphemeralStorage={"Size": size}
        )
        assert (status, code) == (400, "ValidationException")
    # 50 tags already: one more (a new key) is refused, overwriting one is not.
    status, code, msg = _err(lam.tag_resource, Resource=arn, Tags={"extra": "x"})
    assert (status, code) == (400, "InvalidParameterValueException"), msg
    lam.tag_resource(Resource=arn, Tags={"k0": "changed"})
    assert len(lam.list_tags(Resource=arn)["Tags"]) == 50

    # Another region's or account's function ARN names no function here.
    for other in (
        arn.replace(f":{REGION}:", ":eu-west-1:"),
        arn.replace(f":{ACCOUNT}:", ":111122223333:"),
    ):
        status, code, _ = _err(lam.get_function, FunctionName=other)
        assert (status, code) == (404, "ResourceNotFoundException"), other
        status, code, _ = _err(lam.invoke, FunctionName=other)
        assert (status, code) == (404, "ResourceNotFoundException"), other
        status, code, _ = _err(lam.tag_resource, Resource=other, Tags={"a": "b"})
        assert status in (400, 404), (other, code)
    # A role ARN with a malformed account.
    status, code, msg = _err(
        lam.update_function_configuration, FunctionName=name, Role="arn:aws:iam::12345:role/r"
    )
    assert (status, code) == (400, "ValidationException"), msg
    lam.delete_function(FunctionName=name)


def test_sqs_and_sns_tag_limits(server: ServerProcess) -> None:
    sqs: Any = server.client("sqs", config=RAW)
    url = sqs.create_queue(QueueName=f"lim-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    sqs.tag_queue(QueueUrl=url, Tags=_tags(50))
    _, code, _ = _err(sqs.tag_queue, QueueUrl=url, Tags={"more": "x"})
    assert code == "InvalidParameterValue"
    sns: Any = server.client("sns", config=RAW)
    topic = sns.create_topic(Name=f"lim-{uuid.uuid4().hex[:8]}")["TopicArn"]
    sns.tag_resource(ResourceArn=topic, Tags=[{"Key": k, "Value": v} for k, v in _tags(50).items()])
    _, code, _ = _err(sns.tag_resource, ResourceArn=topic, Tags=[{"Key": "more", "Value": "x"}])
    assert code == "TagLimitExceeded"

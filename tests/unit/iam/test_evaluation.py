"""ovis/services/iam/evaluation.py: AWS's policy evaluation logic, statement by statement."""

from __future__ import annotations

from typing import Any

import pytest

from ovis.services.iam.evaluation import (
    ALLOW,
    EXPLICIT_DENY,
    IMPLICIT_DENY,
    Request,
    evaluate,
    parse_document,
)
from ovis.services.iam.requests import action_of, resource_of

FN = "arn:aws:lambda:us-east-1:000000000000:function:orders"
ROLE = "arn:aws:iam::000000000000:role/app"
SESSION = "arn:aws:sts::000000000000:assumed-role/app/orders"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def req(action: str = "lambda:InvokeFunction", resource: str = FN, **ctx: Any) -> Request:
    return Request(action, resource, (SESSION, ROLE), {k.lower(): v for k, v in ctx.items()})


def test_deny_wins_then_allow_else_implicit_deny() -> None:
    assert evaluate(req(), []) == IMPLICIT_DENY
    assert evaluate(req(), [doc(allow("lambda:InvokeFunction", FN))]) == ALLOW
    assert evaluate(req(), [doc(allow("lambda:*")), doc(deny("lambda:Invoke*", FN))]) == (
        EXPLICIT_DENY
    )
    assert evaluate(req(), [doc(allow("s3:*"))]) == IMPLICIT_DENY
    # an identity statement must name a resource to apply
    assert evaluate(req(), [doc({"Effect": "Allow", "Action": "*"})]) == IMPLICIT_DENY


def test_action_and_resource_wildcards_and_their_not_forms() -> None:
    assert evaluate(req(), [doc(allow("LAMBDA:invokefunction", FN))]) == ALLOW  # actions: any case
    assert evaluate(req(), [doc(allow("lambda:Invoke?unction", FN))]) == ALLOW
    assert evaluate(req(), [doc(allow("*", "arn:aws:lambda:*:*:function:ord*"))]) == ALLOW
    assert evaluate(req(), [doc(allow("*", "arn:aws:lambda:*:*:function:ORDERS"))]) == (
        IMPLICIT_DENY  # resources are case-sensitive
    )
    assert evaluate(req(resource=FN + ":prod"), [doc(allow("*", FN))]) == IMPLICIT_DENY
    assert evaluate(req(resource=FN + ":prod"), [doc(allow("*", FN + ":*"))]) == ALLOW
    not_action = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    assert evaluate(req(), [doc(not_action)]) == ALLOW
    assert evaluate(req("iam:CreateRole", "*"), [doc(not_action)]) == IMPLICIT_DENY
    not_resource = {"Effect": "Deny", "Action": "*", "NotResource": FN}
    assert evaluate(req(), [doc(allow("*"), not_resource)]) == ALLOW
    other = req(resource=FN.replace("orders", "payroll"))
    assert evaluate(other, [doc(allow("*"), not_resource)]) == EXPLICIT_DENY
    # a request on no resource ("*", ListFunctions) is named only by "*"
    assert evaluate(req("lambda:ListFunctions", "*"), [doc(allow("*", FN))]) == IMPLICIT_DENY
    assert evaluate(req("lambda:ListFunctions", "*"), [doc(allow("*"))]) == ALLOW


@pytest.mark.parametrize(
    ("condition", "context", "holds"),
    [
        (
            {"StringEquals": {"aws:RequestedRegion": "us-east-1"}},
            {"aws:RequestedRegion": "us-east-1"},
            True,
        ),
        (
            {"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}},
            {"aws:RequestedRegion": "us-east-1"},
            True,
        ),
        (
            {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
            {"aws:RequestedRegion": "us-east-1"},
            False,
        ),
        (
            {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}},
            {"aws:RequestedRegion": "us-east-1"},
            True,
        ),
        (
            {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}},
            {},
            True,
        ),  # missing: negated holds
        ({"StringEquals": {"aws:RequestedRegion": "us-east-1"}}, {}, False),  # missing: fails
        ({"StringEqualsIfExists": {"aws:RequestedRegion": "x"}}, {}, True),
        (
            {"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "ORDERS"}},
            {"aws:PrincipalTag/team": "orders"},
            True,
        ),
        ({"StringLike": {"aws:userid": "AROA*:orders"}}, {"aws:userid": "AROAXYZ:orders"}, True),
        (
            {"StringNotLike": {"aws:userid": "AROA*:orders"}},
            {"aws:userid": "AROAXYZ:orders"},
            False,
        ),
        (
            {"ArnLike": {"aws:SourceArn": "arn:aws:sqs:*:000000000000:jobs-*"}},
            {"aws:SourceArn": "arn:aws:sqs:us-east-1:000000000000:jobs-1"},
            True,
        ),
        ({"ArnEquals": {"aws:PrincipalArn": ROLE}}, {"aws:PrincipalArn": ROLE}, True),
        ({"ArnNotEquals": {"aws:PrincipalArn": ROLE}}, {"aws:PrincipalArn": ROLE}, False),
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "false"}, True),
        ({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "false"}, False),
        (
            {"NumericLessThan": {"aws:EpochTime": "2000000000"}},
            {"aws:EpochTime": "1700000000"},
            True,
        ),
        (
            {"NumericGreaterThanEquals": {"aws:EpochTime": "2000000000"}},
            {"aws:EpochTime": "1700000000"},
            False,
        ),
        ({"NumericNotEquals": {"aws:EpochTime": "5"}}, {"aws:EpochTime": "5"}, False),
        ({"NumericEquals": {"aws:EpochTime": "x"}}, {"aws:EpochTime": "5"}, False),  # not a number
        (
            {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}},
            {"aws:CurrentTime": "2026-12-02T05:00:00Z"},
            True,
        ),
        ({"Null": {"aws:SourceArn": "true"}}, {}, True),
        ({"Null": {"aws:SourceArn": "false"}}, {}, False),
        (
            {"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}},
            {"aws:TagKeys": ["b", "z"]},
            True,
        ),
        (
            {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}},
            {"aws:TagKeys": ["b", "z"]},
            False,
        ),
        (
            {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}},
            {"aws:TagKeys": ["b", "a"]},
            True,
        ),
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {}, False),  # never supplied
        # every operator and every key must hold (AND); values of one key are ORed
        (
            {"StringEquals": {"aws:RequestedRegion": "us-east-1", "aws:PrincipalAccount": "1"}},
            {"aws:RequestedRegion": "us-east-1", "aws:PrincipalAccount": "0"},
            False,
        ),
    ],
)
def test_conditions(condition: dict[str, Any], context: dict[str, Any], holds: bool) -> None:
    policy = doc(allow("lambda:InvokeFunction", FN, Condition=condition))
    assert evaluate(req(**context), [policy]) == (ALLOW if holds else IMPLICIT_DENY)


def test_resource_policies_name_their_principal() -> None:
    by_role = {"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "lambda:*", "Resource": FN}
    assert evaluate(req(), [], [doc(by_role)]) == ALLOW  # same account: either policy suffices
    by_other = {**by_role, "Principal": {"AWS": "arn:aws:iam::000000000000:role/other"}}
    assert evaluate(req(), [], [doc(by_other)]) == IMPLICIT_DENY
    by_service = {**by_role, "Principal": {"Service": "s3.amazonaws.com"}}
    assert evaluate(req(), [], [doc(by_service)]) == IMPLICIT_DENY
    everyone_denied = {**by_role, "Effect": "Deny", "Principal": "*"}
    assert evaluate(req(), [doc(allow("*"))], [doc(everyone_denied)]) == EXPLICIT_DENY
    not_principal = {
        "Effect": "Deny",
        "NotPrincipal": {"AWS": ROLE},
        "Action": "*",
        "Resource": "*",
    }
    assert evaluate(req(), [doc(allow("*"))], [doc(not_principal)]) == ALLOW
    not_others = {**not_principal, "NotPrincipal": {"AWS": "arn:aws:iam::000000000000:role/x"}}
    assert evaluate(req(), [doc(allow("*"))], [doc(not_others)]) == EXPLICIT_DENY


def test_boundaries_and_session_policies_intersect() -> None:
    everything = [doc(allow("*"))]
    lambda_only = doc(allow("lambda:*"))
    assert evaluate(req(), everything, boundary=lambda_only) == ALLOW
    assert evaluate(req("s3:GetObject", "arn:aws:s3:::b/k"), everything, boundary=lambda_only) == (
        IMPLICIT_DENY
    )
    assert evaluate(req(), everything, session=doc(allow("sqs:*"))) == IMPLICIT_DENY
    assert evaluate(req(), everything, session=doc(deny("*"))) == EXPLICIT_DENY
    assert evaluate(req(), [], boundary=lambda_only) == IMPLICIT_DENY  # a boundary grants nothing


def test_parse_document_caches_and_tolerates_garbage() -> None:
    text = '{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'
    assert parse_document(text) is parse_document(text)
    assert parse_document("not json") == {} and parse_document("[1]") == {}
    assert evaluate(req(), [parse_document("not json")]) == IMPLICIT_DENY


@pytest.mark.parametrize(
    ("service", "operation", "params", "action", "resource"),
    [
        ("lambda", "Invoke", {"FunctionName": "orders"}, "lambda:InvokeFunction", FN),
        (
            "lambda",
            "Invoke",
            {"FunctionName": "orders", "Qualifier": "prod"},
            "lambda:InvokeFunction",
            FN + ":prod",
        ),
        ("lambda", "GetFunction", {"FunctionName": "orders:7"}, "lambda:GetFunction", FN + ":7"),
        (
            "lambda",
            "GetFunction",
            {"FunctionName": "111122223333:function:x"},
            "lambda:GetFunction",
            "arn:aws:lambda:us-east-1:111122223333:function:x",
        ),
        ("lambda", "ListFunctions", {}, "lambda:ListFunctions", "*"),
        (
            "lambda",
            "GetLayerVersion",
            {"LayerName": "deps", "VersionNumber": 3},
            "lambda:GetLayerVersion",
            "arn:aws:lambda:us-east-1:000000000000:layer:deps:3",
        ),
        (
            "sqs",
            "SendMessageBatch",
            {"QueueUrl": "http://h/000000000000/jobs"},
            "sqs:SendMessage",
            "arn:aws:sqs:us-east-1:000000000000:jobs",
        ),
        ("sqs", "ListQueues", {}, "sqs:ListQueues", "*"),
        (
            "sns",
            "Publish",
            {"TopicArn": "arn:aws:sns:us-east-1:000000000000:t"},
            "sns:Publish",
            "arn:aws:sns:us-east-1:000000000000:t",
        ),
        (
            "sns",
            "Unsubscribe",
            {"SubscriptionArn": "arn:aws:sns:us-east-1:000000000000:t:abc"},
            "sns:Unsubscribe",
            "arn:aws:sns:us-east-1:000000000000:t",
        ),
        ("s3", "ListObjectsV2", {"Bucket": "b"}, "s3:ListBucket", "arn:aws:s3:::b"),
        ("s3", "HeadObject", {"Bucket": "b", "Key": "a/k"}, "s3:GetObject", "arn:aws:s3:::b/a/k"),
        ("s3", "ListBuckets", {}, "s3:ListAllMyBuckets", "*"),
        (
            "kinesis",
            "PutRecord",
            {"StreamName": "s"},
            "kinesis:PutRecord",
            "arn:aws:kinesis:us-east-1:000000000000:stream/s",
        ),
        (
            "logs",
            "PutLogEvents",
            {"logGroupName": "/g", "logStreamName": "s"},
            "logs:PutLogEvents",
            "arn:aws:logs:us-east-1:000000000000:log-group:/g:log-stream:s",
        ),
        ("iam", "GetRole", {"RoleName": "app"}, "iam:GetRole", ROLE),
        ("sts", "AssumeRole", {"RoleArn": ROLE}, "sts:AssumeRole", ROLE),
        (
            "events",
            "PutEvents",
            {"Entries": []},
            "events:PutEvents",
            "arn:aws:events:us-east-1:000000000000:event-bus/default",
        ),
        (
            "scheduler",
            "GetSchedule",
            {"Name": "n"},
            "scheduler:GetSchedule",
            "arn:aws:scheduler:us-east-1:000000000000:schedule/default/n",
        ),
        (
            "cloudformation",
            "DescribeStacks",
            {"StackName": "st"},
            "cloudformation:DescribeStacks",
            "arn:aws:cloudformation:us-east-1:000000000000:stack/st/*",
        ),
        ("cloudwatch", "PutMetricData", {"Namespace": "n"}, "cloudwatch:PutMetricData", "*"),
    ],
)
def test_actions_and_resources_per_service(
    service: str, operation: str, params: dict[str, Any], action: str, resource: str
) -> None:
    assert action_of(service, operation) == action
    assert resource_of(service, operation, params, "us-east-1", "000000000000") == resource

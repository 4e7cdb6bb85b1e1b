"""AWS managed policies that Lambda users attach, known by ARN with their documents.

Documents and default version ids are those AWS publishes in the AWS Managed Policy Reference
(docs.aws.amazon.com/aws-managed-policy/latest/reference/<name>.html) for the Lambda execution
role policies, AWSXRayDaemonWriteAccess, AWSLambda_FullAccess and AmazonS3ReadOnlyAccess.
AWSLambdaSQSQueueExecutionRole, AmazonSQSFullAccess, CloudWatchLogsFullAccess and
AdministratorAccess are written from their well-known contents (the reference pages were not
at hand). Where the comment says "abridged" the statements Lambda users rely on are kept and
the rest left out. They cannot be changed or deleted, and are listed by ListPolicies with Scope
AWS or All.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

LOGS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
CREATED_S = 1428591780.0  # 2015-04-09, when the Lambda execution role policies appeared


@dataclass(frozen=True)
class AwsPolicy:
    name: str
    arn: str
    path: str
    version_id: str
    document: str
    description: str
    policy_id: str


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=4)


def _allow(actions: list[str] | str, sid: str | None = None) -> dict[str, Any]:
    st: dict[str, Any] = {"Sid": sid} if sid else {}
    st.update({"Effect": "Allow", "Action": actions, "Resource": "*"})
    return st


_POLICIES: list[tuple[str, str, str, str, str]] = [
    # (path, name, version, description, document)
    (
        "/service-role/",
        "AWSLambdaBasicExecutionRole",
        "v1",
        "Provides write permissions to CloudWatch Logs.",
        _doc(_allow(LOGS)),
    ),
    (
        "/service-role/",
        "AWSLambdaSQSQueueExecutionRole",
        "v2",
        "Provides receive message, delete message, and read attribute access to SQS queues, "
        "and write permissions to CloudWatch logs.",
        _doc(_allow(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", *LOGS])),
    ),
    (
        "/service-role/",
        "AWSLambdaKinesisExecutionRole",
        "v2",
        "Provides list and read access to Kinesis streams and write permissions to CloudWatch "
        "logs.",
        _doc(
            _allow(
                [
                    "kinesis:DescribeStream",
                    "kinesis:DescribeStreamSummary",
                    "kinesis:GetRecords",
                    "kinesis:GetShardIterator",
                    "kinesis:ListShards",
                    "kinesis:ListStreams",
                    "kinesis:SubscribeToShard",
                    *LOGS,
                ]
            )
        ),
    ),
    (
        "/service-role/",
        "AWSLambdaDynamoDBExecutionRole",
        "v1",
        "Provides list and read access to DynamoDB streams and write permissions to CloudWatch "
        "logs.",
        _doc(
            _allow(
                [
                    "dynamodb:DescribeStream",
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                    "dynamodb:ListStreams",
                    *LOGS,
                ]
            )
        ),
    ),
    (
        "/service-role/",
        "AWSLambdaVPCAccessExecutionRole",
        "v3",
        "Provides minimum permissions for a Lambda function to execute while accessing a "
        "resource within a VPC - create, describe, delete network interfaces and write "
        "permissions to CloudWatch Logs.",
        _doc(
            _allow(
                [
                    *LOGS,
                    "ec2:CreateNetworkInterface",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeSubnets",
                    "ec2:DeleteNetworkInterface",
                    "ec2:AssignPrivateIpAddresses",
                    "ec2:UnassignPrivateIpAddresses",
                ],
                "AWSLambdaVPCAccessExecutionPermissions",
            )
        ),
    ),
    (
        "/",
        "AWSXRayDaemonWriteAccess",
        "v2",
        "Allow the AWS X-Ray Daemon to relay raw trace segments data to the service's API and "
        "retrieve sampling data (rules, targets, etc.) to be used by the X-Ray SDK.",
        _doc(
            {
                "Sid": "AWSXRayDaemonWriteAccess",
                "Effect": "Allow",
                "Action": [
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                    "xray:GetSamplingRules",
                    "xray:GetSamplingTargets",
                    "xray:GetSamplingStatisticSummaries",
                ],
                "Resource": ["*"],
            }
        ),
    ),
    (
        "/",
        "AWSLambda_FullAccess",
        "v2",
        "Grants full access to AWS Lambda service, AWS Lambda console features, and other "
        "related AWS services.",
        _doc(
            _allow(
                [
                    "cloudformation:DescribeStacks",
                    "cloudformation:ListStackResources",
                    "cloudwatch:ListMetrics",
                    "cloudwatch:GetMetricData",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeSubnets",
                    "ec2:DescribeVpcs",
                    "kms:ListAliases",
                    "iam:GetPolicy",
                    "iam:GetPolicyVersion",
                    "iam:GetRole",
                    "iam:GetRolePolicy",
                    "iam:ListAttachedRolePolicies",
                    "iam:ListRolePolicies",
                    "iam:ListRoles",
                    "lambda:*",
                    "logs:DescribeLogGroups",
                    "states:DescribeStateMachine",
                    "states:ListStateMachines",
                    "tag:GetResources",
                    "xray:GetTraceSummaries",
                    "xray:BatchGetTraces",
                ]
            ),
            {
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": "*",
                "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
            },
            {
                "Effect": "Allow",
                "Action": [
                    "logs:DescribeLogStreams",
                    "logs:GetLogEvents",
                    "logs:FilterLogEvents",
                    "logs:StartLiveTail",
                    "logs:StopLiveTail",
                ],
                "Resource": "arn:aws:logs:*:*:log-group:/aws/lambda/*",
            },
        ),
    ),
    (
        "/",
        "AmazonS3ReadOnlyAccess",
        "v3",
        "Provides read only access to all buckets via the AWS Management Console.",
        _doc(
            _allow(
                [
                    "s3:Get*",
                    "s3:List*",
                    "s3:Describe*",
                    "s3-object-lambda:Get*",
                    "s3-object-lambda:List*",
                ]
            )
        ),
    ),
    (
        "/",
        "AmazonSQSFullAccess",
        "v1",
        "Provides full access to Amazon SQS via the AWS Management Console.",
        _doc(_allow(["sqs:*"])),
    ),
    (
        "/",
        "AmazonDynamoDBFullAccess",
        "v1",
        "Provides full access to Amazon DynamoDB via the AWS Management Console.",
        # abridged: the DynamoDB, DAX, autoscaling and CloudWatch statements
        _doc(
            _allow(
                [
                    "dynamodb:*",
                    "dax:*",
                    "application-autoscaling:DeleteScalingPolicy",
                    "application-autoscaling:DeregisterScalableTarget",
                    "application-autoscaling:DescribeScalableTargets",
                    "application-autoscaling:DescribeScalingActivities",
                    "application-autoscaling:DescribeScalingPolicies",
                    "application-autoscaling:PutScalingPolicy",
                    "application-autoscaling:RegisterScalableTarget",
                    "cloudwatch:DeleteAlarms",
                    "cloudwatch:DescribeAlarmHistory",
                    "cloudwatch:DescribeAlarms",
                    "cloudwatch:GetMetricData",
                    "cloudwatch:ListMetrics",
                    "cloudwatch:PutMetricAlarm",
                    "kinesis:DescribeStream",
                    "kinesis:ListStreams",
                    "lambda:CreateEventSourceMapping",
                    "lambda:DeleteEventSourceMapping",
                    "lambda:GetFunctionConfiguration",
                    "lambda:ListEventSourceMappings",
                    "lambda:ListFunctions",
                    "iam:GetRole",
                    "iam:ListRoles",
                    "kms:DescribeKey",
                    "kms:ListAliases",
                    "tag:GetResources",
                ]
            )
        ),
    ),
    (
        "/",
        "CloudWatchLogsFullAccess",
        "v2",
        "Provides full access to CloudWatch Logs",
        _doc(_allow(["logs:*", "cloudwatch:GenerateQuery"], "CloudWatchLogsFullAccess")),
    ),
    (
        "/",
        "AdministratorAccess",
        "v1",
        "Provides full access to AWS services and resources.",
        _doc(_allow("*")),
    ),
]


def _policy_id(name: str) -> str:
    # Stable across restarts: AWS's ids are fixed per policy too.
    digest = hashlib.sha256(name.encode()).hexdigest().upper()
    return "ANPA" + "".join(c for c in digest if c.isalnum())[:17]


AWS_POLICIES: dict[str, AwsPolicy] = {
    f"arn:aws:iam::aws:policy{path}{name}": AwsPolicy(
        name, f"arn:aws:iam::aws:policy{path}{name}", path, version, doc, desc, _policy_id(name)
    )
    for path, name, version, desc, doc in _POLICIES
}

"""What IAM action and resource ARN one API request is: a small table per service.

``action_of(service, operation)``: ``<iam prefix>:<action>``. The prefix is the service's
(``lambda``, ``sqs``, ``s3``...); the action is the operation's name except where the Service
Authorization Reference says otherwise (Lambda's Invoke is ``lambda:InvokeFunction``, S3's
ListObjectsV2 is ``s3:ListBucket``, SQS's and SNS's batch operations are their single forms...).

``resource_of(service, operation, params, region, account)``: the ARN the request names, from
the parsed input members (a function name in any of its forms, a queue URL, a topic ARN, a
bucket and key...), ``*`` where the operation names no resource (List* and Create-less reads)
as AWS's reference has it. Unknown shapes fall back to any ``...Arn`` member that holds an ARN,
else ``*``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

# botocore service name -> IAM prefix, where they differ
_PREFIX = {"monitoring": "cloudwatch"}

_ACTIONS: dict[str, dict[str, str]] = {
    "lambda": {
        "Invoke": "InvokeFunction",
        "InvokeWithResponseStream": "InvokeFunction",
        "InvokeAsync": "InvokeAsync",
        "ListVersionsByFunction": "ListVersionsByFunction",
        "GetLayerVersionByArn": "GetLayerVersion",
    },
    "s3": {
        "ListObjects": "ListBucket",
        "ListObjectsV2": "ListBucket",
        "HeadBucket": "ListBucket",
        "HeadObject": "GetObject",
        "ListObjectVersions": "ListBucketVersions",
        "ListBuckets": "ListAllMyBuckets",
        "DeleteObjects": "DeleteObject",
        "CopyObject": "PutObject",
        "CreateMultipartUpload": "PutObject",
        "UploadPart": "PutObject",
        "UploadPartCopy": "PutObject",
        "CompleteMultipartUpload": "PutObject",
        "AbortMultipartUpload": "AbortMultipartUpload",
        "ListParts": "ListMultipartUploadParts",
        "ListMultipartUploads": "ListBucketMultipartUploads",
        "GetObjectAttributes": "GetObject",
        "GetBucketNotificationConfiguration": "GetBucketNotification",
        "PutBucketNotificationConfiguration": "PutBucketNotification",
        "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
        "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
    },
    "sqs": {
        "SendMessageBatch": "SendMessage",
        "DeleteMessageBatch": "DeleteMessage",
        "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
    },
    "sns": {"PublishBatch": "Publish"},
    "kinesis": {"ListShards": "ListShards"},
}


def action_of(service: str, operation: str) -> str:
    prefix = _PREFIX.get(service, service)
    return f"{prefix}:{_ACTIONS.get(service, {}).get(operation, operation)}"


def resource_of(
    service: str, operation: str, params: Mapping[str, Any], region: str, account: str
) -> str:
    derive = _RESOURCES.get(service)
    found = derive(operation, params, region, account) if derive is not None else None
    if found is not None:
        return found
    for name, value in params.items():
        if name.endswith("Arn") and isinstance(value, str) and value.startswith("arn:"):
            return value
    return "*"


# ---- per service --------------------------------------------------------------------------

Derive = Callable[[str, Mapping[str, Any], str, str], str | None]


def _function(name: str, region: str, account: str) -> str:
    """A function's ARN from any of FunctionName's forms (name, name:qualifier, partial ARN
    ``account:function:name``, full ARN)."""
    if name.startswith("arn:"):
        return name
    if ":function:" in name:
        acct, _, rest = name.partition(":function:")
        return f"arn:aws:lambda:{region}:{acct}:function:{rest}"
    return f"arn:aws:lambda:{region}:{account}:function:{name}"


def _lambda(op: str, p: Mapping[str, Any], region: str, account: str) -> str | None:
    name = p.get("FunctionName")
    if isinstance(name, str) and name:
        arn = _function(name, region, account)
        qualifier = p.get("Qualifier")
        if isinstance(qualifier, str) and qualifier and arn.count(":") == 6:
            arn = f"{arn}:{qualifier}"
        return arn
    layer = p.get("LayerName")
    if isinstance(layer, str) and layer:
        arn = (
            layer
            if layer.startswith("arn:")
            else (f"arn:aws:lambda:{region}:{account}:layer:{layer}")
        )
        version = p.get("VersionNumber")
        return f"{arn}:{version}" if version is not None and arn.count(":") == 6 else arn
    if isinstance(p.get("Arn"), str):  # GetLayerVersionByArn
        return str(p["Arn"])
    uuid = p.get("UUID")
    if isinstance(uuid, str) and uuid:
        return f"arn:aws:lambda:{region}:{account}:event-source-mapping:{uuid}"
    if isinstance(p.get("Resource"), str):  # tags: the tagged resource's ARN
        return str(p["Resource"])
    return None


def _sqs(op: str, p: Mapping[str, Any], region: str, account: str) -> str | None:
    url = p.get("QueueUrl")
    if isinstance(url, str) and url:
        parts = url.rstrip("/").split("/")
        if len(parts) >= 2 and parts[-2].isdigit():
            return f"arn:aws:sqs:{region}:{parts[-2]}:{parts[-1]}"
        return f"arn:aws:sqs:{region}:{account}:{parts[-1]}"
    name = p.get("QueueName")
    if isinstance(name, str) and name and op in ("CreateQueue", "GetQueueUrl"):
        return f"arn:aws:sqs:{region}:{p.get('QueueOwnerAWSAccountId') or account}:{name}"
    return None


def _sns(op: str, p: Mapping[str, Any], region: str, account: str) -> str | None:
    for member in ("TopicArn", "TargetArn", "ResourceArn"):
        value = p.get(member)
        if isinstance(value, str) and value:
            return value
    sub = p.get("SubscriptionArn")
    if isinstance(sub, str) and sub.count(":") >= 6:
        return sub.rsplit(":", 1)[0]  # the subscription's topic, as AWS authorizes it
    name = p.get("Name")
    if op == "CreateTopic" and isinstance(name, str):
        return f"arn:aws:sns:{region}:{account}:{name}"
    return None


def _s3(op: str, p: Mapping[str, Any], region: str, account: str) -> str | None:
    bucket = p.get("Bucket")
    if not isinstance(bucket, str) or not bucket:
        return None
    key = p.get("Key")
    if isinstance(key, str) and key:
        return f"arn:aws:s3:::{bucket}/{key}"
    if op == "DeleteObjects":
        return f"arn:aws:s3:::{bucket}/*"
    return f"arn:aws:s3:::{bucket}"


def _kinesis(op: str, p: Mapping[str, Any], region: str, account: str) -> str | None:
    arn = p.get("StreamARN")
    if isinstance(arn, str) and arn:
        return arn
    name = p.get("StreamName")
    if isinstance(name, str) and name:
        return f"arn:aws:kinesis:{region}:{account}:stream/{name}"
    return None


def _logs(op: str, p: Mapping[str, Any], region: str, account: str) -> str | None:
    group = p.get("logGroupName")
    if not isinstance(group, str) or not group:
        ident = p.get("logGroupIdentifier")
        group = ident.rsplit(":log-group:", 1)[-1] if isinstance(ident, str) else None
    if not group:
        return None
    base = f"arn:aws:logs:{region}:{account}:log-group:{group}"
    stream = p.get("logStreamName")
    return f"{base}:log-stream:{stream}" if isinstance(stream, str) and stream else f"{base}:*"


def _iam(op: str, p: Mapping[str, Any], region: str, account: str) -> str | None:
    for member in ("PolicyArn", "RoleArn"):
        value = p.get(member)
        if isinstance(value, str) and value:
            return value
    role = p.get("RoleName")
    if isinstance(role, str) and role:
        return f"arn:aws:iam::{account}:role{p.get('Path') or '/'}{role}"
    return None


def _events(op: str, p: Mapping[str, Any], region: str, account: str) -> str | None:
    bus = p.get("EventBusName") or "default"
    if not isinstance(bus, str):
        bus = "default"
    if bus.startswith("arn:"):
        bus = bus.rsplit("/", 1)[-1]
    rule = p.get("Rule") or (p.get("Name") if "Rule" in op or op == "DescribeRule" else None)
    if isinstance(rule, str) and rule:
        path = rule if bus == "default" else f"{bus}/{rule}"
        return f"arn:aws:events:{region}:{account}:rule/{path}"
    name = p.get("Name")
    if "EventBus" in op and isinstance(name, str) and name:
        return f"arn:aws:events:{region}:{account}:event-bus/{name}"
    if op == "PutEvents":
        return f"arn:aws:events:{region}:{account}:event-bus/{bus}"
    return None


def _scheduler(op: str, p: Mapping[str, Any], region: str, account: str) -> str | None:
    name = p.get("Name")
    if not isinstance(name, str) or not name:
        return None
    if "ScheduleGroup" in op:
        return f"arn:aws:scheduler:{region}:{account}:schedule-group/{name}"
    group = p.get("GroupName") or "default"
    return f"arn:aws:scheduler:{region}:{account}:schedule/{group}/{name}"


def _cloudformation(op: str, p: Mapping[str, Any], region: str, account: str) -> str | None:
    name = p.get("StackName")
    if isinstance(name, str) and name:
        if name.startswith("arn:"):
            return name
        return f"arn:aws:cloudformation:{region}:{account}:stack/{name}/*"
    return None


def _sts(op: str, p: Mapping[str, Any], region: str, account: str) -> str | None:
    role = p.get("RoleArn")
    return role if isinstance(role, str) and role else None


_RESOURCES: dict[str, Derive] = {
    "lambda": _lambda,
    "sqs": _sqs,
    "sns": _sns,
    "s3": _s3,
    "kinesis": _kinesis,
    "logs": _logs,
    "iam": _iam,
    "events": _events,
    "scheduler": _scheduler,
    "cloudformation": _cloudformation,
    "sts": _sts,
}

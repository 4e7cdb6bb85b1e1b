"""Queue attributes: names, defaults, validation and normalization (values are strings, as in
the API). Checks that need other queues (a redrive target's existence and type) live in the
service; everything here is pure."""

from __future__ import annotations

import json
import re
from typing import Any

from ovis.services.sqs.errors import (
    InvalidAttributeName,
    InvalidAttributeValue,
    InvalidParameterValue,
)

# Every name GetQueueAttributes knows, in the order "All" lists them.
ALL_NAMES = (
    "QueueArn",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "VisibilityTimeout",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds",
    "Policy",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
)
READ_ONLY = frozenset(
    {
        "QueueArn",
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
        "CreatedTimestamp",
        "LastModifiedTimestamp",
    }
)
FIFO_ONLY = frozenset({"ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"})

DEFAULTS = {
    "VisibilityTimeout": "30",
    "MaximumMessageSize": "1048576",
    "MessageRetentionPeriod": "345600",
    "DelaySeconds": "0",
    "ReceiveMessageWaitTimeSeconds": "0",
}
FIFO_DEFAULTS = {
    "ContentBasedDeduplication": "false",
    "DeduplicationScope": "queue",
    "FifoThroughputLimit": "perQueue",
}
_RANGES = {
    "DelaySeconds": (0, 900),
    "MaximumMessageSize": (1024, 1_048_576),
    "MessageRetentionPeriod": (60, 1_209_600),
    "ReceiveMessageWaitTimeSeconds": (0, 20),
    "VisibilityTimeout": (0, 43_200),
    "KmsDataKeyReusePeriodSeconds": (60, 86_400),
}
_BOOLEANS = frozenset({"FifoQueue", "ContentBasedDeduplication", "SqsManagedSseEnabled"})
_ENUMS = {
    "DeduplicationScope": ("messageGroup", "queue"),
    "FifoThroughputLimit": ("perQueue", "perMessageGroupId"),
}
MAX_RECEIVE_COUNT = 1000
_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
_FIFO_NAME = re.compile(r"[A-Za-z0-9_-]{1,75}\.fifo")


def check_queue_name(name: Any, fifo: bool) -> str:
    if fifo:
        if not isinstance(name, str) or not _FIFO_NAME.fullmatch(name):
            raise InvalidParameterValue(
                "The name of a FIFO queue can only include alphanumeric characters, hyphens, or "
                "underscores, must end with .fifo suffix and be 1 to 80 in length."
            )
    elif not isinstance(name, str) or not _NAME.fullmatch(name):
        if isinstance(name, str) and name.endswith(".fifo"):
            raise InvalidParameterValue(
                "The name of a FIFO queue can only include alphanumeric characters, hyphens, or "
                "underscores, must end with .fifo suffix and be 1 to 80 in length."
            )
        raise InvalidParameterValue(
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
        )
    return name


def normalize(attributes: dict[str, Any], fifo: bool, creating: bool) -> dict[str, str]:
    """Validated attributes as stored: integers canonical, booleans lower-case, redrive policies
    compact JSON. An empty Policy/RedrivePolicy/RedriveAllowPolicy means "remove" (kept as "")."""
    out: dict[str, str] = {}
    for name, raw in attributes.items():
        if name in READ_ONLY or name not in ALL_NAMES:
            raise InvalidAttributeName(f"Unknown Attribute {name}.")
        if name in FIFO_ONLY and not fifo:
            raise InvalidAttributeName(f"Unknown Attribute {name}.")
        if name == "FifoQueue" and not creating:
            raise InvalidAttributeName(f"Unknown Attribute {name}.")
        value = raw if isinstance(raw, str) else str(raw)
        out[name] = _value(name, value)
    return out


def check_combination(merged: dict[str, str]) -> None:
    """Constraints between attributes, on the queue's attributes after a change."""
    if (
        merged.get("FifoThroughputLimit") == "perMessageGroupId"
        and merged.get("DeduplicationScope", "queue") != "messageGroup"
    ):
        raise InvalidAttributeValue(
            "Invalid value for the parameter FifoThroughputLimit. Reason: You can specify "
            "perMessageGroupId only when DeduplicationScope is messageGroup."
        )


def _value(name: str, value: str) -> str:
    bad = InvalidAttributeValue(f"Invalid value for the parameter {name}.")
    if name in _RANGES:
        lo, hi = _RANGES[name]
        try:
            n = int(value.strip())
        except ValueError:
            raise bad from None
        if not lo <= n <= hi:
            raise bad
        return str(n)
    if name in _BOOLEANS:
        if value.lower() not in ("true", "false"):
            raise bad
        return value.lower()
    if name in _ENUMS:
        if value not in _ENUMS[name]:
            raise bad
        return value
    if name == "Policy":
        if value and not isinstance(_json(value), dict):
            raise bad
        return value
    if name == "RedrivePolicy":
        return redrive_policy(value) if value else ""
    if name == "RedriveAllowPolicy":
        return redrive_allow_policy(value) if value else ""
    return value  # KmsMasterKeyId


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _compact(doc: dict[str, Any]) -> str:
    return json.dumps(doc, separators=(",", ":"))


def redrive_policy(value: str) -> str:
    doc = _json(value)
    if not isinstance(doc, dict):
        raise InvalidParameterValue(
            f"Value {value} for parameter RedrivePolicy is invalid. Reason: Redrive policy is "
            "not a valid JSON map."
        )
    target = doc.get("deadLetterTargetArn")
    count = doc.get("maxReceiveCount")
    if not isinstance(target, str) or not target or count is None:
        raise InvalidParameterValue(
            f"Value {value} for parameter RedrivePolicy is invalid. Reason: Redrive policy must "
            "contain deadLetterTargetArn and maxReceiveCount."
        )
    try:
        n = int(count)
    except (TypeError, ValueError):
        n = 0
    if isinstance(count, bool) or not 1 <= n <= MAX_RECEIVE_COUNT:
        raise InvalidParameterValue(
            f"Value {value} for parameter RedrivePolicy is invalid. Reason: Invalid value for "
            f"maxReceiveCount: {count}, valid values are from 1 to {MAX_RECEIVE_COUNT} both "
            "inclusive."
        )
    return _compact({"deadLetterTargetArn": target, "maxReceiveCount": n})


def redrive_allow_policy(value: str) -> str:
    doc = _json(value)
    bad = InvalidParameterValue(
        f"Value {value} for parameter RedriveAllowPolicy is invalid. Reason: Amazon SQS can't "
        "create the redrive allow policy, as it's in an unsupported format."
    )
    if not isinstance(doc, dict):
        raise bad
    permission = doc.get("redrivePermission", "allowAll")
    sources = doc.get("sourceQueueArns")
    if permission not in ("allowAll", "denyAll", "byQueue"):
        raise bad
    out: dict[str, Any] = {"redrivePermission": permission}
    if permission == "byQueue":
        if (
            not isinstance(sources, list)
            or not 1 <= len(sources) <= 10
            or not all(isinstance(s, str) for s in sources)
        ):
            raise bad
        out["sourceQueueArns"] = sources
    elif sources is not None:
        raise bad
    return _compact(out)


def allows_source(redrive_allow: str, source_arn: str) -> bool:
    """Whether a queue with this RedriveAllowPolicy accepts ``source_arn`` as a source."""
    if not redrive_allow:
        return True
    doc = json.loads(redrive_allow)
    permission = doc.get("redrivePermission", "allowAll")
    if permission == "denyAll":
        return False
    if permission == "byQueue":
        return source_arn in doc.get("sourceQueueArns", [])
    return True

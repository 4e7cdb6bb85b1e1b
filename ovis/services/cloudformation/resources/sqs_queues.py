"""AWS::SQS::Queue and AWS::SQS::QueuePolicy over the SQS operations.

Queue: every queue attribute is a top-level property (RedrivePolicy and RedriveAllowPolicy as
objects or JSON text). Ref is the queue URL; GetAtt Arn, QueueName, QueueUrl. Create is one
CreateQueue (attributes and tags together), so a failure leaves nothing behind. A named queue
that already exists fails the resource rather than being adopted (CloudFormation's
AlreadyExists). Update sets changed attributes, resets removed ones to the service default
(an empty value) and adds/removes tags. Delete of a queue that is gone succeeds.

QueuePolicy: sets the ``Policy`` attribute of each queue URL in ``Queues``; Ref is a generated
id. Delete clears the policy of queues that still exist.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ovis.errors import ApiError
from ovis.services.calls import ServiceCalls
from ovis.services.cloudformation.resources.base import (
    ResourceFailed,
    ResourceRequest,
    ResourceResult,
)
from ovis.services.cloudformation.resources.coerce import as_bool, as_int, as_str
from ovis.services.cloudformation.resources.service_props import (
    check_properties,
    error_code,
    json_text,
    tag_changes,
    tag_map,
)
from ovis.services.cloudformation.resources.target_policies import PolicyOnTargets

GONE = ("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue")

INT_ATTRIBUTES = (
    "DelaySeconds",
    "KmsDataKeyReusePeriodSeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
)
BOOL_ATTRIBUTES = ("ContentBasedDeduplication", "FifoQueue", "SqsManagedSseEnabled")
STR_ATTRIBUTES = ("DeduplicationScope", "FifoThroughputLimit", "KmsMasterKeyId")
JSON_ATTRIBUTES = ("RedrivePolicy", "RedriveAllowPolicy")
QUEUE_PROPERTIES = (
    *INT_ATTRIBUTES,
    *BOOL_ATTRIBUTES,
    *STR_ATTRIBUTES,
    *JSON_ATTRIBUTES,
    "QueueName",
    "Tags",
)
MAX_NAME = 80
# what a removed property goes back to (AWS's defaults; "" drops a stored document or key)
DEFAULTS = {
    "DelaySeconds": "0",
    "KmsDataKeyReusePeriodSeconds": "300",
    "MaximumMessageSize": "1048576",
    "MessageRetentionPeriod": "345600",
    "ReceiveMessageWaitTimeSeconds": "0",
    "VisibilityTimeout": "30",
    "ContentBasedDeduplication": "false",
    "SqsManagedSseEnabled": "true",
    "DeduplicationScope": "queue",
    "FifoThroughputLimit": "perQueue",
}


def queue_attributes(props: dict[str, Any]) -> dict[str, str]:
    """The SQS attribute map a queue's properties ask for (strings, as the API takes them)."""
    out: dict[str, str] = {}
    for name in INT_ATTRIBUTES:
        if props.get(name) is not None:
            out[name] = str(as_int(props[name], name))
    for name in BOOL_ATTRIBUTES:
        if props.get(name) is not None:
            out[name] = "true" if as_bool(props[name], name) else "false"
    for name in STR_ATTRIBUTES:
        if props.get(name) is not None:
            out[name] = as_str(props[name], name)
    for name in JSON_ATTRIBUTES:
        if props.get(name) is not None:
            out[name] = json_text(props[name], name)
    return out


def queue_name(req: ResourceRequest) -> str:
    fifo = req.properties.get("FifoQueue") is not None and as_bool(
        req.properties["FifoQueue"], "FifoQueue"
    )
    if req.properties.get("QueueName"):
        return as_str(req.properties["QueueName"], "QueueName")
    if fifo:  # generated FIFO names keep the suffix SQS requires
        return req.physical_name(None, MAX_NAME - len(".fifo")) + ".fifo"
    return req.physical_name(None, MAX_NAME)


class QueueProvider:
    type_name: ClassVar[str] = "AWS::SQS::Queue"
    create_only: ClassVar[frozenset[str]] = frozenset({"QueueName", "FifoQueue"})
    attributes: ClassVar[frozenset[str]] = frozenset({"Arn", "QueueName", "QueueUrl"})

    def __init__(self, calls: ServiceCalls) -> None:
        self.calls = calls

    async def _url(self, req: ResourceRequest, name: str) -> str | None:
        try:
            out = await self.calls("sqs", "GetQueueUrl", {"QueueName": name}, req.stack.caller)
        except ApiError as e:
            if error_code(e) in GONE:
                return None
            raise
        return str(out["QueueUrl"])

    async def _result(self, req: ResourceRequest, url: str) -> ResourceResult:
        out = await self.calls(
            "sqs",
            "GetQueueAttributes",
            {"QueueUrl": url, "AttributeNames": ["QueueArn"]},
            req.stack.caller,
        )
        arn = out["Attributes"]["QueueArn"]
        return ResourceResult(
            url, {"Arn": arn, "QueueName": arn.rsplit(":", 1)[-1], "QueueUrl": url}
        )

    async def create(self, req: ResourceRequest) -> ResourceResult:
        check_properties(req.properties, QUEUE_PROPERTIES)
        attrs = queue_attributes(req.properties)
        name = queue_name(req)
        if await self._url(req, name) is not None:
            raise ResourceFailed(f"{name} already exists")
        params: dict[str, Any] = {"QueueName": name}
        if attrs:
            params["Attributes"] = attrs
        if req.properties.get("Tags"):
            params["tags"] = tag_map(req.properties["Tags"])
        out = await self.calls("sqs", "CreateQueue", params, req.stack.caller)
        return await self._result(req, str(out["QueueUrl"]))

    async def update(self, req: ResourceRequest) -> ResourceResult:
        check_properties(req.properties, QUEUE_PROPERTIES)
        url = req.physical_id or queue_name(req)
        before = queue_attributes(req.previous_properties or {})
        after = queue_attributes(req.properties)
        delta = {k: v for k, v in after.items() if before.get(k) != v}
        delta.update({k: DEFAULTS.get(k, "") for k in before if k not in after})
        delta.pop("FifoQueue", None)  # create-only: never set on an existing queue
        caller = req.stack.caller
        if delta:
            await self.calls(
                "sqs", "SetQueueAttributes", {"QueueUrl": url, "Attributes": delta}, caller
            )
        put, remove = tag_changes(
            (req.previous_properties or {}).get("Tags"), req.properties.get("Tags")
        )
        if remove:
            await self.calls("sqs", "UntagQueue", {"QueueUrl": url, "TagKeys": remove}, caller)
        if put:
            await self.calls("sqs", "TagQueue", {"QueueUrl": url, "Tags": put}, caller)
        return await self._result(req, url)

    async def delete(self, req: ResourceRequest) -> None:
        url = req.physical_id or await self._url(req, queue_name(req))
        if url is None:
            return
        try:
            await self.calls("sqs", "DeleteQueue", {"QueueUrl": url}, req.stack.caller)
        except ApiError as e:
            if error_code(e) not in GONE:
                raise


class QueuePolicyProvider(PolicyOnTargets):
    type_name: ClassVar[str] = "AWS::SQS::QueuePolicy"
    targets: ClassVar[str] = "Queues"
    gone: ClassVar[tuple[str, ...]] = GONE

    async def put(self, req: ResourceRequest, target: str, policy: str) -> None:
        params = {"QueueUrl": target, "Attributes": {"Policy": policy}}
        await self.calls("sqs", "SetQueueAttributes", params, req.stack.caller)

"""The SQS operations over ``QueueService``: one handler per operation, ``(ctx, params) ->
output``. Requests arrive parsed by the front door's SQS codec (JSON 1.0 or query), decoded and
type-checked but not validated; the table checks required parameters first (``params``), and
the SQS rules (limits, attribute names, batch ids) are the handlers', with AWS's error codes
and wording. Operations of the model this server lacks answer SQS's UnsupportedOperation."""

from __future__ import annotations

from typing import Any

from ovis.protocols.model import service_model
from ovis.services.context import Handler, RequestContext
from ovis.services.sqs import messages as msgs
from ovis.services.sqs.commands import ReceiveMessage, SendMessage, SendMessageBatch
from ovis.services.sqs.errors import (
    BatchEntryIdsNotDistinct,
    EmptyBatchRequest,
    InvalidBatchEntryId,
    SqsError,
    TooManyEntriesInBatchRequest,
    UnsupportedOperation,
)
from ovis.services.sqs.messaging import Messaging
from ovis.services.sqs.params import checked
from ovis.services.sqs.queues import QueueService, SendRequest


class SqsApi:
    def __init__(self, queues: QueueService) -> None:
        self.queues = queues
        self.messaging = Messaging(queues)
        handlers: dict[str, Handler] = {
            "CreateQueue": self.create_queue,
            "GetQueueUrl": self.get_queue_url,
            "ListQueues": self.list_queues,
            "GetQueueAttributes": self.get_queue_attributes,
            "SetQueueAttributes": self.set_queue_attributes,
            "DeleteQueue": self.delete_queue,
            "PurgeQueue": self.purge_queue,
            "SendMessage": self.send_message,
            "SendMessageBatch": self.send_message_batch,
            "ReceiveMessage": self.receive_message,
            "DeleteMessage": self.delete_message,
            "DeleteMessageBatch": self.delete_message_batch,
            "ChangeMessageVisibility": self.change_message_visibility,
            "ChangeMessageVisibilityBatch": self.change_message_visibility_batch,
            "TagQueue": self.tag_queue,
            "UntagQueue": self.untag_queue,
            "ListQueueTags": self.list_queue_tags,
            "ListDeadLetterSourceQueues": self.list_dead_letter_source_queues,
            "AddPermission": self.add_permission,
            "RemovePermission": self.remove_permission,
        }
        model = service_model("sqs")
        self.handlers: dict[str, Handler] = {
            name: checked(
                model.operation_model(name).input_shape, handlers.get(name) or _unsupported(name)
            )
            for name in model.operation_names
        }

    # --- queues ---

    async def create_queue(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        url = await self.queues.create_queue(p["QueueName"], p.get("Attributes"), p.get("tags"))
        return {"QueueUrl": url}

    async def get_queue_url(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "QueueUrl": await self.queues.get_queue_url(
                p["QueueName"], p.get("QueueOwnerAWSAccountId")
            )
        }

    async def list_queues(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        urls, token = await self.queues.list_queues(
            p.get("QueueNamePrefix"), p.get("MaxResults"), p.get("NextToken")
        )
        out: dict[str, Any] = {}
        if urls:
            out["QueueUrls"] = urls
        if token:
            out["NextToken"] = token
        return out

    async def list_dead_letter_source_queues(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        q = self.queues.queue_by_url(p["QueueUrl"])
        urls, token = await self.queues.dead_letter_sources(
            q, p.get("MaxResults"), p.get("NextToken")
        )
        out: dict[str, Any] = {"queueUrls": urls}
        if token:
            out["NextToken"] = token
        return out

    async def get_queue_attributes(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        q = self.queues.queue_by_url(p["QueueUrl"])
        attrs = await self.queues.get_attributes(q, p.get("AttributeNames"))
        return {"Attributes": attrs} if attrs else {}

    async def set_queue_attributes(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        q = self.queues.queue_by_url(p["QueueUrl"])
        await self.queues.set_attributes(q, p["Attributes"])
        return {}

    async def delete_queue(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.queues.delete_queue(self.queues.queue_by_url(p["QueueUrl"]))
        return {}

    async def purge_queue(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.queues.purge_queue(self.queues.queue_by_url(p["QueueUrl"]))
        return {}

    async def tag_queue(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.queues.tag_queue(self.queues.queue_by_url(p["QueueUrl"]), p["Tags"])
        return {}

    async def untag_queue(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.queues.untag_queue(self.queues.queue_by_url(p["QueueUrl"]), p["TagKeys"])
        return {}

    async def list_queue_tags(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        tags = await self.queues.list_tags(self.queues.queue_by_url(p["QueueUrl"]))
        return {"Tags": tags} if tags else {}

    async def add_permission(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        q = self.queues.queue_by_url(p["QueueUrl"])
        await self.queues.add_permission(q, p["Label"], p["AWSAccountIds"], p["Actions"])
        return {}

    async def remove_permission(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        q = self.queues.queue_by_url(p["QueueUrl"])
        await self.queues.remove_permission(q, p["Label"])
        return {}

    # --- messages ---

    async def send_message(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        result = await self.messaging.send(SendMessage(p["QueueUrl"], _send_request(p)))
        return result.to_api()

    async def send_message_batch(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        self.queues.queue_by_url(p["QueueUrl"])  # a missing queue answers before the entries
        entries = p["Entries"]
        _check_batch(entries, "SendMessageBatchRequestEntry")
        cmd = SendMessageBatch(
            p["QueueUrl"],
            tuple(e["Id"] for e in entries),
            tuple(_send_request(e) for e in entries),
        )
        results = await self.messaging.send_batch(cmd)
        ok: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        for entry_id, r in zip(cmd.entry_ids, results, strict=True):
            if isinstance(r, SqsError):
                failed.append(_failure(entry_id, r))
            else:
                ok.append({"Id": entry_id, **r.to_api()})
        return {"Successful": ok, "Failed": failed}

    async def receive_message(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        cmd = ReceiveMessage(
            p["QueueUrl"],
            p.get("MaxNumberOfMessages"),
            p.get("WaitTimeSeconds"),
            p.get("VisibilityTimeout"),
            (*p.get("AttributeNames", ()), *p.get("MessageSystemAttributeNames", ())),
            tuple(p.get("MessageAttributeNames", ())),
        )
        messages = await self.messaging.receive(cmd)
        return {"Messages": messages} if messages else {}

    async def delete_message(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        q = self.queues.queue_by_url(p["QueueUrl"])
        await self.queues.delete_message(q, p["ReceiptHandle"])
        return {}

    async def delete_message_batch(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        q = self.queues.queue_by_url(p["QueueUrl"])
        entries = p["Entries"]
        _check_batch(entries, "DeleteMessageBatchRequestEntry")
        errors = await self.queues.delete_batch(q, [e["ReceiptHandle"] for e in entries])
        return _batch_result(entries, errors)

    async def change_message_visibility(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        q = self.queues.queue_by_url(p["QueueUrl"])
        await self.queues.change_visibility(q, p["ReceiptHandle"], p["VisibilityTimeout"])
        return {}

    async def change_message_visibility_batch(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        q = self.queues.queue_by_url(p["QueueUrl"])
        entries = p["Entries"]
        _check_batch(entries, "ChangeMessageVisibilityBatchRequestEntry")
        errors = await self.queues.change_visibility_batch(
            q, [(e["ReceiptHandle"], e.get("VisibilityTimeout", 0)) for e in entries]
        )
        return _batch_result(entries, errors)


def _unsupported(operation: str) -> Handler:
    async def unsupported(ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        raise UnsupportedOperation(f"The operation {operation} is not supported by this server.")

    return unsupported


def _send_request(p: dict[str, Any]) -> SendRequest:
    return SendRequest(
        p.get("MessageBody"),
        p.get("MessageAttributes"),
        p.get("MessageSystemAttributes"),
        p.get("DelaySeconds"),
        p.get("MessageGroupId"),
        p.get("MessageDeduplicationId"),
    )


def _check_batch(entries: list[dict[str, Any]], entry_name: str) -> None:
    if not entries:
        raise EmptyBatchRequest(f"There should be at least one {entry_name} in the request.")
    if len(entries) > msgs.MAX_BATCH:
        raise TooManyEntriesInBatchRequest(
            f"Maximum number of entries per request are {msgs.MAX_BATCH}. You have sent "
            f"{len(entries)}."
        )
    seen: set[str] = set()
    for e in entries:
        if e["Id"] in seen:
            raise BatchEntryIdsNotDistinct(f"Id {e['Id']} repeated.")
        seen.add(e["Id"])
    for e in entries:
        if not msgs.valid_batch_id(e["Id"]):
            raise InvalidBatchEntryId(
                "A batch entry id can only contain alphanumeric characters, hyphens and "
                "underscores. It can be at most 80 letters long."
            )


def _failure(entry_id: str, e: SqsError) -> dict[str, Any]:
    return {
        "Id": entry_id,
        "SenderFault": e.fault == "Sender",
        "Code": e.query_code,
        "Message": e.message,
    }


def _batch_result(entries: list[dict[str, Any]], errors: list[SqsError | None]) -> dict[str, Any]:
    ok = [{"Id": e["Id"]} for e, err in zip(entries, errors, strict=True) if err is None]
    failed = [
        _failure(e["Id"], err) for e, err in zip(entries, errors, strict=True) if err is not None
    ]
    return {"Successful": ok, "Failed": failed}

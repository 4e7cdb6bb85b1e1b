"""The SNS operations over ``TopicService``: one handler per operation, ``(ctx, params) ->
output``. Requests arrive parsed and validated by the query codec (ovis/protocols/query.py,
the botocore model's shapes); SNS's own rules (names, attributes, filter policies, limits) are
the use cases', with AWS's codes and wording. Operations of the model this server lacks
(platform applications, SMS, data protection) answer InvalidAction."""

from __future__ import annotations

from typing import Any

from ovis.errors import OperationNotSupported
from ovis.protocols.model import service_model
from ovis.services.context import Handler, RequestContext
from ovis.services.sns.commands import CreateTopic, PublishMessage, Subscribe
from ovis.services.sns.errors import (
    BatchEntryIdsNotDistinct,
    BatchRequestTooLong,
    EmptyBatchRequest,
    InvalidBatchEntryId,
    InvalidParameter,
    SnsError,
    TooManyEntriesInBatchRequest,
)
from ovis.services.sns.publish import MAX_MESSAGE_BYTES, attributes_size
from ovis.services.sns.topics import TopicService

MAX_BATCH = 10


class SnsApi:
    def __init__(self, topics: TopicService) -> None:
        self.topics = topics
        self.subs = topics.subscriptions
        handlers: dict[str, Handler] = {
            "CreateTopic": self.create_topic,
            "DeleteTopic": self.delete_topic,
            "ListTopics": self.list_topics,
            "GetTopicAttributes": self.get_topic_attributes,
            "SetTopicAttributes": self.set_topic_attributes,
            "Subscribe": self.subscribe,
            "ConfirmSubscription": self.confirm_subscription,
            "Unsubscribe": self.unsubscribe,
            "ListSubscriptions": self.list_subscriptions,
            "ListSubscriptionsByTopic": self.list_subscriptions_by_topic,
            "GetSubscriptionAttributes": self.get_subscription_attributes,
            "SetSubscriptionAttributes": self.set_subscription_attributes,
            "Publish": self.publish,
            "PublishBatch": self.publish_batch,
            "AddPermission": self.add_permission,
            "RemovePermission": self.remove_permission,
            "TagResource": self.tag_resource,
            "UntagResource": self.untag_resource,
            "ListTagsForResource": self.list_tags_for_resource,
        }
        model = service_model("sns")
        self.handlers: dict[str, Handler] = {
            name: handlers.get(name) or _unsupported(name) for name in model.operation_names
        }

    # --- topics

    async def create_topic(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        tags = {t["Key"]: t.get("Value", "") for t in p.get("Tags", [])}
        cmd = CreateTopic(p["Name"], dict(p.get("Attributes") or {}), tags)
        return {"TopicArn": await self.topics.create_topic(cmd)}

    async def delete_topic(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.topics.delete_topic(p["TopicArn"])
        return {}

    async def list_topics(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        arns, token = self.topics.list_topics(p.get("NextToken"))
        out: dict[str, Any] = {"Topics": [{"TopicArn": a} for a in arns]}
        if token:
            out["NextToken"] = token
        return out

    async def get_topic_attributes(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return {"Attributes": self.topics.get_topic_attributes(p["TopicArn"])}

    async def set_topic_attributes(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.topics.set_topic_attribute(
            p["TopicArn"], p["AttributeName"], p.get("AttributeValue")
        )
        return {}

    # --- subscriptions

    async def subscribe(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        cmd = Subscribe(
            p["TopicArn"],
            p["Protocol"],
            p.get("Endpoint"),
            dict(p.get("Attributes") or {}),
            bool(p.get("ReturnSubscriptionArn", False)),
        )
        return {"SubscriptionArn": await self.subs.subscribe(cmd)}

    async def confirm_subscription(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return {"SubscriptionArn": await self.subs.confirm(p["TopicArn"], p["Token"])}

    async def unsubscribe(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.subs.unsubscribe(p["SubscriptionArn"])
        return {}

    async def list_subscriptions(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        subs, token = self.subs.list(p.get("NextToken"))
        return _listing(subs, token)

    async def list_subscriptions_by_topic(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        subs, token = self.subs.list(p.get("NextToken"), p["TopicArn"])
        return _listing(subs, token)

    async def get_subscription_attributes(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        return {"Attributes": self.subs.get_attributes(p["SubscriptionArn"])}

    async def set_subscription_attributes(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        await self.subs.set_attribute(
            p["SubscriptionArn"], p["AttributeName"], p.get("AttributeValue")
        )
        return {}

    # --- publishing

    async def publish(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        result = await self.topics.publisher.publish(_message(_target(p), p))
        out: dict[str, Any] = {"MessageId": result.message_id}
        if result.sequence_number:
            out["SequenceNumber"] = result.sequence_number
        return out

    async def publish_batch(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        topic = self.topics.catalog.topic(p["TopicArn"])
        entries = p["PublishBatchRequestEntries"]
        if not entries:
            raise EmptyBatchRequest("The batch request doesn't contain any entries.")
        if len(entries) > MAX_BATCH:
            raise TooManyEntriesInBatchRequest(
                f"The batch request contains more entries than permissible (more than {MAX_BATCH})."
            )
        seen: set[str] = set()
        for e in entries:
            entry_id = e["Id"]
            if entry_id in seen:
                raise BatchEntryIdsNotDistinct(
                    "Two or more batch entries in the request have the same Id."
                )
            seen.add(entry_id)
            if not _valid_batch_id(entry_id):
                raise InvalidBatchEntryId(
                    "A batch entry id can only contain alphanumeric characters, hyphens and "
                    "underscores. It can be at most 80 letters long."
                )
        total = sum(
            len(str(e.get("Message", "")).encode()) + attributes_size(_sized(e)) for e in entries
        )
        if total > MAX_MESSAGE_BYTES:
            raise BatchRequestTooLong(
                "The length of all the messages put together is more than the limit."
            )
        cmds = [_message(topic.arn, e) for e in entries]
        results = await self.topics.publisher.publish_batch(topic, cmds)
        ok: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        for e, r in zip(entries, results, strict=True):
            if isinstance(r, SnsError):
                failed.append(
                    {"Id": e["Id"], "Code": r.code, "Message": r.message, "SenderFault": True}
                )
            else:
                item: dict[str, Any] = {"Id": e["Id"], "MessageId": r.message_id}
                if r.sequence_number:
                    item["SequenceNumber"] = r.sequence_number
                ok.append(item)
        return {"Successful": ok, "Failed": failed}

    # --- permissions

    async def add_permission(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.topics.add_permission(
            p["TopicArn"], p["Label"], list(p["AWSAccountId"]), list(p["ActionName"])
        )
        return {}

    async def remove_permission(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.topics.remove_permission(p["TopicArn"], p["Label"])
        return {}

    # --- tags

    async def tag_resource(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        tags = {t["Key"]: t.get("Value", "") for t in p["Tags"]}
        self.topics.tag_resource(p["ResourceArn"], tags)
        return {}

    async def untag_resource(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        self.topics.untag_resource(p["ResourceArn"], p["TagKeys"])
        return {}

    async def list_tags_for_resource(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        tags = self.topics.list_tags(p["ResourceArn"])
        return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}


def _unsupported(operation: str) -> Handler:
    async def unsupported(ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        raise OperationNotSupported("sns", operation, "query")

    return unsupported


def _target(p: dict[str, Any]) -> str:
    if p.get("PhoneNumber") is not None:
        raise InvalidParameter("PhoneNumber Reason: SMS is not supported by this server")
    topic, target = p.get("TopicArn"), p.get("TargetArn")
    if topic is not None and target is not None and topic != target:
        raise InvalidParameter("TopicArn or TargetArn Reason: Only one of them may be given")
    arn = topic if topic is not None else target
    if arn is None:
        raise InvalidParameter("TopicArn or TargetArn Reason: no value for required parameter")
    return str(arn)


def _message(topic_arn: str, p: dict[str, Any]) -> PublishMessage:
    return PublishMessage(
        topic_arn,
        p["Message"],
        p.get("Subject"),
        p.get("MessageStructure"),
        p.get("MessageAttributes"),
        p.get("MessageGroupId"),
        p.get("MessageDeduplicationId"),
    )


def _sized(entry: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, a in (entry.get("MessageAttributes") or {}).items():
        value = a.get("BinaryValue")
        out[name] = {
            "DataType": str(a.get("DataType", "")),
            "StringValue": str(a.get("StringValue") or ""),
            **({"BinaryValue": bytes(value)} if value is not None else {}),
        }
    return out


def _valid_batch_id(entry_id: str) -> bool:
    return 0 < len(entry_id) <= 80 and all(c.isalnum() or c in "-_" for c in entry_id)


def _listing(subs: list[dict[str, str]], token: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"Subscriptions": subs}
    if token:
        out["NextToken"] = token
    return out

"""TopicService: SNS-compatible topics, usable in-process and by the SNS API.

State: topics and subscriptions live in memory (the catalog), written through to the store.
Publishing (publish.py) writes each message's deliveries to a durable outbox, one row per
matching subscription, before it is acknowledged; the delivery loop (delivery.py) drains the
outbox at least once, across crashes, with AWS's retries and dead-letter queues.

In-process entry point (EventBridge and Scheduler targets)::

    message_id = await topics.publish_message(topic_arn, message, subject=..., attributes=...,
                                              group_id=..., dedup_id=...)

durable on return; raises ``DeliveryError`` (ovis.invoke.destinations) for a missing topic or a
message SNS would refuse.

Topics: CreateTopic is idempotent (same name, same attributes and tags: the same ARN; other
attributes: InvalidParameter as AWS words it). DeleteTopic deletes its subscriptions and
their pending deliveries; deleting a missing topic succeeds, as on AWS.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

from ovis.invoke.destinations import DeliveryError, FunctionTriggers, QueueSender
from ovis.models.topic import TopicRecord
from ovis.services.sns import paging
from ovis.services.sns import policy as delivery_policy
from ovis.services.sns.catalog import Catalog
from ovis.services.sns.commands import CreateTopic, PublishMessage
from ovis.services.sns.delivery import Deliverer, HttpPoster
from ovis.services.sns.envelope import Signer
from ovis.services.sns.errors import (
    InvalidParameter,
    ResourceNotFound,
    SnsError,
    TagLimitExceeded,
)
from ovis.services.sns.publish import Publisher
from ovis.services.sns.repository import TopicRepository, TopicTagRepository
from ovis.services.sns.subscriptions import Subscriptions
from ovis.supervisor import Supervisor

MAX_TAGS = 50
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_FIFO_NAME = re.compile(r"^[A-Za-z0-9_-]{1,251}\.fifo$")
_FEEDBACK = tuple(
    f"{p}{kind}"
    for p in ("HTTP", "Lambda", "SQS", "Application", "Firehose")
    for kind in ("SuccessFeedbackRoleArn", "SuccessFeedbackSampleRate", "FailureFeedbackRoleArn")
)
SETTABLE = frozenset(
    {
        "DeliveryPolicy",
        "DisplayName",
        "Policy",
        "TracingConfig",
        "KmsMasterKeyId",
        "SignatureVersion",
        "ContentBasedDeduplication",
        "ArchivePolicy",
        "FifoThroughputScope",
        "DataProtectionPolicy",
        *_FEEDBACK,
    }
)
CREATE_ONLY = frozenset({"FifoTopic"})


def _now_ms() -> int:
    return int(time.time() * 1000)


def default_policy(arn: str, account: str) -> str:
    return json.dumps(
        {
            "Version": "2008-10-17",
            "Id": "__default_policy_ID",
            "Statement": [
                {
                    "Sid": "__default_statement_ID",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": [
                        "SNS:GetTopicAttributes",
                        "SNS:SetTopicAttributes",
                        "SNS:AddPermission",
                        "SNS:RemovePermission",
                        "SNS:DeleteTopic",
                        "SNS:Subscribe",
                        "SNS:ListSubscriptionsByTopic",
                        "SNS:Publish",
                    ],
                    "Resource": arn,
                    "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
                }
            ],
        },
        separators=(",", ":"),
    )


class TopicService:
    name = "sns"

    def __init__(
        self,
        store: TopicRepository,
        tags: TopicTagRepository,
        *,
        region: str,
        account: str,
        base_url: str,
        signer: Signer,
        triggers: FunctionTriggers | None = None,
        queues: QueueSender | None = None,
        http: HttpPoster | None = None,
        retry_scale: float = 1.0,
        supervisor: Supervisor | None = None,
    ) -> None:
        self.store = store
        self.tags = tags
        self.account = account
        self.signer = signer
        self.catalog = Catalog(store, region, account)
        self.supervisor = supervisor or Supervisor()
        self.deliverer = Deliverer(
            store,
            self.catalog,
            base_url=base_url,
            signer=signer,
            triggers=triggers,
            queues=queues,
            http=http,
            retry_scale=retry_scale,
            account=account,
        )
        self.subscriptions = Subscriptions(self.catalog, self.deliverer, account)
        self.publisher = Publisher(store, self.catalog, self.deliverer)

    # ---- the public URLs (endpoint.py)

    @property
    def cert_path(self) -> str:
        return "/" + self.signer.cert_url.rsplit("/", 1)[-1]

    def certificate_pem(self) -> bytes | None:
        pem = getattr(self.signer, "certificate_pem", None)
        out = pem() if callable(pem) else None
        return out if isinstance(out, bytes) else None

    async def confirm(self, topic_arn: object, token: object) -> str:
        return await self.subscriptions.confirm(topic_arn, token)

    async def unsubscribe(self, subscription_arn: object) -> None:
        await self.subscriptions.unsubscribe(subscription_arn)

    # ---- lifecycle (a component: the delivery loop runs under the supervisor)

    async def start(self) -> None:
        self.catalog.load()
        self.supervisor.loop(DELIVERY_LOOP, self.deliverer.step)

    async def close(self) -> None:
        await self.supervisor.stop(DELIVERY_LOOP)
        await self.deliverer.close()

    # ---- in-process publishing (EventBridge, Scheduler)

    async def publish_message(
        self,
        topic_arn: str,
        message: str,
        *,
        subject: str | None = None,
        attributes: dict[str, Any] | None = None,
        group_id: str | None = None,
        dedup_id: str | None = None,
    ) -> str:
        """Publish as the Publish API does; the message id once the message is durable.
        Raises DeliveryError (with SNS's reason) for a missing topic or a refused message."""
        try:
            result = await self.publisher.publish(
                PublishMessage(topic_arn, message, subject, None, attributes, group_id, dedup_id)
            )
        except SnsError as e:
            raise DeliveryError(f"{e.code}: {e.message}") from e
        return result.message_id

    # ---- topics

    async def create_topic(self, cmd: CreateTopic) -> str:
        attrs = {k: str(v) for k, v in cmd.attributes.items()}
        fifo = attrs.get("FifoTopic", "false").lower() == "true"
        if fifo:
            if not _FIFO_NAME.match(cmd.name):
                raise InvalidParameter(
                    "Fifo Topic names must end with .fifo and must be made up of only "
                    "uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, "
                    "and must be between 1 and 256 characters long."
                )
        elif not _NAME.match(cmd.name):
            raise InvalidParameter("Topic Name")
        for k in attrs:
            if k not in SETTABLE and k not in CREATE_ONLY:
                raise InvalidParameter("AttributeName")
        if "FifoTopic" in attrs:
            attrs["FifoTopic"] = "true" if fifo else "false"
            if not fifo:
                del attrs["FifoTopic"]
        for k, v in attrs.items():
            _check_attribute(k, v, fifo)
        tags = _check_tags(cmd.tags)
        async with self.catalog.lock:
            return await self._create(cmd.name, attrs, tags)

    async def _create(self, name: str, attrs: dict[str, str], tags: dict[str, str]) -> str:
        arn = self.catalog.topic_arn(name)
        existing = self.catalog.topics.get(arn)
        if existing is not None:
            if any(existing.attributes.get(k, _default(k)) != v for k, v in attrs.items()):
                raise InvalidParameter(
                    "Attributes Reason: Topic already exists with different attributes"
                )
            if tags:
                current = self.tags.get_tags(arn)
                if any(current.get(k) != v for k, v in tags.items()):
                    raise InvalidParameter("Tags Reason: Topic already exists with different tags")
            return arn
        if len(tags) > MAX_TAGS:
            raise _tag_limit()
        if tags:
            self.tags.put_tags(arn, tags)
        await self.catalog.put_topic(TopicRecord(arn, name, attrs, _now_ms()))
        return arn

    async def delete_topic(self, arn: object) -> None:
        try:
            topic = self.catalog.topic(arn)
        except SnsError as e:
            if e.code == "NotFound":
                return  # deleting a missing topic succeeds on AWS
            raise
        async with self.catalog.lock:
            await self.catalog.delete_topic(topic.arn)
            self.tags.delete_tags(topic.arn)

    def exists(self, topic_arn: str) -> bool:
        """Whether a topic has this ARN (no I/O): what other services check before they
        accept a topic as a destination."""
        return topic_arn in self.catalog.topics

    def list_topics(self, token: str | None) -> tuple[list[str], str | None]:
        return paging.page(sorted(self.catalog.topics), str, token)

    def get_topic_attributes(self, arn: object) -> dict[str, str]:
        t = self.catalog.topic(arn)
        subs = self.catalog.subscriptions_of(t.arn)
        confirmed = sum(1 for s in subs if s.confirmed)
        out = {
            "Policy": default_policy(t.arn, self.account),
            "Owner": self.account,
            "TopicArn": t.arn,
            "DisplayName": "",
            "SubscriptionsConfirmed": str(confirmed),
            "SubscriptionsPending": str(len(subs) - confirmed),
            "SubscriptionsDeleted": str(self.catalog.deleted.get(t.arn, 0)),
            "EffectiveDeliveryPolicy": json.dumps(
                delivery_policy.default_http_delivery_policy(), separators=(",", ":")
            ),
        }
        if t.fifo:
            out["FifoTopic"] = "true"
            out["ContentBasedDeduplication"] = "false"
        out.update(t.attributes)
        if t.attributes.get("DeliveryPolicy"):
            out["EffectiveDeliveryPolicy"] = t.attributes["DeliveryPolicy"]
        return out

    async def set_topic_attribute(self, arn: object, name: str, value: str | None) -> None:
        async with self.catalog.lock:
            t = self.catalog.topic(arn)
            if name not in SETTABLE:
                raise InvalidParameter("AttributeName")
            value = "" if value is None else str(value)
            _check_attribute(name, value, t.fifo)
            attrs = dict(t.attributes)
            if value == "" and name in (
                "DeliveryPolicy",
                "Policy",
                "KmsMasterKeyId",
                "DisplayName",
            ):
                attrs.pop(name, None)
            else:
                attrs[name] = value
            await self.catalog.put_topic(TopicRecord(t.arn, t.name, attrs, t.created_ms))

    # ---- permissions (statements of the topic's Policy; Ovis has no IAM to enforce them)

    async def add_permission(
        self, arn: object, label: str, accounts: list[str], actions: list[str]
    ) -> None:
        async with self.catalog.lock:
            t = self.catalog.topic(arn)
            policy = json.loads(t.attributes.get("Policy") or default_policy(t.arn, self.account))
            statements = policy.setdefault("Statement", [])
            if any(st.get("Sid") == label for st in statements):
                raise InvalidParameter("Statement already exists")
            if not accounts or not actions:
                raise InvalidParameter("AWSAccountId and ActionName must not be empty")
            statements.append(
                {
                    "Sid": label,
                    "Effect": "Allow",
                    "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in accounts]},
                    "Action": [f"SNS:{a}" for a in actions],
                    "Resource": t.arn,
                }
            )
            await self._put_policy(t, policy)

    async def remove_permission(self, arn: object, label: str) -> None:
        async with self.catalog.lock:
            t = self.catalog.topic(arn)
            policy = json.loads(t.attributes.get("Policy") or default_policy(t.arn, self.account))
            kept = [st for st in policy.get("Statement", []) if st.get("Sid") != label]
            if len(kept) != len(policy.get("Statement", [])):
                policy["Statement"] = kept
                await self._put_policy(t, policy)

    async def _put_policy(self, t: TopicRecord, policy: dict[str, Any]) -> None:
        attrs = {**t.attributes, "Policy": json.dumps(policy, separators=(",", ":"))}
        await self.catalog.put_topic(TopicRecord(t.arn, t.name, attrs, t.created_ms))

    # ---- tags

    def _tagged(self, arn: object) -> str:
        if not isinstance(arn, str) or arn not in self.catalog.topics:
            raise ResourceNotFound("Resource does not exist")
        return arn

    def tag_resource(self, arn: object, tags: Mapping[str, str]) -> None:
        topic = self._tagged(arn)
        tags = _check_tags(tags)
        if len(self.tags.get_tags(topic).keys() | tags.keys()) > MAX_TAGS:
            raise _tag_limit()
        self.tags.put_tags(topic, tags)

    def untag_resource(self, arn: object, keys: Iterable[str]) -> None:
        self.tags.delete_tags(self._tagged(arn), list(keys))

    def list_tags(self, arn: object) -> dict[str, str]:
        return self.tags.get_tags(self._tagged(arn))


DELIVERY_LOOP = "sns-delivery"


def _default(name: str) -> str:
    return {"FifoTopic": "false", "ContentBasedDeduplication": "false"}.get(name, "")


def _tag_limit() -> TagLimitExceeded:
    return TagLimitExceeded("Could not complete request: tag quota of per resource exceeded")


def _check_tags(tags: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in tags.items():
        if not isinstance(k, str) or not 1 <= len(k) <= 128:
            raise InvalidParameter("Tags Reason: Tag keys must be between 1 and 128 characters")
        value = "" if v is None else str(v)
        if len(value) > 256:
            raise InvalidParameter("Tags Reason: Tag values may be at most 256 characters")
        out[k] = value
    return out


def _check_attribute(name: str, value: str, fifo: bool) -> None:
    if name == "ContentBasedDeduplication":
        if value not in ("true", "false"):
            raise InvalidParameter("Attributes Reason: ContentBasedDeduplication must be a boolean")
        if not fifo:
            raise InvalidParameter(
                "Attributes Reason: Content based deduplication can only be set for FIFO topics"
            )
    elif name == "FifoThroughputScope":
        if not fifo:
            raise InvalidParameter(
                "Attributes Reason: FifoThroughputScope can only be set for FIFO topics"
            )
        if value not in ("Topic", "MessageGroup"):
            raise InvalidParameter("Attributes Reason: FifoThroughputScope: Invalid value")
    elif name == "SignatureVersion":
        if value not in ("1", "2"):
            raise InvalidParameter("Attributes Reason: SignatureVersion must be 1 or 2")
    elif name == "TracingConfig":
        if value not in ("PassThrough", "Active"):
            raise InvalidParameter("Attributes Reason: TracingConfig must be PassThrough or Active")
    elif name == "DisplayName":
        if len(value) > 100:
            raise InvalidParameter("DisplayName")
    elif name in ("Policy", "DataProtectionPolicy", "ArchivePolicy") and value:
        try:
            doc = json.loads(value)
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            raise InvalidParameter(f"{name}: failed to parse JSON") from None
    elif name == "DeliveryPolicy":
        delivery_policy.check_topic_delivery_policy(value)

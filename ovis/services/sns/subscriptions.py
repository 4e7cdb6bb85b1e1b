"""Subscriptions: Subscribe, ConfirmSubscription, Unsubscribe, listing and attributes.

Protocols served: ``lambda`` (a function ARN), ``sqs`` (a queue ARN) — confirmed at once, as on
AWS for same-account endpoints — and ``http`` / ``https`` (a URL): those stay
PendingConfirmation, and get a SubscriptionConfirmation POST (through the durable outbox) with
a Token and SubscribeURL, until ConfirmSubscription with that token (or a GET of the
SubscribeURL). Other AWS protocols (email, sms, application, firehose) answer InvalidParameter.

Subscribe is idempotent: the same topic, protocol and endpoint answer the existing
subscription's ARN (InvalidParameter if the request's attributes differ from its). Attribute
values are checked as SNS checks them (filter policies compile, RedrivePolicy names an SQS
queue of the topic's type, RawMessageDelivery not for lambda) before anything is written.
"""

from __future__ import annotations

import json
import re
import secrets
import time
import uuid
from collections.abc import Mapping
from typing import Any

from ovis.models.topic import Delivery, SubscriptionRecord, TopicRecord
from ovis.services.sns import paging
from ovis.services.sns import policy as delivery_policy
from ovis.services.sns.catalog import Catalog
from ovis.services.sns.commands import Subscribe
from ovis.services.sns.delivery import Deliverer
from ovis.services.sns.envelope import iso
from ovis.services.sns.errors import InvalidParameter, topic_not_found
from ovis.services.sns.filter_policy import compile_filter_policy

PENDING = "PendingConfirmation"
LAMBDA_ARN = re.compile(
    r"^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:[a-zA-Z0-9_-]+(:[a-zA-Z0-9$_-]+)?$"
)
SQS_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$")
SERVED = ("lambda", "sqs", "http", "https")
NOT_SERVED = ("email", "email-json", "sms", "application", "firehose")
SETTABLE = frozenset(
    {
        "DeliveryPolicy",
        "FilterPolicy",
        "FilterPolicyScope",
        "RawMessageDelivery",
        "RedrivePolicy",
        "SubscriptionRoleArn",
        "ReplayPolicy",
    }
)


def _now_ms() -> int:
    return int(time.time() * 1000)


class Subscriptions:
    def __init__(self, catalog: Catalog, deliverer: Deliverer, account: str) -> None:
        self.catalog = catalog
        self.deliverer = deliverer
        self.account = account

    async def subscribe(self, cmd: Subscribe) -> str:
        topic = self.catalog.topic(cmd.topic_arn)
        protocol = cmd.protocol.lower()
        if protocol in NOT_SERVED:
            raise InvalidParameter(
                f"Protocol Reason: the {protocol} protocol is not supported by this server"
            )
        if protocol not in SERVED:
            raise InvalidParameter(
                f"Amazon SNS does not support this protocol string: {cmd.protocol}"
            )
        endpoint = _check_endpoint(topic, protocol, cmd.endpoint)
        attrs = {k: str(v) for k, v in cmd.attributes.items()}
        for k in attrs:
            if k not in SETTABLE:
                raise InvalidParameter("Attributes Reason: Unknown attribute " + k)
        attrs = _checked_attributes(topic, protocol, {}, attrs)
        async with self.catalog.lock:
            topic = self.catalog.topic(cmd.topic_arn)  # not deleted meanwhile
            for s in self.catalog.subscriptions_of(topic.arn):
                if s.protocol == protocol and s.endpoint == endpoint:
                    if any(s.attributes.get(k, _default(k)) != v for k, v in attrs.items()):
                        raise InvalidParameter(
                            "Attributes Reason: Subscription already exists with different "
                            "attributes"
                        )
                    return s.arn if (s.confirmed or cmd.return_arn) else "pending confirmation"
            arn = f"{topic.arn}:{uuid.uuid4()}"
            now = _now_ms()
            http = protocol in ("http", "https")
            token = secrets.token_hex(64) if http else ""
            sub = SubscriptionRecord(
                arn, topic.arn, protocol, endpoint, self.account, attrs, not http, token, now
            )
            confirmation = None
            if http:
                payload = {
                    "MessageId": str(uuid.uuid4()),
                    "TopicArn": topic.arn,
                    "Token": token,
                    "Timestamp": iso(now),
                }
                confirmation = Delivery(
                    arn, topic.arn, "SubscriptionConfirmation", json.dumps(payload), now
                )
            await self.catalog.put_subscription(sub, confirmation)
            if confirmation is not None:
                self.deliverer.wake()
                return arn if cmd.return_arn else "pending confirmation"
            return arn

    async def confirm(self, topic_arn: object, token: object) -> str:
        topic = self.catalog.topic(topic_arn)
        if not isinstance(token, str) or not token:
            raise InvalidParameter("Token")
        async with self.catalog.lock:
            for s in self.catalog.subscriptions_of(topic.arn):
                if s.token and secrets.compare_digest(s.token, token):
                    if not s.confirmed:
                        await self.catalog.put_subscription(
                            SubscriptionRecord(
                                s.arn,
                                s.topic_arn,
                                s.protocol,
                                s.endpoint,
                                s.owner,
                                s.attributes,
                                True,
                                s.token,
                                s.created_ms,
                            )
                        )
                    return s.arn
        raise InvalidParameter("Invalid token")

    async def unsubscribe(self, arn: object) -> None:
        if arn == PENDING or arn == "pending confirmation":
            raise InvalidParameter("SubscriptionArn")
        async with self.catalog.lock:
            sub = self.catalog.subscription(arn)
            await self.catalog.delete_subscription(sub)

    def list(
        self, token: str | None, topic_arn: object = None
    ) -> tuple[list[dict[str, str]], str | None]:
        if topic_arn is not None:
            subs = self.catalog.subscriptions_of(self.catalog.topic(topic_arn).arn)
        else:
            subs = list(self.catalog.subs.values())
        subs.sort(key=lambda s: s.arn)
        page, nxt = paging.page(subs, lambda s: s.arn, token)
        return [
            {
                "SubscriptionArn": s.arn if s.confirmed else PENDING,
                "Owner": s.owner,
                "Protocol": s.protocol,
                "Endpoint": s.endpoint,
                "TopicArn": s.topic_arn,
            }
            for s in page
        ], nxt

    def get_attributes(self, arn: object) -> dict[str, str]:
        s = self.catalog.subscription(arn)
        out = {
            "SubscriptionArn": s.arn,
            "TopicArn": s.topic_arn,
            "Owner": s.owner,
            "Protocol": s.protocol,
            "Endpoint": s.endpoint,
            "ConfirmationWasAuthenticated": "true" if s.confirmed else "false",
            "PendingConfirmation": "false" if s.confirmed else "true",
            "RawMessageDelivery": "false",
            "SubscriptionPrincipal": f"arn:aws:iam::{self.account}:root",
        }
        out.update(s.attributes)
        if "FilterPolicy" in s.attributes and "FilterPolicyScope" not in s.attributes:
            out["FilterPolicyScope"] = "MessageAttributes"
        if s.protocol in ("http", "https"):
            topic = self.catalog.topics.get(s.topic_arn)
            retry = delivery_policy.http_policy(
                topic.attributes.get("DeliveryPolicy", "") if topic else "",
                s.attributes.get("DeliveryPolicy", ""),
            )
            out["EffectiveDeliveryPolicy"] = json.dumps(
                {"healthyRetryPolicy": retry.to_json()}, separators=(",", ":")
            )
        return out

    async def set_attribute(self, arn: object, name: str, value: str | None) -> None:
        async with self.catalog.lock:
            s = self.catalog.subscription(arn)
            if name not in SETTABLE:
                raise InvalidParameter("AttributeName")
            topic = self.catalog.topics.get(s.topic_arn)
            if topic is None:
                raise topic_not_found()
            attrs = _checked_attributes(
                topic, s.protocol, s.attributes, {name: "" if value is None else str(value)}
            )
            await self.catalog.put_subscription(
                SubscriptionRecord(
                    s.arn,
                    s.topic_arn,
                    s.protocol,
                    s.endpoint,
                    s.owner,
                    attrs,
                    s.confirmed,
                    s.token,
                    s.created_ms,
                )
            )


def _default(name: str) -> str:
    return {"RawMessageDelivery": "false", "FilterPolicyScope": "MessageAttributes"}.get(name, "")


def _check_endpoint(topic: TopicRecord, protocol: str, endpoint: str | None) -> str:
    if not endpoint:
        raise InvalidParameter("Endpoint")
    if protocol == "lambda":
        if not LAMBDA_ARN.match(endpoint):
            raise InvalidParameter("Lambda endpoint ARN")
        if topic.fifo:
            raise InvalidParameter(
                "Invalid protocol type: lambda. FIFO topics deliver only to SQS queues"
            )
    elif protocol == "sqs":
        if not SQS_ARN.match(endpoint):
            raise InvalidParameter("SQS endpoint ARN")
        if endpoint.endswith(".fifo") and not topic.fifo:
            raise InvalidParameter(
                "Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics"
            )
    else:
        if not endpoint.lower().startswith(f"{protocol}://") or len(endpoint) <= len(protocol) + 3:
            raise InvalidParameter("Endpoint")
        if topic.fifo:
            raise InvalidParameter(
                f"Invalid protocol type: {protocol}. FIFO topics deliver only to SQS queues"
            )
    return endpoint


def _checked_attributes(
    topic: TopicRecord, protocol: str, current: Mapping[str, str], changes: Mapping[str, str]
) -> dict[str, str]:
    """``current`` with ``changes`` applied, every value checked; "" removes a policy."""
    attrs = dict(current)
    for name, value in changes.items():
        if name == "RawMessageDelivery":
            v = value.lower()
            if v not in ("true", "false"):
                raise InvalidParameter("Attributes Reason: RawMessageDelivery: Invalid value")
            if protocol == "lambda" and v == "true":
                raise InvalidParameter(
                    "Attributes Reason: Delivery protocol [lambda] does not support raw message "
                    "delivery."
                )
            attrs[name] = v
        elif name == "FilterPolicyScope":
            if value not in ("MessageAttributes", "MessageBody"):
                raise InvalidParameter(
                    f"Attributes Reason: FilterPolicyScope: Invalid value [{value}]. Please use "
                    "either MessageBody or MessageAttributes"
                )
            attrs[name] = value
        elif name == "RedrivePolicy":
            if value:
                _check_redrive(topic, value)
                attrs[name] = value
            else:
                attrs.pop(name, None)
        elif name == "DeliveryPolicy":
            if value:
                delivery_policy.check_subscription_delivery_policy(value)
                attrs[name] = value
            else:
                attrs.pop(name, None)
        elif name == "FilterPolicy":
            if value:
                attrs[name] = value
            else:
                attrs.pop(name, None)
        else:
            attrs[name] = value
    if attrs.get("FilterPolicy"):
        compile_filter_policy(
            attrs["FilterPolicy"], attrs.get("FilterPolicyScope", "MessageAttributes")
        )
    return attrs


def _check_redrive(topic: TopicRecord, text: str) -> None:
    try:
        doc: Any = json.loads(text)
    except ValueError:
        raise InvalidParameter("RedrivePolicy: failed to parse JSON") from None
    target = doc.get("deadLetterTargetArn") if isinstance(doc, dict) else None
    if not isinstance(target, str) or not SQS_ARN.match(target):
        raise InvalidParameter("RedrivePolicy: deadLetterTargetArn is an invalid arn")
    if topic.fifo and not target.endswith(".fifo"):
        raise InvalidParameter(
            "RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic."
        )
    if not topic.fifo and target.endswith(".fifo"):
        raise InvalidParameter(
            "RedrivePolicy: must use a non-FIFO queue as DLQ for a non-FIFO Subscription to a "
            "non-FIFO Topic."
        )

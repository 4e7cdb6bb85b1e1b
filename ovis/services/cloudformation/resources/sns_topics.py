"""AWS::SNS::Topic, AWS::SNS::Subscription and AWS::SNS::TopicPolicy over the SNS operations.

Topic: Ref is the topic ARN; GetAtt TopicArn, TopicName. Topic attributes map from top-level
properties (DeliveryStatusLogging expands into the per-protocol feedback attributes); the
``Subscription`` list is subscribed after CreateTopic, and a failed subscribe deletes the
topic again. A named topic that already exists fails the resource (not adopted). Update sets
changed attributes (removed ones back to the default), tags, and subscribes/unsubscribes the
difference of the ``Subscription`` list. Delete removes the topic (and so its subscriptions);
a missing topic is success.

Subscription: one Subscribe with its attributes (FilterPolicy, RawMessageDelivery, ...);
Ref and GetAtt Arn are the subscription ARN (a pending http(s) subscription's ARN too:
subscribed with ReturnSubscriptionArn). Only the stack's own region is served here.

TopicPolicy: sets each topic's ``Policy``; delete puts the default policy back.
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
from ovis.services.cloudformation.resources.coerce import as_bool, as_int, as_list, as_str
from ovis.services.cloudformation.resources.service_props import (
    check_properties,
    error_code,
    json_text,
    tag_changes,
    tag_list,
)
from ovis.services.cloudformation.resources.target_policies import PolicyOnTargets

GONE = ("NotFound", "NotFoundException", "ResourceNotFound")
MAX_NAME = 256

TOPIC_PROPERTIES = (
    "ArchivePolicy",
    "ContentBasedDeduplication",
    "DataProtectionPolicy",
    "DeliveryStatusLogging",
    "DisplayName",
    "FifoThroughputScope",
    "FifoTopic",
    "KmsMasterKeyId",
    "SignatureVersion",
    "Subscription",
    "Tags",
    "TopicName",
    "TracingConfig",
)
# what a removed property's attribute goes back to ("" drops a stored document)
DEFAULTS = {
    "ContentBasedDeduplication": "false",
    "FifoThroughputScope": "Topic",
    "SignatureVersion": "1",
    "TracingConfig": "PassThrough",
}
FEEDBACK_PREFIX = {
    "http": "HTTP",
    "sqs": "SQS",
    "lambda": "Lambda",
    "firehose": "Firehose",
    "application": "Application",
}


def topic_attributes(props: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in ("DisplayName", "KmsMasterKeyId", "TracingConfig", "FifoThroughputScope"):
        if props.get(name) is not None:
            out[name] = as_str(props[name], name)
    if props.get("SignatureVersion") is not None:
        out["SignatureVersion"] = str(as_int(props["SignatureVersion"], "SignatureVersion"))
    if props.get("ContentBasedDeduplication") is not None:
        flag = as_bool(props["ContentBasedDeduplication"], "ContentBasedDeduplication")
        out["ContentBasedDeduplication"] = "true" if flag else "false"
    for name in ("ArchivePolicy", "DataProtectionPolicy"):
        if props.get(name) is not None:
            out[name] = json_text(props[name], name)
    for item in as_list(props.get("DeliveryStatusLogging") or [], "DeliveryStatusLogging"):
        if not isinstance(item, dict) or "Protocol" not in item:
            raise ResourceFailed("Property validation failure: [DeliveryStatusLogging.Protocol]")
        prefix = FEEDBACK_PREFIX.get(as_str(item["Protocol"], "Protocol"))
        if prefix is None:
            raise ResourceFailed(
                f"Value of property DeliveryStatusLogging.Protocol must be one of "
                f"{sorted(FEEDBACK_PREFIX)}"
            )
        for key in (
            "SuccessFeedbackRoleArn",
            "SuccessFeedbackSampleRate",
            "FailureFeedbackRoleArn",
        ):
            if item.get(key) is not None:
                out[prefix + key] = as_str(item[key], key)
    return out


def subscriptions(props: dict[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for item in as_list(props.get("Subscription") or [], "Subscription"):
        if not isinstance(item, dict) or "Protocol" not in item or "Endpoint" not in item:
            raise ResourceFailed(
                "Property validation failure: [Subscription items need Protocol and Endpoint]"
            )
        out.append((as_str(item["Protocol"], "Protocol"), as_str(item["Endpoint"], "Endpoint")))
    return out


def is_fifo(props: dict[str, Any]) -> bool:
    return props.get("FifoTopic") is not None and as_bool(props["FifoTopic"], "FifoTopic")


class TopicProvider:
    type_name: ClassVar[str] = "AWS::SNS::Topic"
    create_only: ClassVar[frozenset[str]] = frozenset({"TopicName", "FifoTopic"})
    attributes: ClassVar[frozenset[str]] = frozenset({"TopicArn", "TopicName"})

    def __init__(self, calls: ServiceCalls) -> None:
        self.calls = calls

    def _name(self, req: ResourceRequest) -> str:
        if req.properties.get("TopicName"):
            return as_str(req.properties["TopicName"], "TopicName")
        if is_fifo(req.properties):
            return req.physical_name(None, MAX_NAME - len(".fifo")) + ".fifo"
        return req.physical_name(None, MAX_NAME)

    def _arn(self, req: ResourceRequest, name: str) -> str:
        c = req.stack.caller
        return f"arn:aws:sns:{c.region}:{c.account_id}:{name}"

    async def _exists(self, req: ResourceRequest, arn: str) -> bool:
        try:
            await self.calls("sns", "GetTopicAttributes", {"TopicArn": arn}, req.stack.caller)
        except ApiError as e:
            if error_code(e) in GONE:
                return False
            raise
        return True

    @staticmethod
    def _result(arn: str) -> ResourceResult:
        return ResourceResult(arn, {"TopicArn": arn, "TopicName": arn.rsplit(":", 1)[-1]})

    async def _subscribe(self, req: ResourceRequest, arn: str, proto: str, endpoint: str) -> None:
        await self.calls(
            "sns",
            "Subscribe",
            {"TopicArn": arn, "Protocol": proto, "Endpoint": endpoint},
            req.stack.caller,
        )

    async def create(self, req: ResourceRequest) -> ResourceResult:
        check_properties(req.properties, TOPIC_PROPERTIES)
        attrs = topic_attributes(req.properties)
        subs = subscriptions(req.properties)
        if is_fifo(req.properties):
            attrs["FifoTopic"] = "true"
        name = self._name(req)
        if await self._exists(req, self._arn(req, name)):
            raise ResourceFailed(f"{name} already exists")
        params: dict[str, Any] = {"Name": name}
        if attrs:
            params["Attributes"] = attrs
        if req.properties.get("Tags"):
            params["Tags"] = tag_list(req.properties["Tags"])
        out = await self.calls("sns", "CreateTopic", params, req.stack.caller)
        arn = str(out["TopicArn"])
        try:
            for proto, endpoint in subs:
                await self._subscribe(req, arn, proto, endpoint)
        except BaseException:
            await self.calls("sns", "DeleteTopic", {"TopicArn": arn}, req.stack.caller)
            raise
        return self._result(arn)

    async def update(self, req: ResourceRequest) -> ResourceResult:
        check_properties(req.properties, TOPIC_PROPERTIES)
        prev = req.previous_properties or {}
        arn = req.physical_id or self._arn(req, self._name(req))
        caller = req.stack.caller
        before, after = topic_attributes(prev), topic_attributes(req.properties)
        delta = {k: v for k, v in after.items() if before.get(k) != v}
        delta.update({k: DEFAULTS.get(k, "") for k in before if k not in after})
        for name, value in delta.items():
            await self.calls(
                "sns",
                "SetTopicAttributes",
                {"TopicArn": arn, "AttributeName": name, "AttributeValue": value},
                caller,
            )
        put, remove = tag_changes(prev.get("Tags"), req.properties.get("Tags"))
        if remove:
            await self.calls(
                "sns", "UntagResource", {"ResourceArn": arn, "TagKeys": remove}, caller
            )
        if put:
            tags = [{"Key": k, "Value": v} for k, v in put.items()]
            await self.calls("sns", "TagResource", {"ResourceArn": arn, "Tags": tags}, caller)
        old_subs, new_subs = set(subscriptions(prev)), subscriptions(req.properties)
        if old_subs != set(new_subs):
            gone = old_subs - set(new_subs)
            if gone:
                for sub in await self._list_subscriptions(req, arn):
                    if (sub["Protocol"], sub.get("Endpoint", "")) in gone and sub[
                        "SubscriptionArn"
                    ].startswith("arn:"):
                        await self.calls(
                            "sns",
                            "Unsubscribe",
                            {"SubscriptionArn": sub["SubscriptionArn"]},
                            caller,
                        )
            for proto, endpoint in new_subs:
                if (proto, endpoint) not in old_subs:
                    await self._subscribe(req, arn, proto, endpoint)
        return self._result(arn)

    async def _list_subscriptions(self, req: ResourceRequest, arn: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        params: dict[str, Any] = {"TopicArn": arn}
        while True:
            page = await self.calls("sns", "ListSubscriptionsByTopic", params, req.stack.caller)
            out.extend(page.get("Subscriptions") or [])
            if not page.get("NextToken"):
                return out
            params["NextToken"] = page["NextToken"]

    async def delete(self, req: ResourceRequest) -> None:
        arn = req.physical_id or self._arn(req, self._name(req))
        try:
            await self.calls("sns", "DeleteTopic", {"TopicArn": arn}, req.stack.caller)
        except ApiError as e:
            if error_code(e) not in GONE:
                raise


SUBSCRIPTION_PROPERTIES = (
    "DeliveryPolicy",
    "Endpoint",
    "FilterPolicy",
    "FilterPolicyScope",
    "Protocol",
    "RawMessageDelivery",
    "RedrivePolicy",
    "Region",
    "ReplayPolicy",
    "SubscriptionRoleArn",
    "TopicArn",
)
SUBSCRIPTION_DEFAULTS = {"RawMessageDelivery": "false", "FilterPolicyScope": "MessageAttributes"}


def subscription_attributes(props: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in ("DeliveryPolicy", "FilterPolicy", "RedrivePolicy", "ReplayPolicy"):
        if props.get(name) is not None:
            out[name] = json_text(props[name], name)
    for name in ("FilterPolicyScope", "SubscriptionRoleArn"):
        if props.get(name) is not None:
            out[name] = as_str(props[name], name)
    if props.get("RawMessageDelivery") is not None:
        raw = as_bool(props["RawMessageDelivery"], "RawMessageDelivery")
        out["RawMessageDelivery"] = "true" if raw else "false"
    return out


class SubscriptionProvider:
    type_name: ClassVar[str] = "AWS::SNS::Subscription"
    create_only: ClassVar[frozenset[str]] = frozenset(
        {"Endpoint", "Protocol", "TopicArn", "Region"}
    )
    attributes: ClassVar[frozenset[str]] = frozenset({"Arn"})

    def __init__(self, calls: ServiceCalls) -> None:
        self.calls = calls

    def _check(self, req: ResourceRequest) -> None:
        check_properties(req.properties, SUBSCRIPTION_PROPERTIES, required=("Protocol", "TopicArn"))
        region = req.properties.get("Region")
        if region is not None and region != req.stack.caller.region:
            raise ResourceFailed(
                f"Property Region is not supported by this server: it serves only "
                f"{req.stack.caller.region}, not {region}"
            )

    async def create(self, req: ResourceRequest) -> ResourceResult:
        self._check(req)
        params: dict[str, Any] = {
            "TopicArn": as_str(req.properties["TopicArn"], "TopicArn"),
            "Protocol": as_str(req.properties["Protocol"], "Protocol"),
            "ReturnSubscriptionArn": True,
        }
        if req.properties.get("Endpoint") is not None:
            params["Endpoint"] = as_str(req.properties["Endpoint"], "Endpoint")
        attrs = subscription_attributes(req.properties)
        if attrs:
            params["Attributes"] = attrs
        out = await self.calls("sns", "Subscribe", params, req.stack.caller)
        arn = str(out["SubscriptionArn"])
        return ResourceResult(arn, {"Arn": arn})

    async def update(self, req: ResourceRequest) -> ResourceResult:
        self._check(req)
        arn = req.physical_id or ""
        before = subscription_attributes(req.previous_properties or {})
        after = subscription_attributes(req.properties)
        delta = {k: v for k, v in after.items() if before.get(k) != v}
        delta.update({k: SUBSCRIPTION_DEFAULTS.get(k, "") for k in before if k not in after})
        for name, value in delta.items():
            await self.calls(
                "sns",
                "SetSubscriptionAttributes",
                {"SubscriptionArn": arn, "AttributeName": name, "AttributeValue": value},
                req.stack.caller,
            )
        return ResourceResult(arn, {"Arn": arn})

    async def delete(self, req: ResourceRequest) -> None:
        arns = [req.physical_id] if req.physical_id else await self._find(req)
        for arn in arns:
            if not arn.startswith("arn:"):
                continue  # "PendingConfirmation" (never answered here: ReturnSubscriptionArn)
            try:
                await self.calls("sns", "Unsubscribe", {"SubscriptionArn": arn}, req.stack.caller)
            except ApiError as e:
                if error_code(e) not in GONE:
                    raise

    async def _find(self, req: ResourceRequest) -> list[str]:
        """A create interrupted before Subscribe answered: SNS keeps one subscription per
        (topic, protocol, endpoint), so that triple names it."""
        p = req.properties
        if not p.get("TopicArn") or not p.get("Protocol"):
            return []
        params: dict[str, Any] = {"TopicArn": as_str(p["TopicArn"], "TopicArn")}
        found: list[str] = []
        while True:
            try:
                page = await self.calls("sns", "ListSubscriptionsByTopic", params, req.stack.caller)
            except ApiError as e:
                if error_code(e) in GONE:
                    return found
                raise
            for sub in page.get("Subscriptions") or []:
                if sub.get("Protocol") == p["Protocol"] and sub.get("Endpoint") == p.get(
                    "Endpoint"
                ):
                    found.append(str(sub["SubscriptionArn"]))
            if not page.get("NextToken"):
                return found
            params["NextToken"] = page["NextToken"]


class TopicPolicyProvider(PolicyOnTargets):
    type_name: ClassVar[str] = "AWS::SNS::TopicPolicy"
    targets: ClassVar[str] = "Topics"
    gone: ClassVar[tuple[str, ...]] = GONE

    async def put(self, req: ResourceRequest, target: str, policy: str) -> None:
        params = {"TopicArn": target, "AttributeName": "Policy", "AttributeValue": policy}
        await self.calls("sns", "SetTopicAttributes", params, req.stack.caller)

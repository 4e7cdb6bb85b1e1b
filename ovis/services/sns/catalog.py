"""The catalog: every topic and subscription, in memory, written through to the store.

Contract: loaded once at start; every change commits to the store before memory changes, so
what a reader sees is on disk. Read-modify-write changes (attributes, confirmation) hold
``lock`` and re-read the record inside it, so concurrent changes never lose one another.
Reads are dict lookups (Publish matches subscriptions without touching the store).
Event-loop thread only. Compiled filter policies are cached per subscription and rebuilt
when its attributes change.
"""

from __future__ import annotations

import asyncio
import re

from ovis.models.topic import Delivery, SubscriptionRecord, TopicRecord
from ovis.services.sns.errors import InvalidParameter, subscription_not_found, topic_not_found
from ovis.services.sns.filter_policy import FilterPolicy, compile_filter_policy
from ovis.services.sns.repository import TopicRepository

TOPIC_ARN = re.compile(
    r"^arn:aws[a-zA-Z-]*:sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,256}(\.fifo)?)$"
)


class Catalog:
    def __init__(self, store: TopicRepository, region: str, account: str) -> None:
        self.store = store
        self.region = region
        self.account = account
        self.topics: dict[str, TopicRecord] = {}
        self.subs: dict[str, SubscriptionRecord] = {}
        self.by_topic: dict[str, dict[str, SubscriptionRecord]] = {}
        self.deleted: dict[str, int] = {}  # topic -> subscriptions deleted since start
        self._filters: dict[str, FilterPolicy | None] = {}
        self.lock = asyncio.Lock()  # serializes read-modify-write changes

    def load(self) -> None:
        self.topics = {t.arn: t for t in self.store.sns_topics()}
        self.subs = {}
        self.by_topic = {arn: {} for arn in self.topics}
        for s in self.store.sns_subscriptions():
            self._remember(s)

    # ---- lookups

    def topic_arn(self, name: str) -> str:
        return f"arn:aws:sns:{self.region}:{self.account}:{name}"

    def topic(self, arn: object, param: str = "TopicArn") -> TopicRecord:
        """The topic of ``arn``; InvalidParameter for a malformed ARN, NotFound if absent."""
        if not isinstance(arn, str) or TOPIC_ARN.match(arn) is None:
            raise InvalidParameter(param)
        t = self.topics.get(arn)
        if t is None:
            raise topic_not_found()
        return t

    def subscription(self, arn: object, param: str = "SubscriptionArn") -> SubscriptionRecord:
        if not isinstance(arn, str) or not arn.startswith("arn:") or arn.count(":") < 6:
            raise InvalidParameter(param)
        s = self.subs.get(arn)
        if s is None:
            raise subscription_not_found()
        return s

    def subscriptions_of(self, topic_arn: str) -> list[SubscriptionRecord]:
        return list(self.by_topic.get(topic_arn, {}).values())

    def filter_of(self, sub: SubscriptionRecord) -> FilterPolicy | None:
        if sub.arn not in self._filters:
            text = sub.attributes.get("FilterPolicy", "")
            scope = sub.attributes.get("FilterPolicyScope", "MessageAttributes")
            self._filters[sub.arn] = compile_filter_policy(text, scope) if text else None
        return self._filters[sub.arn]

    # ---- changes (store first, then memory)

    async def put_topic(self, topic: TopicRecord) -> None:
        await asyncio.to_thread(self.store.sns_put_topic, topic)
        self.topics[topic.arn] = topic
        self.by_topic.setdefault(topic.arn, {})

    async def delete_topic(self, arn: str) -> None:
        await asyncio.to_thread(self.store.sns_delete_topic, arn)
        self.topics.pop(arn, None)
        for sub_arn in self.by_topic.pop(arn, {}):
            self.subs.pop(sub_arn, None)
            self._filters.pop(sub_arn, None)
        self.deleted.pop(arn, None)

    async def put_subscription(
        self, sub: SubscriptionRecord, confirmation: Delivery | None = None
    ) -> None:
        await asyncio.to_thread(self.store.sns_put_subscription, sub, confirmation)
        self._remember(sub)

    async def delete_subscription(self, sub: SubscriptionRecord) -> None:
        await asyncio.to_thread(self.store.sns_delete_subscription, sub.arn)
        self.subs.pop(sub.arn, None)
        self._filters.pop(sub.arn, None)
        self.by_topic.get(sub.topic_arn, {}).pop(sub.arn, None)
        self.deleted[sub.topic_arn] = self.deleted.get(sub.topic_arn, 0) + 1

    def _remember(self, sub: SubscriptionRecord) -> None:
        self.subs[sub.arn] = sub
        self._filters.pop(sub.arn, None)
        self.by_topic.setdefault(sub.topic_arn, {})[sub.arn] = sub

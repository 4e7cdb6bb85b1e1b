"""Publishing: a message checked as SNS checks it, matched against every confirmed subscription
of its topic (filter policies), and stored as one outbox row per match before it is
acknowledged.

Contract: ``publish`` returns once the message's deliveries are committed (concurrent
publishes share one transaction and one fsync: GroupCommit). A FIFO topic assigns each message
a sequence number in that transaction and drops a repeat of a deduplication id within 5 minutes
(answering the original's id); its deliveries carry the MessageGroupId, which the delivery loop
keeps in order per subscription. A message with no matching subscription stores nothing but
still gets its id, as on AWS.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from ovis.models.topic import Delivery, PublishEntry, TopicRecord
from ovis.services.sns.catalog import Catalog
from ovis.services.sns.commands import PublishMessage
from ovis.services.sns.delivery import Deliverer
from ovis.services.sns.envelope import iso
from ovis.services.sns.errors import InvalidParameter, SnsError
from ovis.services.sns.repository import TopicRepository
from ovis.storage.group_commit import GroupCommit

MAX_MESSAGE_BYTES = 262_144  # message and attributes together, as AWS counts them
MAX_ATTRIBUTES = 10
MAX_SUBJECT = 100
DEDUP_WINDOW_MS = 5 * 60 * 1000
_ID = re.compile(r"^[\x21-\x7e]{1,128}$")  # alphanumerics and punctuation
_ATTR_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,256}$")
_TYPES = ("String", "Number", "Binary")


@dataclass
class PublishResult:
    message_id: str
    sequence_number: str | None = None


@dataclass
class _Pending:
    entry: PublishEntry
    result: list[tuple[str, int]] = field(default_factory=list)


def _now_ms() -> int:
    return int(time.time() * 1000)


class Publisher:
    def __init__(self, store: TopicRepository, catalog: Catalog, deliverer: Deliverer) -> None:
        self.store = store
        self.catalog = catalog
        self.deliverer = deliverer
        self._commits: GroupCommit[_Pending] = GroupCommit(self._write)

    def _write(self, batch: list[_Pending]) -> None:
        results = self.store.sns_publish([p.entry for p in batch], _now_ms())
        for p, r in zip(batch, results, strict=True):
            p.result.append(r)

    async def publish(self, cmd: PublishMessage) -> PublishResult:
        topic = self.catalog.topic(cmd.topic_arn)
        return await self._commit(self.prepare(topic, cmd))

    async def publish_batch(
        self, topic: TopicRecord, cmds: list[PublishMessage]
    ) -> list[PublishResult | SnsError]:
        """Each entry checked alone (an invalid one fails alone); the valid ones commit
        together before this returns."""
        prepared: list[PublishEntry | SnsError] = []
        for cmd in cmds:
            try:
                prepared.append(self.prepare(topic, cmd))
            except SnsError as e:
                prepared.append(e)
        pending = [_Pending(p) for p in prepared if isinstance(p, PublishEntry)]
        if pending:
            # Submitted together, before the first flush runs: one transaction, one fsync.
            await asyncio.gather(*(self._commits.submit(p) for p in pending))
            if any(p.entry.deliveries for p in pending):
                self.deliverer.wake()
        out: list[PublishResult | SnsError] = []
        it = iter(pending)
        for p in prepared:
            out.append(p if isinstance(p, SnsError) else _result(next(it)))
        return out

    # ---- commit

    async def _commit(self, entry: PublishEntry) -> PublishResult:
        p = _Pending(entry)
        await self._commits.submit(p)
        if entry.deliveries:
            self.deliverer.wake()
        return _result(p)

    # ---- checking and matching

    def prepare(self, topic: TopicRecord, cmd: PublishMessage) -> PublishEntry:
        message = cmd.message
        if not isinstance(message, str) or message == "":
            raise InvalidParameter("Empty message")
        attributes = check_attributes(cmd.attributes)
        size = len(message.encode()) + attributes_size(attributes)
        if size > MAX_MESSAGE_BYTES:
            raise InvalidParameter("Message too long")
        if cmd.subject is not None:
            _check_subject(cmd.subject)
        per_protocol: dict[str, str] | None = None
        if cmd.structure is not None:
            if cmd.structure != "json":
                raise InvalidParameter("MessageStructure")
            per_protocol = _structure(message)
        group, dedup = self._fifo_ids(topic, cmd, message)
        now = _now_ms()
        message_id = str(uuid.uuid4())
        base: dict[str, Any] = {
            "MessageId": message_id,
            "TopicArn": topic.arn,
            "Timestamp": iso(now),
        }
        if cmd.subject is not None:
            base["Subject"] = cmd.subject
        if attributes:
            base["MessageAttributes"] = _stored_attributes(attributes)
        if topic.fifo:
            base["MessageGroupId"] = group
            base["MessageDeduplicationId"] = dedup
        deliveries: list[Delivery] = []
        for sub in self.catalog.subscriptions_of(topic.arn):
            if not sub.confirmed:
                continue
            text = message
            if per_protocol is not None:
                text = per_protocol.get(sub.protocol, per_protocol["default"])
            policy = self.catalog.filter_of(sub)
            if policy is not None and not policy.matches(text, attributes):
                continue
            payload = json.dumps({**base, "Message": text})
            deliveries.append(
                Delivery(sub.arn, topic.arn, "Notification", payload, now, group_id=group)
            )
        key = ""
        if topic.fifo:
            scoped = topic.attributes.get("FifoThroughputScope") == "MessageGroup"
            key = f"{group}\n{dedup}" if scoped else dedup
        return PublishEntry(
            topic.arn,
            message_id,
            deliveries,
            dedup_key=key,
            dedup_until_ms=now + DEDUP_WINDOW_MS,
            fifo=topic.fifo,
        )

    @staticmethod
    def _fifo_ids(topic: TopicRecord, cmd: PublishMessage, message: str) -> tuple[str, str]:
        if not topic.fifo:
            if cmd.dedup_id is not None:
                raise InvalidParameter(
                    "MessageDeduplicationId Reason: The request includes MessageDeduplicationId "
                    "parameter that is not valid for this topic type"
                )
            if cmd.group_id is not None and not _ID.match(cmd.group_id):
                raise InvalidParameter("MessageGroupId")
            return "", ""
        if not cmd.group_id:
            raise InvalidParameter("The MessageGroupId parameter is required for FIFO topics")
        if not _ID.match(cmd.group_id):
            raise InvalidParameter("MessageGroupId")
        if cmd.dedup_id is not None:
            if not _ID.match(cmd.dedup_id):
                raise InvalidParameter("MessageDeduplicationId")
            return cmd.group_id, cmd.dedup_id
        if topic.attributes.get("ContentBasedDeduplication") == "true":
            return cmd.group_id, hashlib.sha256(message.encode()).hexdigest()
        raise InvalidParameter(
            "The topic should either have ContentBasedDeduplication enabled or "
            "MessageDeduplicationId provided explicitly"
        )


def _result(p: _Pending) -> PublishResult:
    message_id, seq = p.result[0]
    return PublishResult(message_id, f"{seq:020d}" if seq else None)


def _check_subject(subject: str) -> None:
    if not subject or len(subject) > MAX_SUBJECT or any(not (32 <= ord(c) < 127) for c in subject):
        raise InvalidParameter("Subject")


def _structure(message: str) -> dict[str, str]:
    try:
        doc = json.loads(message)
    except ValueError:
        raise InvalidParameter("Message Structure - JSON message body failed to parse") from None
    if not isinstance(doc, dict) or "default" not in doc:
        raise InvalidParameter("Message Structure - No default entry in JSON message body")
    out: dict[str, str] = {}
    for k, v in doc.items():
        if not isinstance(v, str):
            raise InvalidParameter(f"Message Structure - the {k} entry must be a string")
        out[k] = v
    return out


def check_attributes(attributes: dict[str, Any] | None) -> dict[str, Any]:
    """Message attributes in the API's shape, checked as SNS checks them."""
    if not attributes:
        return {}
    if len(attributes) > MAX_ATTRIBUTES:
        raise InvalidParameter(
            f"MessageAttributes Reason: Number of message attributes [{len(attributes)}] "
            f"exceeds the allowed maximum [{MAX_ATTRIBUTES}]."
        )
    out: dict[str, Any] = {}
    for name, attr in attributes.items():
        why = "MessageAttributes Reason: "
        if (
            not _ATTR_NAME.match(name)
            or ".." in name
            or name.startswith(".")
            or name.endswith(".")
            or name.lower().startswith(("aws.", "amazon."))
        ):
            raise InvalidParameter(f"{why}The message attribute name '{name}' is invalid.")
        if not isinstance(attr, dict):
            raise InvalidParameter(f"{why}The message attribute '{name}' is invalid.")
        kind = attr.get("DataType")
        if not isinstance(kind, str) or kind.split(".", 1)[0] not in _TYPES:
            raise InvalidParameter(
                f"{why}The message attribute '{name}' has an invalid message attribute type, "
                "the set of supported type prefixes is Binary, Number, and String."
            )
        base = kind.split(".", 1)[0]
        if base == "Binary":
            value = attr.get("BinaryValue")
            if isinstance(value, str):
                value = value.encode()
            if not value:
                raise InvalidParameter(
                    f"{why}The message attribute '{name}' must contain non-empty message "
                    f"attribute value for message attribute type '{kind}'."
                )
            out[name] = {"DataType": kind, "BinaryValue": bytes(value)}
            continue
        value = attr.get("StringValue")
        if not isinstance(value, str) or value == "":
            raise InvalidParameter(
                f"{why}The message attribute '{name}' must contain non-empty message attribute "
                f"value for message attribute type '{kind}'."
            )
        if base == "Number":
            try:
                float(value)
            except ValueError:
                raise InvalidParameter(
                    f"{why}Could not cast message attribute '{name}' value to number."
                ) from None
        if kind == "String.Array":
            try:
                items = json.loads(value)
            except ValueError:
                items = None
            if not isinstance(items, list):
                raise InvalidParameter(
                    f"{why}The message attribute '{name}' with type 'String.Array' has an "
                    "invalid value."
                )
        out[name] = {"DataType": kind, "StringValue": value}
    return out


def attributes_size(attributes: dict[str, Any]) -> int:
    total = 0
    for name, a in attributes.items():
        value = a.get("BinaryValue")
        if value is None:
            value = a["StringValue"].encode()
        total += len(name.encode()) + len(a["DataType"].encode()) + len(value)
    return total


def _stored_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """Attributes as the stored payload keeps them (binary values base64)."""
    out: dict[str, Any] = {}
    for name, a in attributes.items():
        if "BinaryValue" in a:
            out[name] = {
                "DataType": a["DataType"],
                "BinaryValue": base64.b64encode(a["BinaryValue"]).decode(),
            }
        else:
            out[name] = dict(a)
    return out

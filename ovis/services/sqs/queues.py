"""QueueService: SQS-compatible queues over the Store, usable in-process and by the SQS API.

State: queue definitions live in memory (loaded at start, written through to the store);
messages live only in the store, and every call that changes one commits before it returns, so a
sent message survives a kill -9, and so does a receive: the in-flight state (visible-again time,
receipt nonce, receive count) is stored, so after a restart in-flight messages reappear when
their visibility timeout runs out.

Long polling waits on a per-queue ``asyncio.Event`` that every change to the queue sets (send,
visibility change, delete, a message moved in by redrive), bounded by the moment the next hidden
message becomes visible; it never sleeps in a loop.

In-process use (the async-invoke path for destinations and dead-letter queues)::

    message_id = await queues.send_message(queue_arn, body, message_attributes)

raises ``QueueDoesNotExist`` for an unknown ARN, or another ``SqsError`` for an invalid message.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import json
import logging
import secrets
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from ovis.models.metric import MetricPut
from ovis.models.queue import QueueMessage, QueueRecord
from ovis.services.sqs import attributes as qattrs
from ovis.services.sqs import messages as msgs
from ovis.services.sqs.errors import (
    BatchRequestTooLong,
    InvalidAddress,
    InvalidAttributeName,
    InvalidParameterValue,
    MessageNotInflight,
    MissingParameter,
    PurgeQueueInProgress,
    QueueDoesNotExist,
    QueueNameExists,
    SqsError,
)
from ovis.services.sqs.repository import QueueRepository, QueueTagRepository
from ovis.settings import Settings

log = logging.getLogger(__name__)

PURGE_INTERVAL_S = 60.0
SQS_NAMESPACE = "AWS/SQS"
_GAUGES = (  # in the order of the store's sqs_counts
    "ApproximateNumberOfMessagesVisible",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)
MAX_TAGS = 50


@dataclass
class Queue:
    name: str
    arn: str
    url: str
    fifo: bool
    attributes: dict[str, str]  # set explicitly (normalized); defaults are not stored
    created_s: int
    modified_s: int

    def get(self, name: str) -> str:
        value = self.attributes.get(name)
        if value is not None:
            return value
        if name == "FifoQueue":
            return "true" if self.fifo else ""
        if name == "SqsManagedSseEnabled":
            return "false" if self.attributes.get("KmsMasterKeyId") else "true"
        if self.fifo and name in qattrs.FIFO_DEFAULTS:
            return qattrs.FIFO_DEFAULTS[name]
        return qattrs.DEFAULTS.get(name, "")

    def number(self, name: str) -> int:
        return int(self.get(name))

    @property
    def redrive(self) -> tuple[str, int] | None:
        """(dead-letter queue ARN, maxReceiveCount), if the queue has a redrive policy."""
        policy = self.attributes.get("RedrivePolicy")
        if not policy:
            return None
        doc = json.loads(policy)
        return str(doc["deadLetterTargetArn"]), int(doc["maxReceiveCount"])


@dataclass
class SendRequest:
    """One message to send, as the API takes it (``attributes`` in the API's shape)."""

    body: Any
    attributes: Mapping[str, Any] | None = None
    system_attributes: Mapping[str, Any] | None = None
    delay_seconds: int | None = None
    group_id: str | None = None
    dedup_id: str | None = None


@dataclass
class SendResult:
    message_id: str
    md5_body: str
    md5_attributes: str | None = None
    md5_system_attributes: str | None = None
    sequence_number: str | None = None

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {"MessageId": self.message_id, "MD5OfMessageBody": self.md5_body}
        if self.md5_attributes:
            out["MD5OfMessageAttributes"] = self.md5_attributes
        if self.md5_system_attributes:
            out["MD5OfMessageSystemAttributes"] = self.md5_system_attributes
        if self.sequence_number:
            out["SequenceNumber"] = self.sequence_number
        return out


@dataclass
class _Prepared:
    message: QueueMessage
    dedup_key: str
    result: SendResult
    size: int


def _now_ms() -> int:
    return int(time.time() * 1000)


def sequence_number(counter: int) -> str:
    """SQS sequence numbers are large (128-bit), increasing, non-consecutive decimal strings."""
    return str(10**19 + counter * 1000)


class QueueService:
    def __init__(
        self, store: QueueRepository, settings: Settings, tags: QueueTagRepository
    ) -> None:
        self.store = store
        self.tags = tags  # a queue's tags, under its ARN
        self.region = settings.region
        self.account = settings.account_id
        self.base_url = settings.base_url.rstrip("/")
        self.sender_id = settings.account_id
        self.expire_interval_s = 30.0
        self._queues: dict[str, Queue] = {}
        self._events: dict[str, asyncio.Event] = {}
        self._purged: dict[str, float] = {}
        self._lock = asyncio.Lock()  # serializes queue create/change/delete
        self._closing = False
        # AWS/SQS metrics (None: not emitted); the composition root sets it
        self.metrics: MetricPut | None = None
        self.metrics_interval_s = 60.0

    # --- lifecycle ---

    def load(self) -> None:
        self._queues = {r.name: self._queue(r) for r in self.store.sqs_queues()}

    async def start(self) -> None:
        """Load the queues. Retention expiry is ``expire_step``, run by the supervisor."""
        await asyncio.to_thread(self.load)

    def interrupt_waits(self) -> None:
        """Make every long poll return now (empty) and new ones not wait: the server stops."""
        self._closing = True
        for name in list(self._events):
            self._notify(name)

    async def close(self) -> None:
        """End every long poll; idempotent. The expiry loop is the supervisor's to stop."""
        self.interrupt_waits()

    async def metrics_step(self) -> None:
        """One iteration of the AWS/SQS gauge loop: wait, then sample every queue's counts
        (ApproximateNumberOfMessagesVisible, ...NotVisible, ...Delayed), as AWS does each
        minute."""
        await asyncio.sleep(self.metrics_interval_s)
        metrics = self.metrics
        if metrics is None:
            return
        now = _now_ms()
        for q in list(self._queues.values()):
            counts = await asyncio.to_thread(self.store.sqs_counts, q.name, now)
            dims = (("QueueName", q.name),)
            for name, value in zip(_GAUGES, counts, strict=True):
                metrics.put(SQS_NAMESPACE, name, dims, float(value))

    async def depths(self) -> list[tuple[str, tuple[int, int, int]]]:
        """(queue name, (visible, not visible, delayed)) for every queue, read now: the queue
        depths ``/metrics`` reports (the same counts as the AWS/SQS gauges)."""
        now = _now_ms()
        out: list[tuple[str, tuple[int, int, int]]] = []
        for q in list(self._queues.values()):
            out.append((q.name, await asyncio.to_thread(self.store.sqs_counts, q.name, now)))
        return out

    async def expire_step(self) -> None:
        """One iteration of the retention loop (``Supervisor.loop``): wait, then expire."""
        await asyncio.sleep(self.expire_interval_s)
        await self.expire()

    async def expire(self) -> int:
        """Drop messages older than their queue's retention period, and old dedup keys."""
        now = _now_ms()
        cutoffs = {
            q.name: now - q.number("MessageRetentionPeriod") * 1000 for q in self._queues.values()
        }
        return await asyncio.to_thread(self.store.sqs_expire, cutoffs, now)

    # --- names ---

    def url(self, name: str) -> str:
        return f"{self.base_url}/{self.account}/{name}"

    def arn(self, name: str) -> str:
        return f"arn:aws:sqs:{self.region}:{self.account}:{name}"

    def _queue(self, r: QueueRecord) -> Queue:
        return Queue(
            r.name,
            self.arn(r.name),
            self.url(r.name),
            r.name.endswith(".fifo"),
            dict(r.attributes),
            r.created_s,
            r.modified_s,
        )

    def queue_by_url(self, url: Any) -> Queue:
        """The queue a URL names (any host: clients reach this server under many names)."""
        if not isinstance(url, str) or not url:
            raise MissingParameter("The request must contain the parameter QueueUrl.")
        parts = urlsplit(url)
        segments = [unquote(s) for s in parts.path.split("/") if s]
        if (parts.scheme and parts.scheme not in ("http", "https")) or len(segments) != 2:
            raise InvalidAddress(f"The address {url} is not valid for this endpoint.")
        account, name = segments
        q = self._queues.get(name)
        if account != self.account or q is None:
            raise QueueDoesNotExist()
        return q

    def queue_by_arn(self, arn: Any) -> Queue:
        parts = arn.split(":") if isinstance(arn, str) else []
        if len(parts) != 6 or parts[:3] != ["arn", "aws", "sqs"]:
            raise QueueDoesNotExist(f"The specified queue does not exist: {arn}")
        q = self._queues.get(parts[5])
        if q is None or parts[3] != self.region or parts[4] != self.account:
            raise QueueDoesNotExist(f"The specified queue does not exist: {arn}")
        return q

    def queue_by_name(self, name: str) -> Queue:
        q = self._queues.get(name)
        if q is None:
            raise QueueDoesNotExist()
        return q

    def exists(self, queue_arn: str) -> bool:
        try:
            self.queue_by_arn(queue_arn)
        except QueueDoesNotExist:
            return False
        return True

    def _current(self, q: Queue) -> Queue:
        """The live definition of ``q`` (attributes may have changed); raises if deleted."""
        live = self._queues.get(q.name)
        if live is None or live.created_s != q.created_s:
            raise QueueDoesNotExist()
        return live

    # --- events ---

    def _event(self, name: str) -> asyncio.Event:
        ev = self._events.get(name)
        if ev is None:
            ev = self._events[name] = asyncio.Event()
        return ev

    def _notify(self, name: str) -> None:
        ev = self._events.pop(name, None)
        if ev is not None:
            ev.set()

    # --- queues ---

    async def create_queue(
        self,
        name: Any,
        attributes: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> str:
        """The queue's URL; an existing queue with the same attribute values is returned as is,
        one with different values raises QueueNameExists."""
        attrs = dict(attributes or {})
        fifo = str(attrs.get("FifoQueue", "false")).lower() == "true"
        qattrs.check_queue_name(name, fifo)  # a .fifo name needs FifoQueue=true, and back
        normalized = qattrs.normalize(attrs, fifo, creating=True)
        normalized.pop("FifoQueue", None)
        tag_map = self._check_tags(tags or {})
        async with self._lock:
            existing = self._queues.get(name)
            if existing is not None:
                for k, v in normalized.items():
                    if existing.get(k) != v:
                        raise QueueNameExists(
                            "A queue already exists with the same name and a different value "
                            f"for attribute {k}"
                        )
                return existing.url
            self._check_redrive(name, self.arn(name), fifo, normalized)
            qattrs.check_combination(normalized)
            now = int(time.time())
            stored = {k: v for k, v in normalized.items() if v != ""}
            record = QueueRecord(name, stored, now, now)
            await asyncio.to_thread(self.store.sqs_put_queue, record)
            q = self._queue(record)
            if tag_map:
                await asyncio.to_thread(self.tags.put_tags, q.arn, tag_map)
            self._queues[name] = q
            self._purged.pop(name, None)
            return q.url

    def _check_redrive(self, name: str, arn: str, fifo: bool, attrs: Mapping[str, str]) -> None:
        policy = attrs.get("RedrivePolicy")
        if not policy:
            return
        target = json.loads(policy)["deadLetterTargetArn"]
        try:
            dlq = self.queue_by_arn(target)
        except QueueDoesNotExist:
            raise InvalidParameterValue(
                f"Value {policy} for parameter RedrivePolicy is invalid. Reason: Dead letter "
                "target does not exist."
            ) from None
        if dlq.name == name:
            raise InvalidParameterValue(
                f"Value {policy} for parameter RedrivePolicy is invalid. Reason: A queue can't "
                "be its own dead-letter queue."
            )
        if dlq.fifo != fifo:
            raise InvalidParameterValue(
                f"Value {policy} for parameter RedrivePolicy is invalid. Reason: Dead-letter "
                "target must be the same type of queue (FIFO or standard) as the source."
            )
        if not qattrs.allows_source(dlq.attributes.get("RedriveAllowPolicy", ""), arn):
            raise InvalidParameterValue(
                f"Value {policy} for parameter RedrivePolicy is invalid. Reason: Queue "
                f"{dlq.url} does not allow this queue to use it as a dead-letter queue."
            )

    async def get_queue_url(self, name: Any, owner: str | None = None) -> str:
        if not isinstance(name, str) or not name:
            raise MissingParameter("The request must contain the parameter QueueName.")
        q = self._queues.get(name)
        if q is None or (owner and owner != self.account):
            raise QueueDoesNotExist()
        return q.url

    async def list_queues(
        self, prefix: str | None = None, max_results: int | None = None, token: str | None = None
    ) -> tuple[list[str], str | None]:
        if max_results is not None and not 1 <= max_results <= 1000:
            raise InvalidParameterValue(
                f"Value {max_results} for parameter MaxResults is invalid. Reason: MaxResults "
                "must be an integer between 1 and 1000."
            )
        after = self._token(token)
        names = sorted(n for n in self._queues if n.startswith(prefix or "") and n > after)
        limit = max_results or 1000
        page = names[:limit]
        more = max_results is not None and len(names) > limit
        return [self.url(n) for n in page], (self._make_token(page[-1]) if more else None)

    @staticmethod
    def _make_token(last: str) -> str:
        return base64.urlsafe_b64encode(json.dumps({"after": last}).encode()).decode()

    @staticmethod
    def _token(token: str | None) -> str:
        if not token:
            return ""
        try:
            doc = json.loads(base64.urlsafe_b64decode(token.encode()))
            return str(doc["after"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise InvalidParameterValue("Invalid NextToken value.") from None

    async def dead_letter_sources(
        self, q: Queue, max_results: int | None = None, token: str | None = None
    ) -> tuple[list[str], str | None]:
        if max_results is not None and not 1 <= max_results <= 1000:
            raise InvalidParameterValue(
                f"Value {max_results} for parameter MaxResults is invalid. Reason: MaxResults "
                "must be an integer between 1 and 1000."
            )
        after = self._token(token)
        names = sorted(
            s.name
            for s in self._queues.values()
            if s.redrive is not None and s.redrive[0] == q.arn and s.name > after
        )
        limit = max_results or 1000
        page = names[:limit]
        more = max_results is not None and len(names) > limit
        return [self.url(n) for n in page], (self._make_token(page[-1]) if more else None)

    async def get_attributes(self, q: Queue, names: Iterable[str] | None) -> dict[str, str]:
        wanted = list(names or ())
        for n in wanted:
            if n != "All" and n not in qattrs.ALL_NAMES:
                raise InvalidAttributeName(f"Unknown Attribute {n}.")
        if not wanted:
            return {}
        q = self._current(q)
        every = "All" in wanted
        out: dict[str, str] = {}
        counts: tuple[int, int, int] | None = None
        for n in qattrs.ALL_NAMES:
            if not every and n not in wanted:
                continue
            if n.startswith("ApproximateNumberOfMessages"):
                if counts is None:
                    counts = await asyncio.to_thread(self.store.sqs_counts, q.name, _now_ms())
                value = str(
                    counts[
                        (
                            "ApproximateNumberOfMessages",
                            "ApproximateNumberOfMessagesNotVisible",
                            "ApproximateNumberOfMessagesDelayed",
                        ).index(n)
                    ]
                )
            elif n == "QueueArn":
                value = q.arn
            elif n == "CreatedTimestamp":
                value = str(q.created_s)
            elif n == "LastModifiedTimestamp":
                value = str(q.modified_s)
            elif n in qattrs.FIFO_ONLY or n == "FifoQueue":
                value = q.get(n) if q.fifo else ""
            else:
                value = q.get(n)
            if value != "":
                out[n] = value
        return out

    async def set_attributes(self, q: Queue, attributes: Mapping[str, Any]) -> None:
        normalized = qattrs.normalize(dict(attributes), q.fifo, creating=False)
        async with self._lock:
            q = self._current(q)
            merged = {**q.attributes, **normalized}
            self._check_redrive(q.name, q.arn, q.fifo, normalized)
            qattrs.check_combination(merged)
            stored = {k: v for k, v in merged.items() if v != ""}
            record = QueueRecord(q.name, stored, q.created_s, int(time.time()))
            await asyncio.to_thread(self.store.sqs_put_queue, record)
            self._queues[q.name] = self._queue(record)
        self._notify(q.name)  # a shorter delay or wait may let waiters through

    async def delete_queue(self, q: Queue) -> None:
        async with self._lock:
            q = self._current(q)
            await asyncio.to_thread(self.store.sqs_delete_queue, q.name)
            await asyncio.to_thread(self.tags.delete_tags, q.arn)
            del self._queues[q.name]
            self._purged.pop(q.name, None)
        self._notify(q.name)

    async def purge_queue(self, q: Queue) -> None:
        q = self._current(q)
        last = self._purged.get(q.name)
        now = time.monotonic()
        if last is not None and now - last < PURGE_INTERVAL_S:
            raise PurgeQueueInProgress(
                f"Only one PurgeQueue operation on {q.name} is allowed every 60 seconds."
            )
        self._purged[q.name] = now
        await asyncio.to_thread(self.store.sqs_purge, q.name)
        self._notify(q.name)

    # --- tags ---

    @staticmethod
    def _check_tags(tags: Mapping[str, Any]) -> dict[str, str]:
        out: dict[str, str] = {}
        for k, v in tags.items():
            if not isinstance(k, str) or not 1 <= len(k) <= 128:
                raise InvalidParameterValue(f"Tag key {k} is invalid: 1 to 128 characters.")
            if not isinstance(v, str) or len(v) > 256:
                raise InvalidParameterValue(
                    f"Tag value for key {k} is invalid: up to 256 characters."
                )
            out[k] = v
        if len(out) > MAX_TAGS:
            raise InvalidParameterValue(f"Too many tags added. A queue can have up to {MAX_TAGS}.")
        return out

    async def tag_queue(self, q: Queue, tags: Mapping[str, Any]) -> None:
        tag_map = self._check_tags(tags)
        q = self._current(q)
        current = await asyncio.to_thread(self.tags.get_tags, q.arn)
        if len({**current, **tag_map}) > MAX_TAGS:
            raise InvalidParameterValue(f"Too many tags added for queue {q.name}.")
        if tag_map:
            await asyncio.to_thread(self.tags.put_tags, q.arn, tag_map)

    async def untag_queue(self, q: Queue, keys: Iterable[str]) -> None:
        q = self._current(q)
        await asyncio.to_thread(self.tags.delete_tags, q.arn, list(keys))

    async def list_tags(self, q: Queue) -> dict[str, str]:
        q = self._current(q)
        return await asyncio.to_thread(self.tags.get_tags, q.arn)

    # --- permissions (statements of the queue's Policy) ---

    async def add_permission(
        self, q: Queue, label: str, accounts: list[str], actions: list[str]
    ) -> None:
        q = self._current(q)
        policy = json.loads(q.attributes.get("Policy") or "{}") or {
            "Version": "2012-10-17",
            "Id": f"{q.arn}/SQSDefaultPolicy",
            "Statement": [],
        }
        statements = policy.setdefault("Statement", [])
        if any(s.get("Sid") == label for s in statements):
            raise InvalidParameterValue(
                f"Value {label} for parameter Label is invalid. Reason: Already exists."
            )
        if not accounts or not actions:
            raise MissingParameter("The request must contain the parameter AWSAccountIds.")
        statements.append(
            {
                "Sid": label,
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in accounts]},
                "Action": [f"SQS:{a}" for a in actions],
                "Resource": q.arn,
            }
        )
        await self.set_attributes(q, {"Policy": json.dumps(policy)})

    async def remove_permission(self, q: Queue, label: str) -> None:
        q = self._current(q)
        policy = json.loads(q.attributes.get("Policy") or "{}")
        statements = policy.get("Statement", [])
        kept = [s for s in statements if s.get("Sid") != label]
        if len(kept) == len(statements):
            raise InvalidParameterValue(
                f"Value {label} for parameter Label is invalid. Reason: can't find label on "
                "existing policy."
            )
        policy["Statement"] = kept
        await self.set_attributes(q, {"Policy": json.dumps(policy) if kept else ""})

    # --- sending ---

    async def send_message(
        self,
        queue_arn: str,
        body: str,
        message_attributes: dict[str, Any] | None = None,
        *,
        delay_seconds: int | None = None,
        message_group_id: str | None = None,
        deduplication_id: str | None = None,
    ) -> str:
        """In-process send (destinations, dead-letter queues): the new message's id once it is
        committed. Raises QueueDoesNotExist for an unknown ARN, another SqsError for an invalid
        message (attributes in the API's shape: ``{"k": {"DataType": "String",
        "StringValue": "v"}}``)."""
        q = self.queue_by_arn(queue_arn)
        req = SendRequest(
            body,
            message_attributes,
            delay_seconds=delay_seconds,
            group_id=message_group_id,
            dedup_id=deduplication_id,
        )
        return (await self.send(q, req)).message_id

    async def send(self, q: Queue, req: SendRequest) -> SendResult:
        result = (await self.send_batch(q, [req]))[0]
        if isinstance(result, SqsError):
            raise result
        return result

    async def send_batch(
        self, q: Queue, requests: list[SendRequest], limit_total: bool = False
    ) -> list[SendResult | SqsError]:
        """Send several messages in one commit; an invalid one fails alone (its error in its
        place). With ``limit_total`` (SendMessageBatch) their sizes must add up to 1 MiB."""
        q = self._current(q)
        now = _now_ms()
        prepared: list[_Prepared | SqsError] = []
        for req in requests:
            try:
                prepared.append(self._prepare(q, req, now))
            except SqsError as e:
                prepared.append(e)
        if limit_total:
            total = sum(p.size for p in prepared if isinstance(p, _Prepared))
            if total > msgs.MAX_BATCH_BYTES:
                raise BatchRequestTooLong(
                    f"Batch requests cannot be longer than {msgs.MAX_BATCH_BYTES} bytes. You have "
                    f"sent {total} bytes."
                )
        ok = [p for p in prepared if isinstance(p, _Prepared)]
        if ok:
            stored = await asyncio.to_thread(
                self.store.sqs_send,
                q.name,
                [p.message for p in ok],
                [p.dedup_key for p in ok],
                now + msgs.DEDUP_WINDOW_MS,
            )
            if stored is None:
                raise QueueDoesNotExist()
            if (metrics := self.metrics) is not None:
                dims = (("QueueName", q.name),)
                for p in ok:
                    metrics.put(SQS_NAMESPACE, "NumberOfMessagesSent", dims, 1.0)
                    metrics.put(SQS_NAMESPACE, "SentMessageSize", dims, float(p.size), "Bytes")
            for p, (message_id, seq) in zip(ok, stored, strict=True):
                p.result.message_id = message_id
                if seq:
                    p.result.sequence_number = sequence_number(seq)
            self._notify(q.name)
        return [p.result if isinstance(p, _Prepared) else p for p in prepared]

    def _prepare(self, q: Queue, req: SendRequest, now: int) -> _Prepared:
        body = msgs.check_body(req.body)
        attributes = msgs.check_attributes(req.attributes)
        system = msgs.check_attributes(req.system_attributes, system=True)
        size = len(body.encode()) + msgs.attributes_size(attributes)
        limit = q.number("MaximumMessageSize")
        if size > limit:
            raise InvalidParameterValue(
                f"One or more parameters are invalid. Reason: Message must be shorter than "
                f"{limit} bytes."
            )
        if req.delay_seconds is not None:
            msgs.check_delay(req.delay_seconds)
            if q.fifo:
                raise InvalidParameterValue(
                    f"Value {req.delay_seconds} for parameter DelaySeconds is invalid. Reason: "
                    "The request include parameter that is not valid for this queue type."
                )
        delay = req.delay_seconds if req.delay_seconds is not None else q.number("DelaySeconds")
        group = ""
        if req.group_id is not None:
            group = msgs.check_id(req.group_id, "MessageGroupId")
        dedup_id = ""
        dedup_key = ""
        if q.fifo:
            if not group:
                raise MissingParameter("The request must contain the parameter MessageGroupId.")
            if req.dedup_id is not None:
                dedup_id = msgs.check_id(req.dedup_id, "MessageDeduplicationId")
            elif q.get("ContentBasedDeduplication") == "true":
                dedup_id = hashlib.sha256(body.encode()).hexdigest()
            else:
                raise InvalidParameterValue(
                    "The queue should either have ContentBasedDeduplication enabled or "
                    "MessageDeduplicationId provided explicitly"
                )
            per_group = q.get("DeduplicationScope") == "messageGroup"
            dedup_key = f"{group}\n{dedup_id}" if per_group else dedup_id
        elif req.dedup_id is not None:
            raise InvalidParameterValue(
                f"Value {req.dedup_id} for parameter MessageDeduplicationId is invalid. Reason: "
                "The request include parameter that is not valid for this queue type."
            )
        extra = {}
        if "AWSTraceHeader" in system:
            extra["AWSTraceHeader"] = system["AWSTraceHeader"]["StringValue"]
        message_id = str(uuid.uuid4())
        message = QueueMessage(
            queue=q.name,
            message_id=message_id,
            body=body,
            attributes=json.dumps(msgs.to_wire(attributes)) if attributes else "",
            system=json.dumps(extra) if extra else "",
            sent_ms=now,
            visible_ms=now + delay * 1000,
            group_id=group,
            dedup_id=dedup_id,
        )
        result = SendResult(
            message_id,
            msgs.md5_body(body),
            msgs.md5_attributes(attributes),
            msgs.md5_attributes(system),
        )
        return _Prepared(message, dedup_key, result, size)

    # --- receiving ---

    async def receive(
        self,
        q: Queue,
        max_messages: int | None = None,
        wait_seconds: int | None = None,
        visibility_timeout: int | None = None,
        system_attribute_names: Iterable[str] = (),
        attribute_names: Iterable[str] = (),
    ) -> list[dict[str, Any]]:
        """Up to ``max_messages`` messages (API ``Message`` shapes, binary attribute values as
        bytes), now in flight. Waits up to ``wait_seconds`` (default: the queue's
        ReceiveMessageWaitTimeSeconds) and returns as soon as any message can be received."""
        n = 1 if max_messages is None else max_messages
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 10:
            raise InvalidParameterValue(
                f"Value {n} for parameter MaxNumberOfMessages is invalid. Reason: Must be "
                "between 1 and 10, if provided."
            )
        if wait_seconds is not None and (
            isinstance(wait_seconds, bool) or not 0 <= wait_seconds <= msgs.MAX_WAIT_S
        ):
            raise InvalidParameterValue(
                f"Value {wait_seconds} for parameter WaitTimeSeconds is invalid. Reason: Must "
                f"be >= 0 and <= {msgs.MAX_WAIT_S}, if provided."
            )
        if visibility_timeout is not None:
            msgs.check_visibility(visibility_timeout)
        system_names = set(system_attribute_names)
        for name in system_names:
            if name != "All" and name not in msgs.SYSTEM_ATTRIBUTE_NAMES:
                raise InvalidAttributeName(f"Unknown Attribute {name}.")
        user_names = list(attribute_names)
        q = self._current(q)
        wait = q.number("ReceiveMessageWaitTimeSeconds") if wait_seconds is None else wait_seconds
        got = await self.take(q, n, wait, visibility_timeout)
        return [self._render(q, m, system_names, user_names) for m in got]

    async def take(
        self, q: Queue, limit: int, wait_s: float, visibility_timeout: int | None = None
    ) -> list[QueueMessage]:
        """In-process receive (event source mappings): up to ``limit`` messages (any number,
        unvalidated: callers pass sane values), stored in flight in one transaction per look,
        as a ReceiveMessage would take them (redrive applied). Waits up to ``wait_s`` for the
        first one; returns empty at once when the server stops."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while True:
            event = self._event(q.name)  # before looking: a send during the look sets it
            q = self._current(q)
            vis = (
                q.number("VisibilityTimeout") if visibility_timeout is None else visibility_timeout
            )
            redrive = q.redrive
            dlq = ""
            if redrive is not None:
                with contextlib.suppress(QueueDoesNotExist):
                    dlq = self.queue_by_arn(redrive[0]).name
            now = _now_ms()
            got = await asyncio.to_thread(
                self.store.sqs_receive,
                q.name,
                now,
                limit,
                vis * 1000,
                secrets.token_hex(8),
                q.fifo,
                redrive[1] if redrive and dlq else 0,
                dlq,
                json.dumps({"DeadLetterQueueSourceArn": q.arn}),
            )
            if got.moved and dlq:
                self._notify(dlq)
            if got.messages:
                if (metrics := self.metrics) is not None:
                    n = float(len(got.messages))
                    dims = (("QueueName", q.name),)
                    metrics.put(SQS_NAMESPACE, "NumberOfMessagesReceived", dims, n)
                if q.fifo or got.moved:
                    self._notify(q.name)  # others may take what this receive skipped
                return got.messages
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closing:
                if (metrics := self.metrics) is not None:
                    dims = (("QueueName", q.name),)
                    metrics.put(SQS_NAMESPACE, "NumberOfEmptyReceives", dims, 1.0)
                return []
            timeout = remaining
            if got.next_visible_ms is not None:
                timeout = min(timeout, max(0.0, (got.next_visible_ms - _now_ms()) / 1000) + 0.002)
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
            # arrives as the event is set, and a cancelled poller would then never stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await event.wait()

    async def visible_count(self, q: Queue) -> int:
        """ApproximateNumberOfMessages (one store read)."""
        q = self._current(q)
        return (await asyncio.to_thread(self.store.sqs_counts, q.name, _now_ms()))[0]

    def _render(
        self, q: Queue, m: QueueMessage, system_names: set[str], user_names: list[str]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "MessageId": m.message_id,
            "ReceiptHandle": msgs.receipt_handle(q.name, m.row, m.receipt),
            "MD5OfBody": msgs.md5_body(m.body),
            "Body": m.body,
        }
        if system_names:
            extra = json.loads(m.system) if m.system else {}
            every = "All" in system_names
            values = {
                "SenderId": self.sender_id,
                "SentTimestamp": str(m.sent_ms),
                "ApproximateReceiveCount": str(m.receive_count),
                "ApproximateFirstReceiveTimestamp": str(m.first_receive_ms),
                "SequenceNumber": sequence_number(m.sequence) if m.sequence else None,
                "MessageDeduplicationId": m.dedup_id or None,
                "MessageGroupId": m.group_id or None,
                "AWSTraceHeader": extra.get("AWSTraceHeader"),
                "DeadLetterQueueSourceArn": extra.get("DeadLetterQueueSourceArn"),
            }
            attrs = {
                k: v for k, v in values.items() if v is not None and (every or k in system_names)
            }
            if attrs:
                out["Attributes"] = attrs
        if user_names and m.attributes:
            stored = msgs.from_wire(json.loads(m.attributes))
            chosen = msgs.select_attributes(stored, user_names)
            if chosen:
                out["MessageAttributes"] = chosen
                out["MD5OfMessageAttributes"] = msgs.md5_attributes(chosen)
        return out

    # --- deleting and visibility ---

    async def delete_message(self, q: Queue, handle: Any) -> None:
        error = (await self.delete_batch(q, [handle]))[0]
        if error is not None:
            raise error

    async def delete_batch(self, q: Queue, handles: list[Any]) -> list[SqsError | None]:
        """Delete by receipt handle; an old handle succeeds without deleting (as on AWS)."""
        q = self._current(q)
        parsed: list[tuple[int, str] | SqsError] = []
        for h in handles:
            try:
                parsed.append(msgs.parse_receipt_handle(h, q.name))
            except SqsError as e:
                parsed.append(e)
        valid = [p for p in parsed if not isinstance(p, SqsError)]
        if valid:
            await asyncio.to_thread(self.store.sqs_delete_messages, q.name, valid)
            if (metrics := self.metrics) is not None:
                n = float(len(valid))
                metrics.put(SQS_NAMESPACE, "NumberOfMessagesDeleted", (("QueueName", q.name),), n)
            self._notify(q.name)  # a FIFO group may be free again
        return [p if isinstance(p, SqsError) else None for p in parsed]

    async def change_visibility(self, q: Queue, handle: Any, timeout: Any) -> None:
        error = (await self.change_visibility_batch(q, [(handle, timeout)]))[0]
        if error is not None:
            raise error

    async def change_visibility_batch(
        self, q: Queue, changes: list[tuple[Any, Any]]
    ) -> list[SqsError | None]:
        q = self._current(q)
        now = _now_ms()
        parsed: list[tuple[int, str, int] | SqsError] = []
        for handle, timeout in changes:
            try:
                row, nonce = msgs.parse_receipt_handle(handle, q.name)
                seconds = msgs.check_visibility(timeout)
                parsed.append((row, nonce, now + seconds * 1000))
            except SqsError as e:
                parsed.append(e)
        valid = [p for p in parsed if not isinstance(p, SqsError)]
        statuses = iter(
            await asyncio.to_thread(self.store.sqs_change_visibility, q.name, valid, now)
            if valid
            else []
        )
        if valid:
            self._notify(q.name)
        out: list[SqsError | None] = []
        for (handle, _), p in zip(changes, parsed, strict=True):
            if isinstance(p, SqsError):
                out.append(p)
                continue
            status = next(statuses)
            if status == "ok":
                out.append(None)
            elif status == "not_inflight":
                out.append(MessageNotInflight("The message referred to isn't in flight."))
            else:
                out.append(
                    InvalidParameterValue(
                        f"Value {handle} for parameter ReceiptHandle is invalid. Reason: Message "
                        "does not exist or is not available for visibility timeout change."
                    )
                )
        return out

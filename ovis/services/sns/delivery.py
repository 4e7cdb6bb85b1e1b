"""The delivery loop: drains the outbox of owed deliveries to Lambda, SQS and http(s).

Contract:
- At least once: a delivery leaves the outbox only in the transaction that records it done
  (delivered, dead-lettered, or dropped as AWS drops it); after a crash everything still stored
  is attempted again, so an endpoint may see a message twice, never zero times.
- Order: deliveries of a FIFO topic go one at a time per (subscription, MessageGroupId), in
  publish order (the store hands out a group's next row only once the one before is gone);
  standard topics deliver in parallel, oldest first.
- Errors, as AWS classifies them: a client-side error (the function is missing or its resource
  policy refuses ``sns.amazonaws.com``, the queue is missing or refuses the message, an http
  4xx other than 429) is not retried: the message goes straight to the subscription's
  dead-letter queue (RedrivePolicy), or is dropped without one. A server-side error (an http
  5xx or 429, a connection error or timeout, a store error) is retried on the subscription's
  schedule (policy.py: AWS's managed policy for Lambda and SQS, the delivery policy for
  http(s)), each delay times ``retry_scale``; once spent, dead-letter or drop.
- A dead-letter message is what the endpoint would have received (the JSON notification, or
  the raw message) with message attributes ErrorCode, ErrorMessage and RequestID; a FIFO
  topic's keeps its group and deduplication ids. If the DLQ cannot take it, the row is kept
  and offered to the DLQ again on the managed schedule.
- The loop runs under the supervisor, wakes on publishes, subscriptions and finished
  deliveries, and otherwise waits exactly until the next retry is due: it never polls.
  ``close()`` cancels attempts in progress; their rows stay and run after the next start.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import time
import uuid
from typing import Any, Protocol

from ovis.errors import ApiError
from ovis.invoke.destinations import DeliveryError, FunctionTriggers, QueueSender
from ovis.models.topic import Delivery, DeliveryOutcome, SubscriptionRecord
from ovis.services.sns import envelope
from ovis.services.sns.catalog import Catalog
from ovis.services.sns.policy import MANAGED, RetryPolicy, http_content_type, http_policy
from ovis.services.sns.repository import TopicRepository
from ovis.storage.group_commit import GroupCommit

log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 64
HTTP_TIMEOUT_S = 15.0
USER_AGENT = "Amazon Simple Notification Service Agent"


class HttpPoster(Protocol):
    async def post(self, url: str, headers: dict[str, str], body: bytes, timeout_s: float) -> int:
        """POST ``body``; the response status. Raises OSError / TimeoutError when the
        endpoint cannot be reached or does not answer in time."""
        ...


class ClientSideError(Exception):
    """A delivery the endpoint refused for good (not retried, as AWS does not)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _now_ms() -> int:
    return int(time.time() * 1000)


class Deliverer:
    def __init__(
        self,
        store: TopicRepository,
        catalog: Catalog,
        *,
        base_url: str,
        signer: envelope.Signer,
        triggers: FunctionTriggers | None,
        queues: QueueSender | None,
        http: HttpPoster | None,
        retry_scale: float,
        account: str,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.base_url = base_url
        self.signer = signer
        self.triggers = triggers
        self.queues = queues
        self.http = http
        self.retry_scale = retry_scale
        self.account = account
        self.max_in_flight = max_in_flight
        self._signer_ready = False
        self._wake = asyncio.Event()
        self._busy: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._finishes: GroupCommit[DeliveryOutcome] = GroupCommit(store.sns_finish)

    def wake(self) -> None:
        self._wake.set()

    # ---- the loop

    async def step(self) -> None:
        self._wake.clear()
        free = self.max_in_flight - len(self._busy)
        if free > 0:
            due = await asyncio.to_thread(self.store.sns_due, _now_ms(), free, list(self._busy))
            for d in due:
                self._busy.add(d.row)
                task = asyncio.get_running_loop().create_task(self._run(d))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            if len(due) == free:
                return  # there may be more already due
        if len(self._busy) < self.max_in_flight:
            nxt = await asyncio.to_thread(self.store.sns_next_due_ms, list(self._busy))
        else:
            nxt = None  # every slot taken: a finishing delivery wakes us
        timeout = None if nxt is None else max(0.0, (nxt - _now_ms()) / 1000)
        if timeout == 0.0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    async def close(self) -> None:
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t

    async def _run(self, d: Delivery) -> None:
        try:
            try:
                outcome = await self._attempt(d)
            except Exception as e:  # a bug or a store error: retry it later, never lose it
                log.exception("SNS delivery %s to %s failed", d.row, d.subscription_arn)
                outcome = self._retry(d, MANAGED, e)
            await self._finishes.submit(outcome)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("could not record SNS delivery %s", d.row)
        finally:
            self._busy.discard(d.row)
            self._wake.set()

    # ---- one attempt

    async def _attempt(self, d: Delivery) -> DeliveryOutcome:
        sub = self.catalog.subs.get(d.subscription_arn)
        if sub is None:  # unsubscribed meanwhile
            return DeliveryOutcome(d.row, True)
        payload = json.loads(d.payload)
        if not self._signer_ready:  # the key, once per data directory, off the loop
            await asyncio.to_thread(self.signer.prepare)
            self._signer_ready = True
        if d.dead:
            return await self._dead_letter(sub, d, payload, "DeliveryFailed", "retries exhausted")
        try:
            await self._deliver(sub, d, payload)
        except ClientSideError as e:
            log.info("SNS delivery to %s refused: %s", sub.endpoint, e.message)
            return await self._dead_letter(sub, d, payload, e.code, e.message)
        except (OSError, TimeoutError, ServerSideError, ApiError) as e:
            outcome = self._retry(d, self._policy(sub), e)
            if outcome.done or outcome.dead:
                return await self._dead_letter(sub, d, payload, "DeliveryFailed", str(e))
            return outcome
        return DeliveryOutcome(d.row, True)

    def _policy(self, sub: SubscriptionRecord) -> RetryPolicy:
        if sub.protocol in ("http", "https"):
            topic = self.catalog.topics.get(sub.topic_arn)
            return http_policy(
                topic.attributes.get("DeliveryPolicy", "") if topic else "",
                sub.attributes.get("DeliveryPolicy", ""),
            )
        return MANAGED

    def _content_type(self, sub: SubscriptionRecord) -> str:
        topic = self.catalog.topics.get(sub.topic_arn)
        return http_content_type(
            topic.attributes.get("DeliveryPolicy", "") if topic else "",
            sub.attributes.get("DeliveryPolicy", ""),
        )

    def _retry(self, d: Delivery, policy: RetryPolicy, error: BaseException) -> DeliveryOutcome:
        failures = d.attempt + 1
        delay = policy.delay_s(failures)
        if delay is None:
            return DeliveryOutcome(d.row, False, failures, _now_ms(), dead=True)
        log.debug("SNS delivery %s failed (%s); retry %d in %.3fs", d.row, error, failures, delay)
        return DeliveryOutcome(
            d.row, False, failures, _now_ms() + int(delay * self.retry_scale * 1000)
        )

    async def _deliver(self, sub: SubscriptionRecord, d: Delivery, payload: dict[str, Any]) -> None:
        if d.kind == "SubscriptionConfirmation":
            doc = envelope.confirmation(payload, self.base_url, self.signer, self._version(sub))
            await self._post(sub, d, json.dumps(doc).encode(), raw=False)
            return
        raw = sub.attributes.get("RawMessageDelivery") == "true"
        if sub.protocol == "lambda":
            await self._invoke(sub, payload)
        elif sub.protocol == "sqs":
            await self._send(sub, sub.endpoint, payload, raw, {})
        else:
            body = payload["Message"] if raw else json.dumps(self._note(sub, payload))
            await self._post(sub, d, body.encode(), raw=raw, message_id=payload["MessageId"])

    def _version(self, sub: SubscriptionRecord) -> str:
        topic = self.catalog.topics.get(sub.topic_arn)
        return topic.attributes.get("SignatureVersion", "1") if topic else "1"

    def _note(self, sub: SubscriptionRecord, payload: dict[str, Any]) -> dict[str, Any]:
        return envelope.notification(
            payload, sub.arn, self.base_url, self.signer, self._version(sub)
        )

    async def _invoke(self, sub: SubscriptionRecord, payload: dict[str, Any]) -> None:
        if self.triggers is None:
            raise ClientSideError("EndpointUnavailable", "this server has no function service")
        event = envelope.lambda_event(
            payload, sub.arn, self.base_url, self.signer, self._version(sub)
        )
        try:
            await self.triggers.invoke_async(
                sub.endpoint,
                json.dumps(event).encode(),
                principal="sns.amazonaws.com",
                source_arn=sub.topic_arn,
                source_account=self.account,
            )
        except DeliveryError as e:
            raise ClientSideError("AccessDenied", str(e)) from e

    async def _send(
        self,
        sub: SubscriptionRecord,
        queue_arn: str,
        payload: dict[str, Any],
        raw: bool,
        extra: dict[str, Any],
    ) -> None:
        if self.queues is None:
            raise ClientSideError("EndpointUnavailable", "this server has no queue service")
        if raw:
            body = payload["Message"]
            attrs = _sqs_attributes(payload.get("MessageAttributes") or {})
        else:
            body = json.dumps(self._note(sub, payload))
            attrs = {}
        attrs.update(extra)
        fifo_queue = queue_arn.endswith(".fifo")
        try:
            await self.queues.send_message(
                queue_arn,
                body,
                attrs or None,
                message_group_id=payload.get("MessageGroupId") if fifo_queue else None,
                deduplication_id=payload.get("MessageDeduplicationId") if fifo_queue else None,
            )
        except ApiError as e:  # missing queue, a message the queue refuses
            raise ClientSideError(e.code, f"{e.code}: {e.message}") from e

    async def _post(
        self,
        sub: SubscriptionRecord,
        d: Delivery,
        body: bytes,
        *,
        raw: bool,
        message_id: str | None = None,
    ) -> None:
        if self.http is None:
            raise ClientSideError("EndpointUnavailable", "this server has no http client")
        payload_id = message_id or json.loads(d.payload)["MessageId"]
        headers = {
            "x-amz-sns-message-type": d.kind,
            "x-amz-sns-message-id": payload_id,
            "x-amz-sns-topic-arn": sub.topic_arn,
            "Content-Type": self._content_type(sub),
            "User-Agent": USER_AGENT,
        }
        if d.kind == "Notification":
            headers["x-amz-sns-subscription-arn"] = sub.arn
        if raw:
            headers["x-amz-sns-rawdelivery"] = "true"
        status = await self.http.post(sub.endpoint, headers, body, HTTP_TIMEOUT_S)
        if 200 <= status < 300:
            return
        if 400 <= status < 500 and status != 429:
            raise ClientSideError("HttpError", f"the endpoint answered HTTP {status}")
        raise ServerSideError(f"the endpoint answered HTTP {status}")

    # ---- dead letters

    async def _dead_letter(
        self,
        sub: SubscriptionRecord,
        d: Delivery,
        payload: dict[str, Any],
        code: str,
        message: str,
    ) -> DeliveryOutcome:
        target = _dead_letter_target(sub)
        if target is None or d.kind != "Notification":
            log.warning(
                "SNS dropped message %s for %s: %s",
                payload.get("MessageId"),
                sub.arn,
                message,
            )
            return DeliveryOutcome(d.row, True)
        raw = sub.attributes.get("RawMessageDelivery") == "true" and sub.protocol != "lambda"
        extra = {
            "ErrorCode": {"DataType": "String", "StringValue": code[:256] or "DeliveryFailed"},
            "ErrorMessage": {"DataType": "String", "StringValue": message[:1024] or code},
            "RequestID": {"DataType": "String", "StringValue": str(uuid.uuid4())},
        }
        try:
            await self._send(sub, target, payload, raw, extra)
        except ClientSideError as e:
            failures = d.attempt + 1
            delay = MANAGED.delay_s(failures)
            log.warning("SNS dead-letter queue %s refused a message: %s", target, e.message)
            if delay is None:
                return DeliveryOutcome(d.row, True)
            due = _now_ms() + int(delay * self.retry_scale * 1000)
            return DeliveryOutcome(d.row, False, failures, due, dead=True)
        return DeliveryOutcome(d.row, True)


class ServerSideError(Exception):
    """A delivery that may succeed later (http 5xx or 429)."""


def _dead_letter_target(sub: SubscriptionRecord) -> str | None:
    text = sub.attributes.get("RedrivePolicy")
    if not text:
        return None
    try:
        target = json.loads(text).get("deadLetterTargetArn")
    except (ValueError, AttributeError):
        return None
    return target if isinstance(target, str) else None


def _sqs_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """Stored message attributes as SQS message attributes (raw delivery)."""
    out: dict[str, Any] = {}
    for name, a in attributes.items():
        kind = a["DataType"]
        if "BinaryValue" in a:
            out[name] = {"DataType": kind, "BinaryValue": base64.b64decode(a["BinaryValue"])}
        else:
            out[name] = {"DataType": kind, "StringValue": a["StringValue"]}
    return out

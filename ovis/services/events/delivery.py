"""The durable delivery outbox: every (accepted event, matched target) is a stored delivery
until its target took it or it was dead-lettered.

Contract:
- ``add()`` returns once the deliveries are committed (group commit: concurrent PutEvents
  share a transaction and an fsync), so an acknowledged PutEvents survives a kill -9; the
  loop delivers everything stored at least once, after a restart too.
- ``step()`` (the supervised ``events-delivery`` loop) delivers the due deliveries of a batch
  concurrently, then settles them in one transaction: delivered ones leave the outbox,
  retriable failures are rescheduled, a bus-to-bus forward stores the events it put on the
  other bus in the same transaction that removes the forwarded one (exactly once). It waits
  for ``add()`` (an event) or the next retry's due time; it never polls.
- Failures as AWS documents them: a missing target or missing permission is not retried (the
  event goes straight to the dead-letter queue, or is dropped without one); other errors are
  retried with exponential backoff and jitter (1 s doubling to 5 minutes, times 0.5-1) until
  the target's RetryPolicy runs out (MaximumRetryAttempts, default 185;
  MaximumEventAgeInSeconds, default 86400), then dead-lettered. A dead-letter message is the
  event's JSON with AWS's attributes RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE,
  RETRY_ATTEMPTS and, after retries ran out, EXHAUSTED_RETRY_CONDITION.
- ``time_scale`` multiplies the backoff and the event age limit alike (tests shrink it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ovis.errors import ApiError
from ovis.invoke.destinations import DeliveryError, FunctionTriggers, QueueSender, TopicSender
from ovis.models.event_bus import EventDelivery
from ovis.services.events import targets as kinds
from ovis.services.events.event import iso_seconds
from ovis.services.events.input_transform import target_input
from ovis.services.events.repository import EventBusRepository
from ovis.services.events.rules import Rule
from ovis.storage.group_commit import GroupCommit

log = logging.getLogger(__name__)

LOOP = "events-delivery"
PRINCIPAL = "events.amazonaws.com"
BATCH = 64
DEFAULT_RETRIES = 185
DEFAULT_MAX_AGE_S = 86400
BACKOFF_S = (1.0, 300.0)
DLQ_RETRY_S = 5.0
_SNAPSHOT_KEYS = ("Id", "Arn", "SqsParameters", "RetryPolicy", "DeadLetterConfig")


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Failure(Exception):
    """Why a delivery failed, in the terms of EventBridge's dead-letter ERROR_CODE."""

    code: str
    message: str
    retriable: bool


def classify(e: BaseException) -> Failure:
    if isinstance(e, Failure):
        return e
    if isinstance(e, DeliveryError):  # ServiceTriggers: missing function or policy refusal
        text = str(e)
        code = "NO_PERMISSIONS" if "not authorized" in text else "NO_RESOURCE"
        return Failure(code, text, False)
    if isinstance(e, ApiError):
        if e.code in ("QueueDoesNotExist", "NotFoundException", "ResourceNotFoundException"):
            return Failure("NO_RESOURCE", e.message, False)
        if e.code in ("ThrottlingException", "Throttling", "TooManyRequestsException"):
            return Failure("THROTTLING", e.message, True)
        return Failure("INVALID_PARAMETER", e.message, False)
    return Failure("INTERNAL_ERROR", f"{type(e).__name__}: {e}", True)


def plan(
    rule: Rule, event: dict[str, Any], event_json: str, now_ms: int, hops: int = 0
) -> list[EventDelivery]:
    """One delivery per target of ``rule`` for ``event``, its payload already rendered."""
    out = []
    ingestion = iso_seconds(now_ms)
    for t in rule.record.targets:
        if kinds.kind(t["Arn"]) == kinds.BUS:
            payload = event_json  # an event bus receives the event itself
        else:
            payload = target_input(t, event, event_json, rule.arn, rule.name, ingestion)
        snapshot = json.dumps({k: t[k] for k in _SNAPSHOT_KEYS if k in t})
        out.append(
            EventDelivery(
                str(uuid.uuid4()), rule.arn, snapshot, event_json, payload, now_ms, now_ms, 0, hops
            )
        )
    return out


# (bus name, event, hops) -> the deliveries of that bus's matching rules; raises Failure
Forward = Callable[[str, dict[str, Any], int], list[EventDelivery]]


@dataclass
class _Outcome:
    done: bool = False
    retry_at: int | None = None
    attempts: int = 0
    added: list[EventDelivery] | None = None


class Deliveries:
    def __init__(
        self,
        store: EventBusRepository,
        account: str,
        *,
        forward: Forward,
        functions: FunctionTriggers | None = None,
        queues: QueueSender | None = None,
        topics: TopicSender | None = None,
        time_scale: float = 1.0,
    ) -> None:
        self.store = store
        self.account = account
        self.forward = forward
        self.functions = functions
        self.queues = queues
        self.topics = topics
        self.time_scale = time_scale
        self._wake = asyncio.Event()
        self._commit = GroupCommit(self._write)

    def _write(self, batches: list[list[EventDelivery]]) -> None:
        self.store.add_event_deliveries([d for batch in batches for d in batch])

    def can_deliver(self, kind: str) -> bool:
        return {
            kinds.LAMBDA: self.functions is not None,
            kinds.SQS: self.queues is not None,
            kinds.SNS: self.topics is not None,
            kinds.BUS: True,
        }.get(kind, False)

    async def add(self, deliveries: list[EventDelivery]) -> None:
        """Commit ``deliveries`` (durable on return) and wake the loop."""
        if deliveries:
            await self._commit.submit(deliveries)
            self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    # ---- the loop --------------------------------------------------------------------------

    async def step(self) -> None:
        self._wake.clear()  # before looking: an add() during the look wakes the wait
        now = _now_ms()
        due = await asyncio.to_thread(self.store.due_event_deliveries, now, BATCH)
        if not due:
            nxt = await asyncio.to_thread(self.store.next_event_delivery_ms)
            timeout = None if nxt is None else max(0.0, (nxt - _now_ms()) / 1000)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
            return
        outcomes = await asyncio.gather(*(self._attempt(d) for d in due))
        done = [d.delivery_id for d, o in zip(due, outcomes, strict=True) if o.done]
        retries = [
            (d.delivery_id, o.attempts, o.retry_at)
            for d, o in zip(due, outcomes, strict=True)
            if o.retry_at is not None
        ]
        added = [a for o in outcomes for a in (o.added or ())]
        await asyncio.to_thread(self.store.settle_event_deliveries, done, retries, added)

    async def _attempt(self, d: EventDelivery) -> _Outcome:
        target = json.loads(d.target)
        policy = target.get("RetryPolicy") or {}
        max_age_ms = policy.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE_S) * 1000
        max_age_ms *= self.time_scale
        if _now_ms() - d.first_ms > max_age_ms:
            failure = Failure("TIMEOUT", "The event is older than MaximumEventAgeInSeconds.", True)
            return await self._dead_letter(d, target, failure, "MaximumEventAgeInSeconds")
        try:
            added = await self._send(d, target)
        except Exception as e:
            failure = classify(e)
        else:
            return _Outcome(done=True, added=added)
        if not failure.retriable:
            return await self._dead_letter(d, target, failure, None)
        attempts = d.attempts + 1
        if attempts > policy.get("MaximumRetryAttempts", DEFAULT_RETRIES):
            return await self._dead_letter(d, target, failure, "MaximumRetryAttempts")
        low, high = BACKOFF_S
        delay_s = min(high, low * 2.0 ** (attempts - 1)) * random.uniform(0.5, 1.0)
        delay_ms = int(delay_s * 1000 * self.time_scale)
        if _now_ms() + delay_ms - d.first_ms > max_age_ms:
            return await self._dead_letter(d, target, failure, "MaximumEventAgeInSeconds")
        log.info(
            "event delivery %s to %s failed (%s: %s); retry %d in %.3fs",
            d.delivery_id,
            target["Arn"],
            failure.code,
            failure.message,
            attempts,
            delay_ms / 1000,
        )
        return _Outcome(retry_at=_now_ms() + delay_ms, attempts=attempts)

    async def _send(self, d: EventDelivery, target: dict[str, Any]) -> list[EventDelivery] | None:
        arn = target["Arn"]
        k = kinds.kind(arn)
        if k == kinds.LAMBDA and self.functions is not None:
            await self.functions.invoke_async(
                arn,
                d.payload.encode(),
                principal=PRINCIPAL,
                source_arn=d.rule_arn,
                source_account=self.account,
            )
            return None
        if k == kinds.SQS and self.queues is not None:
            group = (target.get("SqsParameters") or {}).get("MessageGroupId")
            await self.queues.send_message(arn, d.payload, None, message_group_id=group)
            return None
        if k == kinds.SNS and self.topics is not None:
            await self.topics.publish_message(arn, d.payload)
            return None
        if k == kinds.BUS:
            return self.forward(kinds.bus_name(arn), json.loads(d.event), d.hops + 1)
        raise Failure("NO_RESOURCE", f"{arn} is not a target this server delivers to.", False)

    async def _dead_letter(
        self, d: EventDelivery, target: dict[str, Any], failure: Failure, exhausted: str | None
    ) -> _Outcome:
        dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
        if not dlq or self.queues is None:
            log.warning(
                "event %s for %s dropped after %d retries (%s: %s): no dead-letter queue",
                d.delivery_id,
                target["Arn"],
                d.attempts,
                failure.code,
                failure.message,
            )
            return _Outcome(done=True)
        attributes = {
            "RULE_ARN": {"DataType": "String", "StringValue": d.rule_arn},
            "TARGET_ARN": {"DataType": "String", "StringValue": target["Arn"]},
            "ERROR_CODE": {"DataType": "String", "StringValue": failure.code},
            "ERROR_MESSAGE": {"DataType": "String", "StringValue": failure.message[:1024]},
            "RETRY_ATTEMPTS": {"DataType": "Number", "StringValue": str(d.attempts)},
        }
        if exhausted:
            attributes["EXHAUSTED_RETRY_CONDITION"] = {
                "DataType": "String",
                "StringValue": exhausted,
            }
        try:
            await self.queues.send_message(dlq, d.event, attributes)
        except (ApiError, DeliveryError) as e:  # the queue is gone: AWS drops the event too
            log.warning("event %s: dead-letter queue %s refused it (%s)", d.delivery_id, dlq, e)
            return _Outcome(done=True)
        except Exception:
            log.exception("event %s: dead-letter queue %s failed; will retry", d.delivery_id, dlq)
            return _Outcome(
                retry_at=_now_ms() + int(DLQ_RETRY_S * 1000 * self.time_scale), attempts=d.attempts
            )
        return _Outcome(done=True)

    def pending(self) -> int:
        return self.store.pending_event_deliveries()

"""Bucket notifications: the configuration (validated as S3 does), the S3 event records, and
the durable outbox's delivery loop.

Contract:
- ``NotificationRules.check`` refuses a configuration whose destinations do not exist or do not
  allow this bucket (a function whose resource policy has no statement for
  ``s3.amazonaws.com``; an unknown queue; topics until SNS is wired) with S3's InvalidArgument
  "Unable to validate the following destination configurations".
- ``events_for`` turns one object change into outbox rows (one per matching destination); the
  caller commits them in the transaction of the change, so an acknowledged change always has
  its notifications queued, whatever crashes after.
- ``Notifier.step`` delivers queued rows: Lambda by async invoke through ``FunctionTriggers``
  (principal ``s3.amazonaws.com``, source ARN the bucket's), SQS by ``QueueSink``. A delivered
  row is deleted; a failed one is retried with backoff (``max_attempts``), then dropped with a
  log line, as S3 gives up on a destination that keeps refusing. At-least-once: a crash between
  delivery and the delete delivers again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import quote_plus

from ovis.models.s3 import ObjectRecord
from ovis.protocols.model import service_model
from ovis.services.s3.buckets import bucket_arn, owner_id
from ovis.services.s3.errors import InvalidArgumentS3
from ovis.services.s3.repository import NewEvent, S3Repository

log = logging.getLogger(__name__)
PRINCIPAL = "s3.amazonaws.com"
_KINDS = (
    ("LambdaFunctionConfigurations", "LambdaFunctionArn", "lambda"),
    ("QueueConfigurations", "QueueArn", "sqs"),
    ("TopicConfigurations", "TopicArn", "sns"),
)


class FunctionTriggers(Protocol):
    """How S3 starts a function (``ovis.services.lambda_.triggers.ServiceTriggers``)."""

    async def invoke_async(
        self,
        function_arn: str,
        payload: bytes,
        *,
        principal: str | None,
        source_arn: str,
        source_account: str,
    ) -> str: ...

    def allows(
        self, function_arn: str, *, principal: str, source_arn: str, source_account: str
    ) -> bool: ...


class QueueSink(Protocol):
    """SQS in process (``ovis.services.sqs.QueueService``)."""

    def exists(self, queue_arn: str) -> bool: ...

    async def send_message(
        self, queue_arn: str, body: str, message_attributes: dict[str, Any] | None = None
    ) -> str: ...


class TopicSink(Protocol):
    """SNS in process (``TopicService``)."""

    def exists(self, topic_arn: str) -> bool: ...

    async def publish_message(
        self, topic_arn: str, message: str, *, subject: str | None = None
    ) -> str: ...


def _valid_events() -> frozenset[str]:
    return frozenset(service_model("s3").shape_for("Event").enum)


def event_matches(configured: str, name: str) -> bool:
    """Whether a configured event (``s3:ObjectCreated:*``) covers ``ObjectCreated:Put``."""
    full = f"s3:{name}"
    if configured.endswith(":*"):
        return full.startswith(configured[:-1])
    return configured == full


def _key_matches(rules: list[dict[str, Any]], key: str) -> bool:
    for r in rules:
        name = str(r.get("Name", "")).lower()
        value = str(r.get("Value", ""))
        if name == "prefix" and not key.startswith(value):
            return False
        if name == "suffix" and not key.endswith(value):
            return False
    return True


def _rules(cfg: Mapping[str, Any]) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = cfg.get("Filter", {}).get("Key", {}).get("FilterRules", [])
    return rules


def _iso(ms: int) -> str:
    dt = datetime.fromtimestamp(ms / 1000, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


class NotificationRules:
    def __init__(
        self,
        region: str,
        account_id: str,
        functions: FunctionTriggers | None,
        queues: QueueSink | None,
        topics: TopicSink | None = None,
    ) -> None:
        self.region = region
        self.account_id = account_id
        self.functions = functions
        self.queues = queues
        self.topics = topics

    def check(self, bucket: str, config: Mapping[str, Any]) -> dict[str, Any]:
        """The configuration as stored (ids filled in); InvalidArgument if it is not valid."""
        valid = _valid_events()
        out: dict[str, Any] = {}
        failed: dict[str, str] = {}
        n = 0
        for section, arn_member, kind in _KINDS:
            entries = []
            for cfg in config.get(section) or []:
                n += 1
                arn = cfg.get(arn_member, "")
                for ev in cfg.get("Events") or []:
                    if ev not in valid:
                        raise InvalidArgumentS3(
                            "The event is not supported for notifications",
                            ArgumentName="Event",
                            ArgumentValue=ev,
                        )
                for rule in _rules(cfg):
                    if str(rule.get("Name", "")).lower() not in ("prefix", "suffix"):
                        raise InvalidArgumentS3(
                            "filter rule name must be either prefix or suffix",
                            ArgumentName="FilterRule",
                            ArgumentValue=str(rule.get("Name")),
                        )
                reason = self._destination_problem(kind, arn, bucket)
                if reason:
                    failed[arn] = reason
                entries.append({**cfg, "Id": cfg.get("Id") or f"ovis-notification-{n}"})
            if entries:
                out[section] = entries
        if "EventBridgeConfiguration" in config:
            out["EventBridgeConfiguration"] = config["EventBridgeConfiguration"]
        if failed:
            extra: dict[str, str] = {}
            for i, (arn, reason) in enumerate(failed.items(), 1):
                extra[f"ArgumentName{i}"] = arn
                extra[f"ArgumentValue{i}"] = reason
            raise InvalidArgumentS3(
                "Unable to validate the following destination configurations", **extra
            )
        return out

    def _destination_problem(self, kind: str, arn: str, bucket: str) -> str:
        if kind == "lambda":
            ok = self.functions is not None and self.functions.allows(
                arn,
                principal=PRINCIPAL,
                source_arn=bucket_arn(bucket),
                source_account=self.account_id,
            )
            return "" if ok else f"Not authorized to invoke function [{arn}]"
        if kind == "sqs":
            ok = self.queues is not None and self.queues.exists(arn)
            return "" if ok else "Permissions on the destination queue do not allow S3 to publish"
        ok = self.topics is not None and self.topics.exists(arn)
        return "" if ok else "Permissions on the destination topic do not allow S3 to publish"

    def events_for(
        self,
        config: Mapping[str, Any],
        name: str,
        obj: ObjectRecord,
        request_id: str,
        principal: str,
        source_ip: str = "127.0.0.1",
    ) -> list[NewEvent]:
        """The outbox rows for event ``name`` (``ObjectCreated:Put``) on ``obj``."""
        out: list[NewEvent] = []
        for section, arn_member, kind in _KINDS:
            for cfg in config.get(section) or []:
                if not any(event_matches(e, name) for e in cfg.get("Events") or []):
                    continue
                if not _key_matches(_rules(cfg), obj.key):
                    continue
                body = self.record(cfg["Id"], name, obj, request_id, principal, source_ip)
                out.append((cfg[arn_member], kind, body))
        return out

    def record(
        self,
        configuration_id: str,
        name: str,
        obj: ObjectRecord,
        request_id: str,
        principal: str,
        source_ip: str,
    ) -> str:
        """AWS's S3 event message (one record), as JSON."""
        created = name.startswith("ObjectCreated")
        s3_object: dict[str, Any] = {"key": quote_plus(obj.key, safe="/")}
        if created:
            s3_object.update(size=obj.size, eTag=obj.etag.strip('"'))
        s3_object["sequencer"] = f"{time.time_ns():X}"
        record = {
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": self.region,
            "eventTime": _iso(obj.last_modified_ms if created else int(time.time() * 1000)),
            "eventName": name,
            "userIdentity": {"principalId": principal},
            "requestParameters": {"sourceIPAddress": source_ip},
            "responseElements": {"x-amz-request-id": request_id, "x-amz-id-2": request_id},
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": configuration_id,
                "bucket": {
                    "name": obj.bucket,
                    "ownerIdentity": {"principalId": owner_id(self.account_id)},
                    "arn": bucket_arn(obj.bucket),
                },
                "object": s3_object,
            },
        }
        return json.dumps({"Records": [record]})

    def test_event(self, bucket: str, request_id: str) -> str:
        """The ``s3:TestEvent`` S3 sends a queue or topic when a configuration is saved."""
        return json.dumps(
            {
                "Service": "Amazon S3",
                "Event": "s3:TestEvent",
                "Time": _iso(int(time.time() * 1000)),
                "Bucket": bucket,
                "RequestId": request_id,
                "HostId": request_id,
            }
        )


class Notifier:
    """Delivers the outbox. ``wake()`` after a commit that queued events; ``step()`` is one
    pass (it waits for work or a retry to come due)."""

    def __init__(
        self,
        repo: S3Repository,
        rules: NotificationRules,
        *,
        max_attempts: int = 8,
        retry_base_s: float = 1.0,
        idle_s: float = 5.0,
    ) -> None:
        self.repo = repo
        self.rules = rules
        self.max_attempts = max_attempts
        self.retry_base_s = retry_base_s
        self.idle_s = idle_s
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def step(self) -> None:
        now = int(time.time() * 1000)
        batch = await asyncio.to_thread(self.repo.outbox, now, 100)
        for ev in batch:
            try:
                await self._deliver(ev.kind, ev.destination, ev.body)
            except Exception as e:  # the destination refused: retry later, then give up
                if ev.attempts + 1 >= self.max_attempts:
                    log.warning("dropping S3 notification to %s: %s", ev.destination, e)
                    await asyncio.to_thread(self.repo.outbox_done, ev.id)
                else:
                    delay = self.retry_base_s * 2**ev.attempts
                    due = int((time.time() + delay) * 1000)
                    await asyncio.to_thread(self.repo.outbox_retry, ev.id, due)
                continue
            await asyncio.to_thread(self.repo.outbox_done, ev.id)
        if len(batch) < 100:
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), self.idle_s)
            except TimeoutError:
                pass

    async def _deliver(self, kind: str, destination: str, body: str) -> None:
        rules = self.rules
        if kind == "lambda":
            if rules.functions is None:
                raise RuntimeError("no Lambda service")
            bucket = json.loads(body)["Records"][0]["s3"]["bucket"]["arn"]
            await rules.functions.invoke_async(
                destination,
                body.encode(),
                principal=PRINCIPAL,
                source_arn=bucket,
                source_account=rules.account_id,
            )
        elif kind == "sqs":
            if rules.queues is None:
                raise RuntimeError("no SQS service")
            await rules.queues.send_message(destination, body)
        else:
            if rules.topics is None:
                raise RuntimeError("no SNS service")
            await rules.topics.publish_message(destination, body, subject="Amazon S3 Notification")

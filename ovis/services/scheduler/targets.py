"""Schedule targets: which ARNs a schedule may invoke, and delivering one fire to its target.

Templated targets: a Lambda function (an asynchronous invoke through ``FunctionTriggers`` with
``principal=None``: Scheduler invokes with its execution role, not a resource policy), an SQS
queue (``SqsParameters.MessageGroupId`` for FIFO queues; the fire's execution id is the FIFO
deduplication id, so a redelivery after a crash is deduplicated by the queue), an SNS topic and
an EventBridge event bus (through ``TopicSender`` / ``BusSender``, None until those
services exist in this server: such a target is then refused at CreateSchedule/UpdateSchedule).
``Input`` is sent as it is (``{}`` without one).

Contract: ``check`` validates a Target member (refusing what AWS refuses, with a clear
message) and answers it as stored, with RetryPolicy's defaults filled in. ``deliver`` hands
one fire to its target durably (each protocol's call is durable on return) or raises
``TargetFailed`` with an error code and message; ``dead_letter`` sends a fire to the
target's DeadLetterConfig queue with AWS's message attributes, or raises ``TargetFailed``.
"""

from __future__ import annotations

import re
from typing import Any

from ovis.errors import ApiError
from ovis.invoke.destinations import (
    BusSender,
    DeliveryError,
    FunctionTriggers,
    QueueSender,
    TopicSender,
)
from ovis.models.schedule import DEFAULT_MAX_EVENT_AGE_S, DEFAULT_MAX_RETRIES, Fire
from ovis.services.scheduler.errors import ValidationException

_LAMBDA = re.compile(
    r"^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:[a-zA-Z0-9_-]+(:[a-zA-Z0-9$_-]+)?$"
)
_SQS = re.compile(r"^arn:aws[a-zA-Z-]*:sqs:[a-z0-9-]+:\d{12}:[a-zA-Z0-9_-]{1,80}(\.fifo)?$")
_SNS = re.compile(r"^arn:aws[a-zA-Z-]*:sns:[a-z0-9-]+:\d{12}:[a-zA-Z0-9_-]{1,256}(\.fifo)?$")
_BUS = re.compile(r"^arn:aws[a-zA-Z-]*:events:[a-z0-9-]+:\d{12}:event-bus/[A-Za-z0-9._\-/]+$")

# Target parameters of targets this server does not implement.
_OTHER_PARAMETERS = (
    "EcsParameters",
    "KinesisParameters",
    "SageMakerPipelineParameters",
    "EventBridgePutEventsV2Parameters",
    "EventBridgePutRawEventsParameters",
)


class TargetFailed(Exception):
    """A delivery the target refused: ``code`` and ``message`` as the dead-letter event says."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _failure(e: Exception) -> TargetFailed:
    if isinstance(e, ApiError):
        return TargetFailed(e.code, e.message)
    text = str(e)
    code, sep, message = text.partition(": ")
    if sep and re.fullmatch(r"[A-Za-z.]+", code):
        return TargetFailed(code, message)
    return TargetFailed(type(e).__name__, text)


def kind_of(arn: str) -> str:
    """``lambda``, ``sqs``, ``sns``, ``events`` or "" (not a target this server knows)."""
    for kind, pattern in (("lambda", _LAMBDA), ("sqs", _SQS), ("sns", _SNS), ("events", _BUS)):
        if pattern.match(arn):
            return kind
    return ""


class Targets:
    def __init__(
        self,
        account: str,
        functions: FunctionTriggers | None,
        queues: QueueSender | None,
        topics: TopicSender | None = None,
        buses: BusSender | None = None,
    ) -> None:
        self.account = account
        self.functions = functions
        self.queues = queues
        self.topics = topics
        self.buses = buses

    # ---- validation --------------------------------------------------------------------

    def check(self, target: dict[str, Any]) -> dict[str, Any]:
        arn = target["Arn"]
        kind = kind_of(arn)
        available = {
            "lambda": self.functions,
            "sqs": self.queues,
            "sns": self.topics,
            "events": self.buses,
        }
        if not kind or available[kind] is None:
            raise ValidationException(
                f"Invalid target {arn}: this server's templated targets are Lambda functions, "
                "SQS queues"
                + (", SNS topics" if self.topics else "")
                + (" and EventBridge event buses" if self.buses else "")
                + "; universal targets are not supported."
            )
        for member in _OTHER_PARAMETERS:
            if member in target:
                raise ValidationException(f"{member} is not valid for target {arn}.")
        if "SqsParameters" in target and kind != "sqs":
            raise ValidationException("SqsParameters is only valid for an SQS queue target.")
        if "EventBridgeParameters" in target and kind != "events":
            raise ValidationException(
                "EventBridgeParameters is only valid for an EventBridge event bus target."
            )
        if kind == "events" and "EventBridgeParameters" not in target:
            raise ValidationException(
                "EventBridgeParameters (DetailType and Source) is required for an EventBridge "
                "event bus target."
            )
        group_id = (target.get("SqsParameters") or {}).get("MessageGroupId")
        if kind == "sqs" and arn.endswith(".fifo") and not group_id:
            raise ValidationException(
                "SqsParameters.MessageGroupId is required for a FIFO queue target."
            )
        dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
        if dlq is not None and dlq.endswith(".fifo"):
            raise ValidationException(
                "EventBridge Scheduler does not support a FIFO queue as a dead-letter queue."
            )
        out = dict(target)
        policy = dict(target.get("RetryPolicy") or {})
        policy.setdefault("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE_S)
        policy.setdefault("MaximumRetryAttempts", DEFAULT_MAX_RETRIES)
        out["RetryPolicy"] = policy
        return out

    # ---- delivery ----------------------------------------------------------------------

    async def deliver(self, fire: Fire) -> None:
        target = fire.target
        arn = target["Arn"]
        body = target.get("Input") or "{}"
        kind = kind_of(arn)
        try:
            if kind == "lambda" and self.functions is not None:
                await self.functions.invoke_async(
                    arn,
                    body.encode(),
                    principal=None,
                    source_arn=fire.schedule_arn,
                    source_account=self.account,
                )
            elif kind == "sqs" and self.queues is not None:
                fifo = arn.endswith(".fifo")
                group = (target.get("SqsParameters") or {}).get("MessageGroupId")
                await self.queues.send_message(
                    arn,
                    body,
                    message_group_id=group,
                    deduplication_id=fire.execution_id if fifo else None,
                )
            elif kind == "sns" and self.topics is not None:
                fifo = arn.endswith(".fifo")
                await self.topics.publish_message(
                    arn,
                    body,
                    group_id=fire.execution_id if fifo else None,
                    dedup_id=fire.execution_id if fifo else None,
                )
            elif kind == "events" and self.buses is not None:
                params = target["EventBridgeParameters"]
                await self.buses.put_event(
                    arn, params["Source"], params["DetailType"], body, [fire.schedule_arn]
                )
            else:
                raise TargetFailed("ValidationException", f"target {arn} is not available")
        except TargetFailed:
            raise
        except (DeliveryError, ApiError) as e:
            raise _failure(e) from e

    async def dead_letter(self, fire: Fire, failure: TargetFailed) -> bool:
        """Send ``fire`` to its DLQ; False when it has none. Raises TargetFailed."""
        dlq = (fire.target.get("DeadLetterConfig") or {}).get("Arn")
        if not dlq:
            return False
        if self.queues is None:
            raise TargetFailed("ValidationException", "this server has no queue service")

        def attr(value: str) -> dict[str, str]:
            return {"DataType": "String", "StringValue": value}

        attributes = {
            "ERROR_CODE": attr(failure.code),
            "ERROR_MESSAGE": attr(failure.message[:1024] or failure.code),
            "EXECUTION_ID": attr(fire.execution_id),
            "RETRY_ATTEMPTS": attr(str(max(fire.attempts - 1, 0))),
            "SCHEDULE_ARN": attr(fire.schedule_arn),
            "TARGET_ARN": attr(fire.target["Arn"]),
        }
        try:
            await self.queues.send_message(dlq, fire.target.get("Input") or "{}", attributes)
        except (DeliveryError, ApiError) as e:
            raise _failure(e) from e
        return True

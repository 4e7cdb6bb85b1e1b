"""Rule targets: which ARNs this server delivers to, PutTargets' checks, and the in-process
services that take deliveries (declared here as protocols; the composition root passes them).

Kinds: a Lambda function (``FunctionTriggers.invoke_async``: a durable async invoke checked
against the function's resource policy for ``events.amazonaws.com`` and the rule's ARN), an SQS
queue (``QueueSender.send_message``; FIFO queues need SqsParameters.MessageGroupId), an SNS topic
(``TopicSender.publish_message``; without an SNS service, refused at PutTargets as an
unknown resource) and an event bus of this server (the event is put on it).
"""

from __future__ import annotations

import json
import re
from typing import Any

from ovis.services.events.errors import ValidationException
from ovis.services.events.input_transform import check_path, check_transformer

MAX_TARGETS_PER_RULE = 5
LAMBDA = "lambda"
SQS = "sqs"
SNS = "sns"
BUS = "event-bus"

_ARN = re.compile(r"arn:aws[a-z-]*:([a-z0-9-]+):([a-z0-9-]*):(\d{12})?:(.+)")
_FUNCTION = re.compile(r"function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]{1,128})?")
_QUEUE = re.compile(r"[A-Za-z0-9_-]{1,80}(\.fifo)?")
_TOPIC = re.compile(r"[A-Za-z0-9_-]{1,256}(\.fifo)?")
_BUS = re.compile(r"event-bus/([A-Za-z0-9._-]{1,256})")


def kind(arn: str) -> str | None:
    """The kind of target ``arn`` names (LAMBDA, SQS, SNS, BUS), None if none we deliver to."""
    m = _ARN.fullmatch(arn)
    if m is None:
        return None
    service, resource = m.group(1), m.group(4)
    if service == "lambda" and _FUNCTION.fullmatch(resource):
        return LAMBDA
    if service == "sqs" and _QUEUE.fullmatch(resource):
        return SQS
    if service == "sns" and _TOPIC.fullmatch(resource):
        return SNS
    if service == "events" and _BUS.fullmatch(resource):
        return BUS
    return None


def bus_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def check_target(target: dict[str, Any]) -> None:
    """Refuse a target whose settings are not valid (the whole PutTargets, as AWS does)."""
    tid, arn = target["Id"], target["Arn"]
    if _ARN.fullmatch(arn) is None:
        raise ValidationException(
            f"Parameter {arn} is not valid. Reason: Provided Arn is not in correct format."
        )
    given = [k for k in ("Input", "InputPath", "InputTransformer") if k in target]
    if len(given) > 1:
        raise ValidationException(
            f"Only one of Input, InputPath, or InputTransformer must be provided for target {tid}."
        )
    if "Input" in target:
        try:
            json.loads(target["Input"])
        except ValueError:
            raise ValidationException(
                f"Parameter Input is not valid for target {tid}. Reason: Input is not valid "
                "JSON text."
            ) from None
    if "InputPath" in target:
        check_path(target["InputPath"], "InputPath")
    if "InputTransformer" in target:
        check_transformer(target["InputTransformer"])
    group = (target.get("SqsParameters") or {}).get("MessageGroupId")
    if kind(arn) == SQS and arn.endswith(".fifo") and not group:
        raise ValidationException(
            f"Parameter(s) SqsParameters must be specified for target: {tid}."
        )
    dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
    if dlq is not None and kind(dlq) != SQS:
        raise ValidationException(
            f"Parameter {dlq} is not valid. Reason: DeadLetterConfig.Arn must be the ARN of an "
            "SQS queue."
        )

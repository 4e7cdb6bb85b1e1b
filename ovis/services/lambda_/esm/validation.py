"""AWS's checks of event source mapping requests, with AWS's messages where they are known.

The codec already enforced the model (types, enums, ranges such as BatchSize 1-10,000 or
ParallelizationFactor 1-10); what is here depends on the source kind, on the queue or stream
and on the function. Every check raises before anything is stored. Messages quoted from AWS:
the queue visibility, batch window, FIFO window, StartingPosition, record age, destination and
missing-source messages; the others are written in AWS's style.
"""

from __future__ import annotations

import re

from ovis.errors import InvalidEventPatternException, InvalidParameterValueException
from ovis.models.event_pattern import compile_pattern
from ovis.models.event_source import QueueInfo
from ovis.models.event_source_mapping import EventSourceMapping, SourceKind
from ovis.services.lambda_.esm.commands import CreateMapping, MappingSettings, stream_members_given

MAX_FILTERS = 5
MAX_QUEUE_BATCH_WITHOUT_WINDOW = 10
MAX_FIFO_BATCH = 10
STREAM_KINDS = (SourceKind.KINESIS, SourceKind.DYNAMODB)

_QUEUE_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:sqs:[a-z0-9-]+:\d{12}:[a-zA-Z0-9_-]{1,80}(\.fifo)?$")
_TOPIC_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:sns:[a-z0-9-]+:\d{12}:[a-zA-Z0-9_-]{1,256}(\.fifo)?$")


def invalid(message: str) -> InvalidParameterValueException:
    return InvalidParameterValueException(message)


def unsupported(member: str) -> InvalidParameterValueException:
    return invalid(f"Unsupported {member} parameter for given event source mapping type.")


# ---- the source -----------------------------------------------------------------------------


def unrecognized_source(arn: str | None) -> InvalidParameterValueException:
    if not arn:
        return invalid("Unrecognized event source.")
    return invalid(
        "Unrecognized event source, must be kinesis, dynamodb stream or sqs. "
        f"Unsupported source arn : {arn}"
    )


def queue_not_found() -> InvalidParameterValueException:
    return invalid(
        "Error occurred while ReceiveMessage. SQS Error Code: "
        "AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does "
        "not exist or you do not have access to it."
    )


def stream_not_found(arn: str) -> InvalidParameterValueException:
    return invalid(f"Stream not found: {arn}")


# ---- settings shared by create and update ---------------------------------------------------


def check_settings(s: MappingSettings, kind: SourceKind) -> None:
    """Checks of the given settings alone (what they are allowed to be for this kind)."""
    if s.unsupported:
        raise unsupported(s.unsupported[0])
    if kind == SourceKind.SQS:
        given = stream_members_given(s)
        if given:
            raise unsupported(given[0])
    else:
        if s.scaling_given:
            raise unsupported("ScalingConfig")
    if s.maximum_record_age_s is not None and not (
        s.maximum_record_age_s == -1 or 60 <= s.maximum_record_age_s <= 604800
    ):
        raise invalid(
            "MaximumRecordAgeInSeconds must be either -1 (forever) or between 60 and 604800 "
            "(inclusive)"
        )
    if s.destinations is not None:
        if s.destinations.on_success_given:
            raise invalid(
                "Unsupported DestinationConfig parameter for given event source mapping type."
            )
        if s.destinations.on_failure is not None:
            check_failure_destination(s.destinations.on_failure, kind)
    if s.filter_patterns is not None:
        check_filters(s.filter_patterns)


def check_failure_destination(arn: str, kind: SourceKind) -> None:
    if _QUEUE_ARN.match(arn):
        if arn.endswith(".fifo"):
            raise invalid(
                f"The provided destination config is invalid: {arn} is a FIFO queue; failed "
                "records can only be sent to a standard queue."
            )
        return
    if kind in STREAM_KINDS and _TOPIC_ARN.match(arn) and not arn.endswith(".fifo"):
        return
    allowed = (
        "an Amazon SQS queue"
        if kind == SourceKind.SQS
        else "an Amazon SQS queue or Amazon SNS topic"
    )
    raise invalid(
        f"The provided destination config is invalid: {arn} is not {allowed} ARN "
        "(DestinationConfig.OnFailure.Destination)."
    )


def check_filters(patterns: tuple[str, ...]) -> None:
    if len(patterns) > MAX_FILTERS:
        raise invalid(
            f"Invalid filter criteria: {len(patterns)} filters were given; FilterCriteria "
            f"holds at most {MAX_FILTERS}."
        )
    for text in patterns:
        if not text:
            raise invalid("Invalid filter pattern definition. Reason: the pattern is empty.")
        try:
            compile_pattern(text)
        except InvalidEventPatternException as e:
            reason = e.message.removeprefix("Event pattern is not valid. ")
            raise invalid(f"Invalid filter pattern definition. {reason}") from None


# ---- create-only parameters -----------------------------------------------------------------


def check_create(cmd: CreateMapping, kind: SourceKind) -> None:
    if kind == SourceKind.SQS:
        if cmd.starting_position is not None:
            raise invalid("StartingPosition is not valid for SQS event sources.")
        if cmd.starting_position_timestamp is not None:
            raise unsupported("StartingPositionTimestamp")
        return
    if cmd.starting_position is None:
        raise invalid(
            "1 validation error detected: Value null at 'startingPosition' failed to satisfy "
            "constraint: Member must not be null."
        )
    if kind == SourceKind.DYNAMODB and cmd.starting_position == "AT_TIMESTAMP":
        raise invalid(f"Unsupported starting position for arn type: {cmd.event_source_arn}")
    if cmd.starting_position == "AT_TIMESTAMP" and cmd.starting_position_timestamp is None:
        raise invalid(
            "StartingPositionTimestamp is required when StartingPosition is AT_TIMESTAMP."
        )
    if cmd.starting_position != "AT_TIMESTAMP" and cmd.starting_position_timestamp is not None:
        raise invalid(
            "StartingPositionTimestamp is only valid when StartingPosition is AT_TIMESTAMP."
        )


# ---- the resulting mapping ------------------------------------------------------------------


def check_mapping(m: EventSourceMapping, queue: QueueInfo | None, function_timeout_s: int) -> None:
    """Checks of the mapping a create or update would store (settings combined with the
    defaults or the stored values), against its queue (None: not a queue, or gone)."""
    if m.source != SourceKind.SQS or queue is None:
        return
    if queue.fifo:
        if m.maximum_batching_window_s > 0:
            raise invalid("Batching window is not supported for FIFO queues")
        if m.batch_size > MAX_FIFO_BATCH:
            raise invalid(
                f"Maximum batch size must be between 1 and {MAX_FIFO_BATCH} inclusive for "
                "FIFO queues"
            )
    elif m.batch_size > MAX_QUEUE_BATCH_WITHOUT_WINDOW and m.maximum_batching_window_s == 0:
        raise invalid(
            "Maximum batch window in seconds must be greater than 0 if maximum batch size is "
            "greater than 10"
        )
    if queue.visibility_timeout_s < function_timeout_s:
        raise invalid(
            f"Queue visibility timeout: {queue.visibility_timeout_s} seconds is less than "
            f"Function timeout: {function_timeout_s} seconds"
        )

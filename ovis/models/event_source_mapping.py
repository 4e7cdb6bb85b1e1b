"""Event source mappings as the store keeps them (the Lambda API's EventSourceMappingConfiguration).

A mapping is immutable: every change (update, a state transition) stores a new value with
``dataclasses.replace``. ``state`` is what GetEventSourceMapping reports; ``enabled`` is what
the user asked for (``Enabled``), which the runner moves ``state`` towards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class MappingState(StrEnum):
    CREATING = "Creating"
    ENABLING = "Enabling"
    ENABLED = "Enabled"
    DISABLING = "Disabling"
    DISABLED = "Disabled"
    UPDATING = "Updating"
    DELETING = "Deleting"


class SourceKind(StrEnum):
    SQS = "sqs"
    KINESIS = "kinesis"
    DYNAMODB = "dynamodb"  # DynamoDB streams (a later issue)


def source_kind(event_source_arn: str) -> SourceKind | None:
    """The kind of source an ARN names (its service field), or None if we have no such source."""
    parts = event_source_arn.split(":")
    if len(parts) < 6:
        return None
    try:
        return SourceKind(parts[2])
    except ValueError:
        return None


@dataclass(frozen=True)
class EventSourceMapping:
    uuid: str
    function_arn: str  # as AWS reports it: qualified when a version or alias was named
    event_source_arn: str
    batch_size: int
    maximum_batching_window_s: int
    state: MappingState
    enabled: bool
    last_modified: float  # epoch seconds
    state_transition_reason: str = "USER_INITIATED"
    last_processing_result: str = "No records processed"
    # stream sources
    starting_position: str | None = None  # TRIM_HORIZON | LATEST | AT_TIMESTAMP
    starting_position_timestamp: float | None = None  # epoch seconds (AT_TIMESTAMP)
    parallelization_factor: int | None = None
    maximum_record_age_s: int | None = None  # -1: infinite
    bisect_batch_on_function_error: bool | None = None
    maximum_retry_attempts: int | None = None  # -1: infinite
    tumbling_window_s: int | None = None
    on_failure_destination: str | None = None  # DestinationConfig.OnFailure.Destination
    # every source
    filter_patterns: tuple[str, ...] = ()  # FilterCriteria.Filters[].Pattern, as given
    function_response_types: tuple[str, ...] = ()  # ("ReportBatchItemFailures",) or ()
    scaling_maximum_concurrency: int | None = None  # ScalingConfig.MaximumConcurrency (SQS)
    metrics: tuple[str, ...] = ()  # MetricsConfig.Metrics ("EventCount")
    kms_key_arn: str | None = None
    extra: dict[str, str] = field(default_factory=dict)  # reserved for future fields

    @property
    def source(self) -> SourceKind | None:
        return source_kind(self.event_source_arn)

    @property
    def reports_item_failures(self) -> bool:
        return "ReportBatchItemFailures" in self.function_response_types

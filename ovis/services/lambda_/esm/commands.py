"""Typed commands of the event source mapping API, built by ``esm_ops`` from the validated
wire parameters (wire names stop at the handlers).

Conventions (as ``ovis.services.lambda_.commands``): immutable values; ``None`` means "not
given". Settings a user may clear on update (filters, destination, scaling) carry their own
"given" marker: ``filter_patterns=()`` clears the filters, ``None`` leaves them alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ovis.protocols.timestamps import to_datetime


@dataclass(frozen=True, slots=True)
class Destinations:
    """DestinationConfig as given: each member None when absent or without a Destination."""

    on_success: str | None = None
    on_success_given: bool = False
    on_failure: str | None = None


@dataclass(frozen=True, slots=True)
class MappingSettings:
    """The settings CreateEventSourceMapping and UpdateEventSourceMapping share."""

    enabled: bool | None = None
    batch_size: int | None = None
    maximum_batching_window_s: int | None = None
    filter_patterns: tuple[str, ...] | None = None  # FilterCriteria.Filters[].Pattern
    filters_given_count: int = 0  # how many filters were sent (AWS limits them to 5)
    function_response_types: tuple[str, ...] | None = None
    scaling_given: bool = False
    scaling_maximum_concurrency: int | None = None
    metrics: tuple[str, ...] | None = None
    kms_key_arn: str | None = None
    destinations: Destinations | None = None
    # stream sources
    parallelization_factor: int | None = None
    maximum_record_age_s: int | None = None
    bisect_batch_on_function_error: bool | None = None
    maximum_retry_attempts: int | None = None
    tumbling_window_s: int | None = None
    # members this server does not implement (Kafka, MQ, DocumentDB, provisioned pollers):
    # refused by validation with their wire names
    unsupported: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CreateMapping:
    function_name: str
    event_source_arn: str | None
    settings: MappingSettings
    starting_position: str | None = None
    starting_position_timestamp: float | None = None  # epoch seconds
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class UpdateMapping:
    uuid: str
    settings: MappingSettings
    function_name: str | None = None


def _patterns(criteria: Mapping[str, Any] | None) -> tuple[tuple[str, ...] | None, int]:
    if criteria is None:
        return None, 0
    filters = criteria.get("Filters") or []
    return tuple(str((f or {}).get("Pattern") or "") for f in filters), len(filters)


_STREAM_MEMBERS = {
    "ParallelizationFactor": "parallelization_factor",
    "MaximumRecordAgeInSeconds": "maximum_record_age_s",
    "BisectBatchOnFunctionError": "bisect_batch_on_function_error",
    "MaximumRetryAttempts": "maximum_retry_attempts",
    "TumblingWindowInSeconds": "tumbling_window_s",
}
_UNSUPPORTED = (
    "Topics",
    "Queues",
    "SourceAccessConfigurations",
    "SelfManagedEventSource",
    "AmazonManagedKafkaEventSourceConfig",
    "SelfManagedKafkaEventSourceConfig",
    "DocumentDBEventSourceConfig",
    "ProvisionedPollerConfig",
)


def settings_of(p: Mapping[str, Any]) -> MappingSettings:
    patterns, count = _patterns(p.get("FilterCriteria"))
    dest = p.get("DestinationConfig")
    destinations = None
    if dest is not None:
        destinations = Destinations(
            on_success=(dest.get("OnSuccess") or {}).get("Destination") or None,
            on_success_given="OnSuccess" in dest,
            on_failure=(dest.get("OnFailure") or {}).get("Destination") or None,
        )
    scaling = p.get("ScalingConfig")
    metrics = p.get("MetricsConfig")
    rtypes = p.get("FunctionResponseTypes")
    return MappingSettings(
        enabled=p.get("Enabled"),
        batch_size=p.get("BatchSize"),
        maximum_batching_window_s=p.get("MaximumBatchingWindowInSeconds"),
        filter_patterns=patterns,
        filters_given_count=count,
        function_response_types=None if rtypes is None else tuple(rtypes),
        scaling_given=scaling is not None,
        scaling_maximum_concurrency=(scaling or {}).get("MaximumConcurrency"),
        metrics=None if metrics is None else tuple(metrics.get("Metrics") or ()),
        kms_key_arn=p.get("KMSKeyArn"),
        destinations=destinations,
        **{attr: p.get(member) for member, attr in _STREAM_MEMBERS.items()},
        unsupported=tuple(m for m in _UNSUPPORTED if p.get(m) not in (None, [], {})),
    )


def stream_members_given(s: MappingSettings) -> list[str]:
    """The wire names of the stream-only settings given (refused on queue mappings)."""
    return [member for member, attr in _STREAM_MEMBERS.items() if getattr(s, attr) is not None]


def _timestamp(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    return to_datetime(value).timestamp()


def create_command(p: Mapping[str, Any]) -> CreateMapping:
    return CreateMapping(
        function_name=p["FunctionName"],
        event_source_arn=p.get("EventSourceArn"),
        settings=settings_of(p),
        starting_position=p.get("StartingPosition"),
        starting_position_timestamp=_timestamp(p.get("StartingPositionTimestamp")),
        tags=dict(p.get("Tags") or {}),
    )


def update_command(p: Mapping[str, Any]) -> UpdateMapping:
    return UpdateMapping(
        uuid=p["UUID"], settings=settings_of(p), function_name=p.get("FunctionName")
    )

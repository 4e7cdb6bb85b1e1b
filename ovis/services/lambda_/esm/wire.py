"""A mapping as the API reports it (EventSourceMappingConfiguration).

As AWS: every mapping reports its identity, state and batching; queue mappings report
neither stream settings nor a LastProcessingResult until their poller has one; stream
mappings report every stream setting with its default and ``DestinationConfig.OnFailure``
even when empty.
"""

from __future__ import annotations

from typing import Any

from ovis.models.event_source_mapping import EventSourceMapping, SourceKind

NO_RECORDS = "No records processed"


def render(m: EventSourceMapping, arn: str, last_result: str | None = None) -> dict[str, Any]:
    result = last_result if last_result is not None else m.last_processing_result
    out: dict[str, Any] = {
        "UUID": m.uuid,
        "EventSourceMappingArn": arn,
        "EventSourceArn": m.event_source_arn,
        "FunctionArn": m.function_arn,
        "BatchSize": m.batch_size,
        "MaximumBatchingWindowInSeconds": m.maximum_batching_window_s,
        "FunctionResponseTypes": list(m.function_response_types),
        "LastModified": m.last_modified,
        "State": m.state.value,
        "StateTransitionReason": m.state_transition_reason,
    }
    if m.filter_patterns:
        out["FilterCriteria"] = {"Filters": [{"Pattern": p} for p in m.filter_patterns]}
    if m.scaling_maximum_concurrency is not None:
        out["ScalingConfig"] = {"MaximumConcurrency": m.scaling_maximum_concurrency}
    if m.metrics:
        out["MetricsConfig"] = {"Metrics": list(m.metrics)}
    if m.kms_key_arn:
        out["KMSKeyArn"] = m.kms_key_arn
    failure = {"Destination": m.on_failure_destination} if m.on_failure_destination else {}
    if m.source == SourceKind.SQS:
        if failure:
            out["DestinationConfig"] = {"OnFailure": failure}
        if result != NO_RECORDS:
            out["LastProcessingResult"] = result
        return out
    out.update(
        {
            "StartingPosition": m.starting_position,
            "ParallelizationFactor": m.parallelization_factor,
            "MaximumRecordAgeInSeconds": m.maximum_record_age_s,
            "BisectBatchOnFunctionError": m.bisect_batch_on_function_error,
            "MaximumRetryAttempts": m.maximum_retry_attempts,
            "TumblingWindowInSeconds": m.tumbling_window_s,
            "DestinationConfig": {"OnFailure": failure},
            "LastProcessingResult": result,
        }
    )
    if m.starting_position_timestamp is not None:
        out["StartingPositionTimestamp"] = m.starting_position_timestamp
    return out

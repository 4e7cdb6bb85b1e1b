"""AWS's checks of CreateEventSourceMapping / UpdateEventSourceMapping, through MappingService
with in-memory collaborators: defaults per source kind, the checks and their messages, and
that a refused request stores nothing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from ovis.errors import (
    ApiError,
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from ovis.models.alias import Alias
from ovis.models.event_source_mapping import MappingState
from ovis.services.lambda_.esm.commands import update_command
from ovis.services.lambda_.esm.mappings import MappingService
from tests.unit.services.esm.fakes import (
    ACCOUNT,
    DLQ,
    FIFO,
    FN_ARN,
    QUEUE,
    STREAM,
    TOPIC,
    Store,
    Streams,
    config,
    create,
    service,
)


def refused(
    svc: MappingService, exc: type[ApiError] = InvalidParameterValueException, /, **p: Any
) -> str:
    before = dict(svc.mappings)
    with pytest.raises(exc) as e:
        create(svc, **p)
    assert svc.mappings == before  # nothing stored or shown
    return e.value.message


def update(svc: MappingService, uuid: str, **p: Any) -> Any:
    return asyncio.run(svc.update(update_command({"UUID": uuid, **p})))


@pytest.fixture
def svc(tmp_path: Path) -> MappingService:
    return service(tmp_path, streams=Streams(STREAM))


# ---- defaults and the rendered shape ---------------------------------------------------------


def test_queue_mapping_defaults_and_shape(svc: MappingService) -> None:
    m = create(svc, EventSourceArn=QUEUE)
    assert (m.batch_size, m.maximum_batching_window_s, m.state, m.enabled) == (
        10, 0, MappingState.CREATING, True,
    )  # fmt: skip
    out = svc.render(m)
    assert (
        out["EventSourceMappingArn"]
        == f"arn:aws:lambda:us-east-1:{ACCOUNT}:event-source-mapping:{m.uuid}"
    )
    assert out["FunctionArn"] == FN_ARN and out["StateTransitionReason"] == "USER_INITIATED"
    assert out["FunctionResponseTypes"] == []
    for stream_only in ("StartingPosition", "ParallelizationFactor", "MaximumRetryAttempts",
                        "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError",
                        "TumblingWindowInSeconds", "DestinationConfig", "LastProcessingResult"):  # fmt: skip
        assert stream_only not in out


def test_stream_mapping_defaults_and_shape(svc: MappingService) -> None:
    m = create(svc, EventSourceArn=STREAM, StartingPosition="TRIM_HORIZON")
    out = svc.render(m)
    assert {k: out[k] for k in (
        "BatchSize", "MaximumBatchingWindowInSeconds", "StartingPosition", "ParallelizationFactor",
        "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError", "MaximumRetryAttempts",
        "TumblingWindowInSeconds", "DestinationConfig", "LastProcessingResult")} == {
        "BatchSize": 100, "MaximumBatchingWindowInSeconds": 0, "StartingPosition": "TRIM_HORIZON",
        "ParallelizationFactor": 1, "MaximumRecordAgeInSeconds": -1,
        "BisectBatchOnFunctionError": False, "MaximumRetryAttempts": -1,
        "TumblingWindowInSeconds": 0, "DestinationConfig": {"OnFailure": {}},
        "LastProcessingResult": "No records processed",
    }  # fmt: skip
    assert out["StateTransitionReason"] == "User action"  # SQS says USER_INITIATED


def test_at_timestamp_keeps_its_timestamp(svc: MappingService) -> None:
    m = create(svc, EventSourceArn=STREAM, StartingPosition="AT_TIMESTAMP",
               StartingPositionTimestamp=1700000000)  # fmt: skip
    assert svc.render(m)["StartingPositionTimestamp"] == 1700000000.0


def test_function_arn_is_qualified_when_a_qualifier_was_named(tmp_path: Path) -> None:
    svc = service(tmp_path, config(), config(version="1"), aliases=(Alias("fn", "live", "1", "r"),))
    assert (
        create(svc, FunctionName="fn:live", EventSourceArn=QUEUE).function_arn == FN_ARN + ":live"
    )
    assert (
        create(svc, FunctionName=f"{FN_ARN}:1", EventSourceArn=QUEUE).function_arn == FN_ARN + ":1"
    )
    assert (
        create(svc, FunctionName=f"{ACCOUNT}:function:fn", EventSourceArn=QUEUE).function_arn
        == FN_ARN
    )
    with pytest.raises(ResourceNotFoundException):
        create(svc, FunctionName="fn:nope", EventSourceArn=QUEUE)


def test_given_settings_are_kept(svc: MappingService) -> None:
    pattern = json.dumps({"body": {"kind": ["order"]}})
    m = create(svc, EventSourceArn=QUEUE, BatchSize=500, MaximumBatchingWindowInSeconds=5,
               FilterCriteria={"Filters": [{"Pattern": pattern}]},
               FunctionResponseTypes=["ReportBatchItemFailures"],
               ScalingConfig={"MaximumConcurrency": 5}, Enabled=False)  # fmt: skip
    out = svc.render(m)
    assert (out["BatchSize"], out["MaximumBatchingWindowInSeconds"]) == (500, 5)
    assert out["FilterCriteria"] == {"Filters": [{"Pattern": pattern}]}
    assert out["ScalingConfig"] == {"MaximumConcurrency": 5}
    assert m.reports_item_failures and not m.enabled


# ---- the source -------------------------------------------------------------------------------


def test_sources_must_exist_and_be_supported(tmp_path: Path, svc: MappingService) -> None:
    assert refused(svc, EventSourceArn=QUEUE + "-gone").startswith(
        "Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue."
    )
    gone = STREAM + "-gone"
    assert (
        refused(svc, EventSourceArn=gone, StartingPosition="LATEST") == f"Stream not found: {gone}"
    )
    no_streams = service(tmp_path)  # no stream service on this server: no stream exists
    assert (
        refused(no_streams, EventSourceArn=STREAM, StartingPosition="LATEST")
        == f"Stream not found: {STREAM}"
    )
    s3 = "arn:aws:s3:::bucket"
    assert "Unsupported source arn : " + s3 in refused(svc, EventSourceArn=s3)
    assert refused(svc) == "Unrecognized event source."
    ddb = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t/stream/2024"
    assert "not supported by this server yet" in refused(
        svc, EventSourceArn=ddb, StartingPosition="LATEST"
    )


def test_the_function_must_exist(svc: MappingService) -> None:
    assert refused(svc, FunctionName="other", EventSourceArn=QUEUE) == "Function does not exist"


def test_one_mapping_per_function_and_source(svc: MappingService) -> None:
    first = create(svc, EventSourceArn=QUEUE)
    msg = refused(svc, ResourceConflictException, EventSourceArn=QUEUE)
    assert msg == (
        f'An event source mapping with SQS arn (" {QUEUE} ") and function (" fn ") already '
        f"exists. Please update or delete the existing mapping with UUID {first.uuid}"
    )
    stream = create(svc, EventSourceArn=STREAM, StartingPosition="LATEST")
    msg = refused(svc, ResourceConflictException, EventSourceArn=STREAM, StartingPosition="LATEST")
    assert msg == (
        f'The event source arn (" {STREAM} ") and function (" fn ") provided mapping already '
        f"exists. Please update or delete the existing mapping with UUID {stream.uuid}"
    )


def test_a_store_conflict_is_a_conflict(tmp_path: Path) -> None:
    store = Store()
    svc = service(tmp_path, store=store)
    other = create(svc, EventSourceArn=QUEUE)
    svc.mappings.clear()  # as if another process had created it: only the store knows
    assert other.uuid in store.rows
    refused(svc, ResourceConflictException, EventSourceArn=QUEUE)


# ---- queues -----------------------------------------------------------------------------------


def test_queue_batch_over_10_needs_a_window(svc: MappingService) -> None:
    assert refused(svc, EventSourceArn=QUEUE, BatchSize=11) == (
        "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"
    )
    assert (
        create(
            svc, EventSourceArn=QUEUE, BatchSize=10000, MaximumBatchingWindowInSeconds=1
        ).batch_size
        == 10000
    )


def test_fifo_queues_allow_10_and_no_window(svc: MappingService) -> None:
    assert refused(svc, EventSourceArn=FIFO, BatchSize=5, MaximumBatchingWindowInSeconds=1) == (
        "Batching window is not supported for FIFO queues"
    )
    assert "between 1 and 10" in refused(svc, EventSourceArn=FIFO, BatchSize=11)
    assert create(svc, EventSourceArn=FIFO, BatchSize=10).batch_size == 10


def test_queue_visibility_must_cover_the_function_timeout(tmp_path: Path) -> None:
    svc = service(tmp_path, config(timeout=60))
    assert refused(svc, EventSourceArn=QUEUE) == (
        "Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds"
    )


def test_queue_mappings_refuse_stream_settings(svc: MappingService) -> None:
    assert refused(svc, EventSourceArn=QUEUE, StartingPosition="LATEST") == (
        "StartingPosition is not valid for SQS event sources."
    )
    for member, value in (("ParallelizationFactor", 2), ("MaximumRetryAttempts", 1),
                          ("MaximumRecordAgeInSeconds", 60), ("BisectBatchOnFunctionError", True),
                          ("TumblingWindowInSeconds", 10)):  # fmt: skip
        assert refused(svc, EventSourceArn=QUEUE, **{member: value}) == (
            f"Unsupported {member} parameter for given event source mapping type."
        )
    assert "Topics" in refused(svc, EventSourceArn=QUEUE, Topics=["t"])


def test_destinations(svc: MappingService) -> None:
    assert refused(
        svc, EventSourceArn=QUEUE, DestinationConfig={"OnSuccess": {"Destination": DLQ}}
    ) == ("Unsupported DestinationConfig parameter for given event source mapping type.")
    assert "is not an Amazon SQS queue ARN" in refused(
        svc, EventSourceArn=QUEUE, DestinationConfig={"OnFailure": {"Destination": TOPIC}}
    )
    m = create(svc, EventSourceArn=STREAM, StartingPosition="LATEST",
               DestinationConfig={"OnFailure": {"Destination": TOPIC}})  # fmt: skip
    assert svc.render(m)["DestinationConfig"] == {"OnFailure": {"Destination": TOPIC}}
    fn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:other"
    assert "is not an Amazon SQS queue or Amazon SNS topic ARN" in refused(
        svc, FunctionName="fn:$LATEST", EventSourceArn=STREAM, StartingPosition="LATEST",
        DestinationConfig={"OnFailure": {"Destination": fn}},
    )  # fmt: skip


# ---- streams ----------------------------------------------------------------------------------


def test_streams_need_a_starting_position(svc: MappingService) -> None:
    assert "Value null at 'startingPosition'" in refused(svc, EventSourceArn=STREAM)
    assert "StartingPositionTimestamp is required" in refused(
        svc, EventSourceArn=STREAM, StartingPosition="AT_TIMESTAMP"
    )
    assert "only valid when StartingPosition is AT_TIMESTAMP" in refused(
        svc, EventSourceArn=STREAM, StartingPosition="LATEST", StartingPositionTimestamp=1
    )


def test_record_age_is_infinite_or_at_least_a_minute(svc: MappingService) -> None:
    for age in (0, 59):
        assert refused(svc, EventSourceArn=STREAM, StartingPosition="LATEST",
                       MaximumRecordAgeInSeconds=age) == (
            "MaximumRecordAgeInSeconds must be either -1 (forever) or between 60 and 604800 (inclusive)"
        )  # fmt: skip
    assert refused(svc, EventSourceArn=STREAM, StartingPosition="LATEST",
                   ScalingConfig={"MaximumConcurrency": 2}) == (
        "Unsupported ScalingConfig parameter for given event source mapping type."
    )  # fmt: skip
    m = create(svc, EventSourceArn=STREAM, StartingPosition="LATEST", MaximumRecordAgeInSeconds=60,
               MaximumRetryAttempts=10000, ParallelizationFactor=10, TumblingWindowInSeconds=900,
               BisectBatchOnFunctionError=True)  # fmt: skip
    assert (m.maximum_record_age_s, m.maximum_retry_attempts, m.parallelization_factor) == (
        60,
        10000,
        10,
    )
    assert (m.tumbling_window_s, m.bisect_batch_on_function_error) == (900, True)


# ---- filters ----------------------------------------------------------------------------------


def test_filters_are_compiled_and_limited(svc: MappingService) -> None:
    ok = json.dumps({"body": {"n": [{"numeric": [">", 1]}]}})
    assert "at most 5" in refused(
        svc, EventSourceArn=QUEUE, FilterCriteria={"Filters": [{"Pattern": ok}] * 6}
    )
    msg = refused(svc, EventSourceArn=QUEUE, FilterCriteria={"Filters": [{"Pattern": "{nope"}]})
    assert msg.startswith("Invalid filter pattern definition. Reason: ")
    assert "Reason" in refused(
        svc, EventSourceArn=QUEUE, FilterCriteria={"Filters": [{"Pattern": "[1]"}]}
    )
    assert "empty" in refused(svc, EventSourceArn=QUEUE, FilterCriteria={"Filters": [{}]})
    m = create(svc, EventSourceArn=QUEUE, FilterCriteria={"Filters": [{"Pattern": ok}] * 5})
    assert len(m.filter_patterns) == 5


# ---- updates ----------------------------------------------------------------------------------


def test_update_checks_the_combined_mapping(svc: MappingService) -> None:
    m = create(svc, EventSourceArn=QUEUE, BatchSize=100, MaximumBatchingWindowInSeconds=1)
    with pytest.raises(InvalidParameterValueException, match="Maximum batch window"):
        update(svc, m.uuid, MaximumBatchingWindowInSeconds=0)
    with pytest.raises(InvalidParameterValueException, match="Unsupported ParallelizationFactor"):
        update(svc, m.uuid, ParallelizationFactor=2)
    assert svc.current(m.uuid) is m  # nothing changed
    new = update(svc, m.uuid, BatchSize=10, MaximumBatchingWindowInSeconds=0)
    assert (new.batch_size, new.maximum_batching_window_s, new.state) == (
        10,
        0,
        MappingState.UPDATING,
    )


def test_update_states_say_what_changed(svc: MappingService) -> None:
    m = create(svc, EventSourceArn=QUEUE)
    assert update(svc, m.uuid, Enabled=False).state == MappingState.DISABLING
    assert update(svc, m.uuid, Enabled=True).state == MappingState.ENABLING
    assert update(svc, m.uuid, Enabled=True, BatchSize=3).state == MappingState.UPDATING


def test_update_clears_filters_and_moves_to_another_function(tmp_path: Path) -> None:
    svc = service(tmp_path, config(), config(name="other"), config(name="slow", timeout=60))
    pattern = json.dumps({"body": ["x"]})
    m = create(svc, EventSourceArn=QUEUE, FilterCriteria={"Filters": [{"Pattern": pattern}]})
    assert update(svc, m.uuid, FilterCriteria={}).filter_patterns == ()
    moved = update(svc, m.uuid, FunctionName="other")
    assert moved.function_arn.endswith(":function:other")
    with pytest.raises(InvalidParameterValueException, match="Queue visibility timeout"):
        update(svc, m.uuid, FunctionName="slow")
    create(svc, EventSourceArn=QUEUE)  # fn again
    with pytest.raises(ResourceConflictException):
        update(svc, m.uuid, FunctionName="fn")


def test_missing_and_deleting_mappings(svc: MappingService) -> None:
    with pytest.raises(
        ResourceNotFoundException, match=r"The resource you requested does not exist\."
    ):
        update(svc, "00000000-0000-0000-0000-000000000000", BatchSize=1)
    m = create(svc, EventSourceArn=QUEUE)
    deleting = asyncio.run(svc.delete(m.uuid))
    assert deleting.state == MappingState.DELETING
    with pytest.raises(ApiError) as e:
        update(svc, m.uuid, BatchSize=1)
    assert e.value.code == "ResourceInUseException"
    assert asyncio.run(svc.delete(m.uuid)) is deleting  # deleting again changes nothing


def test_a_failed_store_write_changes_nothing(tmp_path: Path) -> None:
    store = Store()
    svc = service(tmp_path, store=store)
    m = create(svc, EventSourceArn=QUEUE)
    store.fail_writes = True
    with pytest.raises(OSError):
        update(svc, m.uuid, BatchSize=1)
    with pytest.raises(OSError):
        create(svc, FunctionName="fn:$LATEST", EventSourceArn=QUEUE)
    assert svc.all() == [m]

"""The event source mapping API through boto3 against a live server: create, get, update,
delete and list (filters, paging), tags on mapping ARNs, states moved by the runner, AWS's
validation against live SQS queues, and durability across restarts and kill -9.

Stream (Kinesis) mappings: validation is pinned by unit tests
(tests/unit/services/esm/test_validation.py); the live stream test below runs once the
Kinesis-compatible service is served by the same server (it skips while it is not).
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ACCOUNT, REGION, ServerProcess, create_python_function, start_server

CODE = "def handler(event, context):\n    return {'n': len(event.get('Records', []))}\n"
MISSING_UUID = "00000000-0000-4000-8000-000000000000"


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def sqs(server: ServerProcess):  # type: ignore[no-untyped-def]
    return server.client("sqs")


def new_queue(sqs, **attributes: str) -> str:  # type: ignore[no-untyped-def]
    name = uniq("esmq") + (".fifo" if attributes.get("FifoQueue") == "true" else "")
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return str(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
    )


@pytest.fixture
def fn(lam) -> str:  # type: ignore[no-untyped-def]
    name = uniq("esmfn")
    create_python_function(lam, name, CODE)
    return name


@pytest.fixture
def queue(sqs) -> str:  # type: ignore[no-untyped-def]
    return new_queue(sqs)


def fn_arn(name: str, qualifier: str | None = None) -> str:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def wait_state(lam, mapping_uuid: str, state: str, timeout: float = 10) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        got: dict[str, Any] = lam.get_event_source_mapping(UUID=mapping_uuid)
        if got["State"] == state:
            return got
        assert time.monotonic() < deadline, f"still {got['State']}, not {state}"
        time.sleep(0.02)


def wait_gone(lam, mapping_uuid: str, timeout: float = 10) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        try:
            lam.get_event_source_mapping(UUID=mapping_uuid)
        except ClientError as e:
            assert e.response["Error"]["Code"] == "ResourceNotFoundException"
            assert e.response["Error"]["Message"] == "The resource you requested does not exist."
            return
        assert time.monotonic() < deadline, "the mapping was not deleted"
        time.sleep(0.02)


def error(call, **kw: Any) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as e:
        call(**kw)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


# ---- the life of a mapping ------------------------------------------------------------------


def test_create_get_list_delete(lam, fn, queue) -> None:  # type: ignore[no-untyped-def]
    created = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=queue)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert created["State"] == "Creating"
    mid = created["UUID"]
    assert created["EventSourceMappingArn"] == (
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:event-source-mapping:{mid}"
    )
    assert (created["FunctionArn"], created["EventSourceArn"]) == (fn_arn(fn), queue)
    assert (created["BatchSize"], created["MaximumBatchingWindowInSeconds"]) == (10, 0)
    assert created["StateTransitionReason"] == "USER_INITIATED"
    assert created["FunctionResponseTypes"] == []
    for stream_only in ("StartingPosition", "ParallelizationFactor", "MaximumRetryAttempts",
                        "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError",
                        "TumblingWindowInSeconds"):  # fmt: skip
        assert stream_only not in created

    got = wait_state(lam, mid, "Enabled")
    assert got["LastModified"] >= created["LastModified"]
    assert got["BatchSize"] == 10

    by_fn = lam.list_event_source_mappings(FunctionName=fn)["EventSourceMappings"]
    assert [m["UUID"] for m in by_fn] == [mid]
    by_source = lam.list_event_source_mappings(EventSourceArn=queue)["EventSourceMappings"]
    assert [m["UUID"] for m in by_source] == [mid]
    both = lam.list_event_source_mappings(FunctionName=fn_arn(fn), EventSourceArn=queue)
    assert [m["UUID"] for m in both["EventSourceMappings"]] == [mid]
    assert (
        lam.list_event_source_mappings(FunctionName=fn, EventSourceArn=queue + "x")[
            "EventSourceMappings"
        ]
        == []
    )

    deleted = lam.delete_event_source_mapping(UUID=mid)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert (deleted["UUID"], deleted["State"]) == (mid, "Deleting")
    wait_gone(lam, mid)
    assert lam.list_event_source_mappings(FunctionName=fn)["EventSourceMappings"] == []
    assert error(lam.delete_event_source_mapping, UUID=mid)[0] == "ResourceNotFoundException"


def test_missing_mapping(lam) -> None:  # type: ignore[no-untyped-def]
    for call in (lam.get_event_source_mapping, lam.delete_event_source_mapping):
        assert error(call, UUID=MISSING_UUID) == (
            "ResourceNotFoundException",
            "The resource you requested does not exist.",
        )
    assert error(lam.update_event_source_mapping, UUID=MISSING_UUID, BatchSize=1)[0] == (
        "ResourceNotFoundException"
    )


def test_disabled_at_create_then_enabled(lam, fn, queue) -> None:  # type: ignore[no-untyped-def]
    created = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=queue, Enabled=False)
    assert created["State"] == "Creating"
    wait_state(lam, created["UUID"], "Disabled")
    assert lam.update_event_source_mapping(UUID=created["UUID"], Enabled=True)["State"] == (
        "Enabling"
    )
    wait_state(lam, created["UUID"], "Enabled")
    assert lam.update_event_source_mapping(UUID=created["UUID"], Enabled=False)["State"] == (
        "Disabling"
    )
    wait_state(lam, created["UUID"], "Disabled")


def test_update_changes_settings(lam, fn, queue) -> None:  # type: ignore[no-untyped-def]
    mid = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=queue)["UUID"]
    wait_state(lam, mid, "Enabled")
    pattern = json.dumps({"body": {"kind": ["order"]}})
    updated = lam.update_event_source_mapping(
        UUID=mid,
        BatchSize=50,
        MaximumBatchingWindowInSeconds=2,
        FilterCriteria={"Filters": [{"Pattern": pattern}]},
        FunctionResponseTypes=["ReportBatchItemFailures"],
        ScalingConfig={"MaximumConcurrency": 3},
    )
    assert updated["State"] == "Updating"
    got = wait_state(lam, mid, "Enabled")
    assert (got["BatchSize"], got["MaximumBatchingWindowInSeconds"]) == (50, 2)
    assert got["FilterCriteria"] == {"Filters": [{"Pattern": pattern}]}
    assert got["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert got["ScalingConfig"] == {"MaximumConcurrency": 3}
    cleared = lam.update_event_source_mapping(UUID=mid, FilterCriteria={})
    assert "FilterCriteria" not in cleared
    # an update that breaks a rule changes nothing
    code, msg = error(lam.update_event_source_mapping, UUID=mid, MaximumBatchingWindowInSeconds=0)
    assert code == "InvalidParameterValueException" and "Maximum batch window" in msg
    assert lam.get_event_source_mapping(UUID=mid)["MaximumBatchingWindowInSeconds"] == 2


def test_update_moves_the_mapping_to_another_function(lam, fn, queue) -> None:  # type: ignore[no-untyped-def]
    other = uniq("esmfn")
    create_python_function(lam, other, CODE)
    mid = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=queue)["UUID"]
    moved = lam.update_event_source_mapping(UUID=mid, FunctionName=other)
    assert moved["FunctionArn"] == fn_arn(other)
    wait_state(lam, mid, "Enabled")
    assert lam.list_event_source_mappings(FunctionName=fn)["EventSourceMappings"] == []


def test_delete_while_creating_or_disabled(lam, fn, sqs) -> None:  # type: ignore[no-untyped-def]
    first = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=new_queue(sqs))
    assert lam.delete_event_source_mapping(UUID=first["UUID"])["State"] == "Deleting"
    second = lam.create_event_source_mapping(
        FunctionName=fn, EventSourceArn=new_queue(sqs), Enabled=False
    )
    wait_state(lam, second["UUID"], "Disabled")
    lam.delete_event_source_mapping(UUID=second["UUID"])
    wait_gone(lam, first["UUID"])
    wait_gone(lam, second["UUID"])


# ---- function names -------------------------------------------------------------------------


def test_function_name_forms_and_qualifiers(lam, fn, sqs) -> None:  # type: ignore[no-untyped-def]
    version = lam.publish_version(FunctionName=fn)["Version"]
    lam.create_alias(FunctionName=fn, Name="live", FunctionVersion=version)
    cases = [
        (fn, fn_arn(fn)),
        (fn_arn(fn), fn_arn(fn)),
        (f"{ACCOUNT}:function:{fn}", fn_arn(fn)),
        (f"{fn}:live", fn_arn(fn, "live")),
        (fn_arn(fn, version), fn_arn(fn, version)),
    ]
    seen = set()
    for name, expected in cases:
        source = new_queue(sqs)
        created = lam.create_event_source_mapping(FunctionName=name, EventSourceArn=source)
        assert created["FunctionArn"] == expected
        seen.add(created["UUID"])
    by_alias = lam.list_event_source_mappings(FunctionName=f"{fn}:live")["EventSourceMappings"]
    assert [m["FunctionArn"] for m in by_alias] == [fn_arn(fn, "live")]
    code, _ = error(
        lam.create_event_source_mapping, FunctionName=f"{fn}:nope", EventSourceArn=new_queue(sqs)
    )
    assert code == "ResourceNotFoundException"
    assert error(
        lam.create_event_source_mapping, FunctionName=uniq("nofn"), EventSourceArn=new_queue(sqs)
    ) == ("InvalidParameterValueException", "Function does not exist")


def test_list_pages_with_marker_and_max_items(lam, fn, sqs) -> None:  # type: ignore[no-untyped-def]
    made = {
        lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=new_queue(sqs))["UUID"]
        for _ in range(5)
    }
    first = lam.list_event_source_mappings(FunctionName=fn, MaxItems=2)
    assert len(first["EventSourceMappings"]) == 2 and first["NextMarker"]
    pages = lam.get_paginator("list_event_source_mappings").paginate(
        FunctionName=fn, PaginationConfig={"PageSize": 2}
    )
    listed = [m["UUID"] for page in pages for m in page["EventSourceMappings"]]
    assert sorted(listed) == sorted(made) and len(listed) == 5
    code, msg = error(lam.list_event_source_mappings, FunctionName=fn, Marker="garbage")
    assert (code, msg) == ("InvalidParameterValueException", "Invalid marker.")


def test_mappings_of_a_deleted_function_stay(lam, queue) -> None:  # type: ignore[no-untyped-def]
    name = uniq("esmfn")
    create_python_function(lam, name, CODE)
    mid = lam.create_event_source_mapping(FunctionName=name, EventSourceArn=queue)["UUID"]
    wait_state(lam, mid, "Enabled")
    lam.delete_function(FunctionName=name)
    got = lam.get_event_source_mapping(UUID=mid)
    assert (got["State"], got["FunctionArn"]) == ("Enabled", fn_arn(name))
    assert [m["UUID"] for m in lam.list_event_source_mappings(FunctionName=name)[
        "EventSourceMappings"
    ]] == [mid]  # fmt: skip
    create_python_function(lam, name, CODE)  # the function exists again: the same mapping
    assert lam.get_event_source_mapping(UUID=mid)["State"] == "Enabled"


# ---- tags -------------------------------------------------------------------------------------


def test_tags_on_mapping_arns(lam, fn, queue) -> None:  # type: ignore[no-untyped-def]
    created = lam.create_event_source_mapping(
        FunctionName=fn, EventSourceArn=queue, Tags={"team": "orders"}
    )
    arn = created["EventSourceMappingArn"]
    assert lam.list_tags(Resource=arn)["Tags"] == {"team": "orders"}
    lam.tag_resource(Resource=arn, Tags={"env": "dev", "team": "billing"})
    assert lam.list_tags(Resource=arn)["Tags"] == {"env": "dev", "team": "billing"}
    lam.untag_resource(Resource=arn, TagKeys=["team"])
    assert lam.list_tags(Resource=arn)["Tags"] == {"env": "dev"}
    # function tags are untouched and still served
    lam.tag_resource(Resource=fn_arn(fn), Tags={"fn": "yes"})
    assert lam.list_tags(Resource=fn_arn(fn))["Tags"] == {"fn": "yes"}
    lam.delete_event_source_mapping(UUID=created["UUID"])
    wait_gone(lam, created["UUID"])
    missing = f"arn:aws:lambda:{REGION}:{ACCOUNT}:event-source-mapping:{MISSING_UUID}"
    for call, kw in (
        (lam.list_tags, {}),
        (lam.tag_resource, {"Tags": {"a": "b"}}),
        (lam.untag_resource, {"TagKeys": ["a"]}),
    ):
        assert error(call, Resource=missing, **kw)[0] == "ResourceNotFoundException"
        assert error(call, Resource=arn, **kw)[0] == "ResourceNotFoundException"


# ---- validation against live queues -----------------------------------------------------------


def test_the_queue_must_exist(lam, fn) -> None:  # type: ignore[no-untyped-def]
    gone = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{uniq('missing')}"
    code, msg = error(lam.create_event_source_mapping, FunctionName=fn, EventSourceArn=gone)
    assert code == "InvalidParameterValueException"
    assert msg == (
        "Error occurred while ReceiveMessage. SQS Error Code: "
        "AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does "
        "not exist or you do not have access to it."
    )
    assert error(lam.create_event_source_mapping, FunctionName=fn)[1] == (
        "Unrecognized event source."
    )
    bucket = "arn:aws:s3:::some-bucket"
    code, msg = error(lam.create_event_source_mapping, FunctionName=fn, EventSourceArn=bucket)
    assert code == "InvalidParameterValueException" and bucket in msg


def test_streams_this_server_does_not_have_are_refused(lam, fn) -> None:  # type: ignore[no-untyped-def]
    stream = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{uniq('nostream')}"
    assert error(
        lam.create_event_source_mapping,
        FunctionName=fn,
        EventSourceArn=stream,
        StartingPosition="LATEST",
    ) == ("InvalidParameterValueException", f"Stream not found: {stream}")


def test_queue_visibility_must_cover_the_function_timeout(lam, sqs) -> None:  # type: ignore[no-untyped-def]
    name = uniq("esmslow")
    create_python_function(lam, name, CODE, Timeout=60)
    short = new_queue(sqs)  # VisibilityTimeout 30 by default
    assert error(lam.create_event_source_mapping, FunctionName=name, EventSourceArn=short) == (
        "InvalidParameterValueException",
        "Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds",
    )
    long = new_queue(sqs, VisibilityTimeout="60")
    assert lam.create_event_source_mapping(FunctionName=name, EventSourceArn=long)["State"] == (
        "Creating"
    )


def test_batch_size_and_window_rules(lam, fn, sqs) -> None:  # type: ignore[no-untyped-def]
    q = new_queue(sqs)
    assert error(
        lam.create_event_source_mapping, FunctionName=fn, EventSourceArn=q, BatchSize=11
    ) == (
        "InvalidParameterValueException",
        "Maximum batch window in seconds must be greater than 0 if maximum batch size is "
        "greater than 10",
    )
    ok = lam.create_event_source_mapping(
        FunctionName=fn, EventSourceArn=q, BatchSize=10000, MaximumBatchingWindowInSeconds=1
    )
    assert (ok["BatchSize"], ok["MaximumBatchingWindowInSeconds"]) == (10000, 1)
    fifo = new_queue(sqs, FifoQueue="true")
    assert error(
        lam.create_event_source_mapping,
        FunctionName=fn,
        EventSourceArn=fifo,
        BatchSize=5,
        MaximumBatchingWindowInSeconds=1,
    ) == ("InvalidParameterValueException", "Batching window is not supported for FIFO queues")
    code, msg = error(
        lam.create_event_source_mapping, FunctionName=fn, EventSourceArn=fifo, BatchSize=11
    )
    assert code == "InvalidParameterValueException" and "between 1 and 10" in msg
    assert lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=fifo)["BatchSize"] == 10


def test_queue_mappings_refuse_stream_settings(lam, fn, queue) -> None:  # type: ignore[no-untyped-def]
    def create(**kw: Any) -> tuple[str, str]:
        return error(lam.create_event_source_mapping, FunctionName=fn, EventSourceArn=queue, **kw)

    assert create(StartingPosition="LATEST") == (
        "InvalidParameterValueException",
        "StartingPosition is not valid for SQS event sources.",
    )
    assert create(ParallelizationFactor=2) == (
        "InvalidParameterValueException",
        "Unsupported ParallelizationFactor parameter for given event source mapping type.",
    )
    assert create(MaximumRetryAttempts=3)[1].startswith("Unsupported MaximumRetryAttempts")
    assert create(DestinationConfig={"OnSuccess": {"Destination": queue}}) == (
        "InvalidParameterValueException",
        "Unsupported DestinationConfig parameter for given event source mapping type.",
    )
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"
    assert (
        "is not an Amazon SQS queue ARN"
        in create(DestinationConfig={"OnFailure": {"Destination": topic}})[1]
    )
    assert lam.list_event_source_mappings(EventSourceArn=queue)["EventSourceMappings"] == []


def test_filters_are_validated(lam, fn, queue) -> None:  # type: ignore[no-untyped-def]
    def create(*patterns: str) -> tuple[str, str]:
        return error(
            lam.create_event_source_mapping,
            FunctionName=fn,
            EventSourceArn=queue,
            FilterCriteria={"Filters": [{"Pattern": p} for p in patterns]},
        )

    code, msg = create("{not json")
    assert code == "InvalidParameterValueException"
    assert msg.startswith("Invalid filter pattern definition. Reason: ")
    assert create(*[json.dumps({"body": ["x"]})] * 6)[0] == "InvalidParameterValueException"
    code, _ = create(json.dumps({"body": {"n": [{"numeric": [">"]}]}}))
    assert code == "InvalidParameterValueException"


def test_one_mapping_per_function_and_queue(lam, fn, queue) -> None:  # type: ignore[no-untyped-def]
    first = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=queue)["UUID"]
    assert error(lam.create_event_source_mapping, FunctionName=fn, EventSourceArn=queue) == (
        "ResourceConflictException",
        f'An event source mapping with SQS arn (" {queue} ") and function (" {fn} ") already '
        f"exists. Please update or delete the existing mapping with UUID {first}",
    )


def test_concurrent_creates_of_one_pair_make_one_mapping(server, fn, queue) -> None:  # type: ignore[no-untyped-def]
    clients = [server.client("lambda") for _ in range(6)]
    outcomes: list[str] = []

    def create(client) -> None:  # type: ignore[no-untyped-def]
        try:
            client.create_event_source_mapping(FunctionName=fn, EventSourceArn=queue)
            outcomes.append("created")
        except ClientError as e:
            outcomes.append(e.response["Error"]["Code"])

    threads = [threading.Thread(target=create, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ResourceConflictException"] * 5 + ["created"]
    listed = clients[0].list_event_source_mappings(EventSourceArn=queue)["EventSourceMappings"]
    assert len(listed) == 1


# ---- streams ------------------------------------------------------------------------------------


def test_stream_mapping_defaults(server, lam, fn) -> None:  # type: ignore[no-untyped-def]
    kinesis = server.client("kinesis")
    name = uniq("esmstream")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    deadline = time.monotonic() + 10
    while True:
        desc = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        if desc["StreamStatus"] == "ACTIVE":
            break
        assert time.monotonic() < deadline
        time.sleep(0.02)
    created = lam.create_event_source_mapping(
        FunctionName=fn, EventSourceArn=desc["StreamARN"], StartingPosition="TRIM_HORIZON"
    )
    assert {k: created[k] for k in (
        "BatchSize", "StartingPosition", "ParallelizationFactor", "MaximumRecordAgeInSeconds",
        "BisectBatchOnFunctionError", "MaximumRetryAttempts", "TumblingWindowInSeconds",
        "DestinationConfig", "LastProcessingResult")} == {
        "BatchSize": 100, "StartingPosition": "TRIM_HORIZON", "ParallelizationFactor": 1,
        "MaximumRecordAgeInSeconds": -1, "BisectBatchOnFunctionError": False,
        "MaximumRetryAttempts": -1, "TumblingWindowInSeconds": 0,
        "DestinationConfig": {"OnFailure": {}}, "LastProcessingResult": "No records processed",
    }  # fmt: skip
    assert created["StateTransitionReason"] == "User action"
    wait_state(lam, created["UUID"], "Enabled")
    assert error(
        lam.create_event_source_mapping, FunctionName=fn, EventSourceArn=desc["StreamARN"]
    )[1].startswith("1 validation error detected: Value null at 'startingPosition'")


# ---- restarts -----------------------------------------------------------------------------------


def _health(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url + "/_ovis/health", timeout=5) as r:
        data: dict[str, Any] = json.loads(r.read())
        return data


def test_mappings_and_their_states_survive_restart_and_kill9(tmp_path: Path) -> None:
    data = tmp_path / "data"
    srv = start_server(data)
    try:
        lam, sqs = srv.client("lambda"), srv.client("sqs")
        create_python_function(lam, "esmkeep", CODE)
        on = lam.create_event_source_mapping(
            FunctionName="esmkeep", EventSourceArn=new_queue(sqs), Tags={"k": "v"}
        )
        off = lam.create_event_source_mapping(
            FunctionName="esmkeep", EventSourceArn=new_queue(sqs), Enabled=False
        )
        wait_state(lam, on["UUID"], "Enabled")
        wait_state(lam, off["UUID"], "Disabled")
        assert _health(srv.url)["components"]["esm-runner"] == "ok"
        srv.stop()

        srv = start_server(data)
        lam = srv.client("lambda")
        assert lam.get_event_source_mapping(UUID=on["UUID"])["State"] == "Enabled"
        assert lam.get_event_source_mapping(UUID=off["UUID"])["State"] == "Disabled"
        assert lam.list_tags(Resource=on["EventSourceMappingArn"])["Tags"] == {"k": "v"}
        # acknowledged writes, then kill -9 before (or while) the runner finishes them
        lam.update_event_source_mapping(UUID=off["UUID"], Enabled=True, BatchSize=7)
        assert lam.delete_event_source_mapping(UUID=on["UUID"])["State"] == "Deleting"
        os.killpg(srv.proc.pid, signal.SIGKILL)
        srv.proc.wait()

        srv = start_server(data)
        lam = srv.client("lambda")
        wait_gone(lam, on["UUID"])
        got = wait_state(lam, off["UUID"], "Enabled")
        assert got["BatchSize"] == 7
        assert error(lam.list_tags, Resource=on["EventSourceMappingArn"])[0] == (
            "ResourceNotFoundException"
        )
    finally:
        srv.stop()

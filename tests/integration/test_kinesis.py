"""Kinesis-compatible streams driven by boto3's ``kinesis`` client against a live server."""

from __future__ import annotations

import concurrent.futures
import hashlib
import os
import signal
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ACCOUNT, REGION, ServerProcess, start_server

HASH_MAX = 2**128 - 1


@pytest.fixture(scope="module")
def kin(server: ServerProcess):  # type: ignore[no-untyped-def]
    return server.client("kinesis")


def new_stream(kin: Any, shards: int | None = 1, **kw: Any) -> str:
    name = f"s-{uuid.uuid4().hex[:12]}"
    if shards is not None:
        kw["ShardCount"] = shards
    kin.create_stream(StreamName=name, **kw)
    kin.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    return name


def read_shard(kin: Any, name: str, shard: str, kind: str = "TRIM_HORIZON", **kw: Any) -> list[Any]:
    it = kin.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType=kind, **kw)[
        "ShardIterator"
    ]
    out: list[Any] = []
    while it:
        got = kin.get_records(ShardIterator=it, Limit=10_000)
        out += got["Records"]
        if not got["Records"] and got["MillisBehindLatest"] == 0:
            break
        it = got.get("NextShardIterator")
    return out


def code(e: pytest.ExceptionInfo[ClientError]) -> str:
    return str(e.value.response["Error"]["Code"])


def test_put_and_get_records_round_trip_by_hash_range(kin: Any) -> None:
    name = new_stream(kin, 2)
    shards = kin.describe_stream(StreamName=name)["StreamDescription"]["Shards"]
    assert [s["HashKeyRange"] for s in shards] == [
        {"StartingHashKey": "0", "EndingHashKey": str(2**127 - 1)},
        {"StartingHashKey": str(2**127), "EndingHashKey": str(HASH_MAX)},
    ]
    one = kin.put_record(StreamName=name, Data=b"first", PartitionKey="pk-0")
    many = kin.put_records(
        StreamName=name,
        Records=[{"Data": f"r{i}".encode(), "PartitionKey": f"pk-{i}"} for i in range(50)],
    )
    assert many["FailedRecordCount"] == 0 and len(many["Records"]) == 50
    for i, r in enumerate(many["Records"]):
        h = int(hashlib.md5(f"pk-{i}".encode()).hexdigest(), 16)
        assert r["ShardId"] == shards[0 if h < 2**127 else 1]["ShardId"]
    sent: dict[str, bytes] = {one["SequenceNumber"]: b"first"}
    sent.update({r["SequenceNumber"]: f"r{i}".encode() for i, r in enumerate(many["Records"])})
    got: dict[str, bytes] = {}
    for s in shards:
        recs = read_shard(kin, name, s["ShardId"])
        seqs = [int(r["SequenceNumber"]) for r in recs]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        got.update({r["SequenceNumber"]: r["Data"] for r in recs})
        assert all(isinstance(r["ApproximateArrivalTimestamp"], datetime) for r in recs)
    assert got == sent
    assert all(len(s) == 56 for s in sent)


def test_explicit_hash_key_and_stream_arn(kin: Any) -> None:
    name = new_stream(kin, 2)
    arn = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{name}"
    summary = kin.describe_stream_summary(StreamARN=arn)["StreamDescriptionSummary"]
    assert (summary["StreamName"], summary["OpenShardCount"], summary["StreamStatus"]) == (
        name,
        2,
        "ACTIVE",
    )
    r = kin.put_record(StreamARN=arn, Data=b"x", PartitionKey="any", ExplicitHashKey=str(HASH_MAX))
    assert r["ShardId"] == "shardId-000000000001"
    r2 = kin.put_record(
        StreamARN=arn,
        Data=b"y",
        PartitionKey="any",
        ExplicitHashKey="0",
        SequenceNumberForOrdering=r["SequenceNumber"],
    )
    assert r2["ShardId"] == "shardId-000000000000"
    with pytest.raises(ClientError) as e:
        kin.put_record(
            StreamName=name, Data=b"x", PartitionKey="k", ExplicitHashKey=str(HASH_MAX + 1)
        )
    assert code(e) == "InvalidArgumentException"
    assert kin.list_shards(StreamARN=arn)["Shards"][1]["ShardId"] == "shardId-000000000001"


def test_iterator_types(kin: Any) -> None:
    name = new_stream(kin, 1)
    shard = "shardId-000000000000"
    seqs = [
        kin.put_record(StreamName=name, Data=bytes([i]), PartitionKey="k")["SequenceNumber"]
        for i in range(5)
    ]

    def data(kind: str, **kw: Any) -> list[int]:
        return [r["Data"][0] for r in read_shard(kin, name, shard, kind, **kw)]

    assert data("TRIM_HORIZON") == [0, 1, 2, 3, 4]
    assert data("AT_SEQUENCE_NUMBER", StartingSequenceNumber=seqs[2]) == [2, 3, 4]
    assert data("AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=seqs[2]) == [3, 4]
    assert data("AT_TIMESTAMP", Timestamp=datetime.now(UTC) - timedelta(minutes=5)) == [
        0,
        1,
        2,
        3,
        4,
    ]
    assert data("AT_TIMESTAMP", Timestamp=datetime.now(UTC) + timedelta(minutes=5)) == []
    latest = kin.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType="LATEST")[
        "ShardIterator"
    ]
    assert kin.get_records(ShardIterator=latest)["Records"] == []
    kin.put_record(StreamName=name, Data=b"\x09", PartitionKey="k")
    got = kin.get_records(ShardIterator=latest)
    assert [r["Data"] for r in got["Records"]] == [b"\x09"] and got["MillisBehindLatest"] == 0
    limited = kin.get_records(
        ShardIterator=kin.get_shard_iterator(
            StreamName=name, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"],
        Limit=2,
    )
    assert len(limited["Records"]) == 2 and limited["NextShardIterator"]
    with pytest.raises(ClientError) as e:
        kin.get_shard_iterator(
            StreamName=name, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER"
        )
    assert code(e) == "InvalidArgumentException"


def test_errors_are_kinesis_errors(kin: Any) -> None:
    name = new_stream(kin, 1)
    with pytest.raises(kin.exceptions.ResourceInUseException):
        kin.create_stream(StreamName=name, ShardCount=1)
    with pytest.raises(kin.exceptions.ResourceNotFoundException, match="not found"):
        kin.describe_stream(StreamName="no-such-stream")
    with pytest.raises(kin.exceptions.ResourceNotFoundException):
        kin.put_record(StreamName="no-such-stream", Data=b"x", PartitionKey="k")
    with pytest.raises(kin.exceptions.ResourceNotFoundException):
        kin.get_shard_iterator(
            StreamName=name, ShardId="shardId-000000000009", ShardIteratorType="LATEST"
        )
    with pytest.raises(kin.exceptions.InvalidArgumentException, match="Invalid ShardIterator"):
        kin.get_records(ShardIterator="A" * 40)
    with pytest.raises(ClientError) as e:
        kin.put_record(StreamName=name, Data=b"x", PartitionKey="k" * 257)
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        kin.put_record(StreamName=name, Data=b"x")
    assert code(e) == "ValidationException"
    with pytest.raises(kin.exceptions.InvalidArgumentException):  # 1 MiB: data + partition key
        kin.put_record(StreamName=name, Data=b"x" * (1024 * 1024), PartitionKey="k")
    kin.put_record(StreamName=name, Data=b"x" * (1024 * 1024 - 1), PartitionKey="k")
    with pytest.raises(ClientError) as e:
        kin.put_records(StreamName=name, Records=[{"Data": b"x", "PartitionKey": "k"}] * 501)
    assert code(e) == "ValidationException"
    with pytest.raises(kin.exceptions.InvalidArgumentException, match="5 MB"):
        kin.put_records(
            StreamName=name, Records=[{"Data": b"x" * 1_000_000, "PartitionKey": "k"}] * 6
        )
    with pytest.raises(kin.exceptions.InvalidArgumentException):
        kin.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=9000)
    with pytest.raises(kin.exceptions.InvalidArgumentException):
        kin.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=23)


def test_splitting_closes_the_parent_and_its_last_read_names_the_children(kin: Any) -> None:
    name = new_stream(kin, 1)
    parent = "shardId-000000000000"
    it = kin.get_shard_iterator(StreamName=name, ShardId=parent, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    before = [
        kin.put_record(StreamName=name, Data=b"a", PartitionKey=str(i))["SequenceNumber"]
        for i in range(5)
    ]
    kin.split_shard(StreamName=name, ShardToSplit=parent, NewStartingHashKey=str(2**127))
    after = kin.put_records(
        StreamName=name, Records=[{"Data": b"b", "PartitionKey": str(i)} for i in range(20)]
    )
    assert {r["ShardId"] for r in after["Records"]} == {
        "shardId-000000000001",
        "shardId-000000000002",
    }
    shards = kin.list_shards(StreamName=name)["Shards"]
    assert shards[0]["SequenceNumberRange"]["EndingSequenceNumber"] == before[-1]
    assert [(s.get("ParentShardId"), s["HashKeyRange"]["StartingHashKey"]) for s in shards[1:]] == [
        (parent, "0"),
        (parent, str(2**127)),
    ]
    got = kin.get_records(ShardIterator=it)
    assert [r["SequenceNumber"] for r in got["Records"]] == before
    assert "NextShardIterator" not in got or got["NextShardIterator"] is None
    assert [c["ShardId"] for c in got["ChildShards"]] == [
        "shardId-000000000001",
        "shardId-000000000002",
    ]
    assert all(c["ParentShards"] == [parent] for c in got["ChildShards"])
    with pytest.raises(kin.exceptions.ResourceInUseException):
        kin.split_shard(StreamName=name, ShardToSplit=parent, NewStartingHashKey="5")
    kin.merge_shards(
        StreamName=name,
        ShardToMerge="shardId-000000000001",
        AdjacentShardToMerge="shardId-000000000002",
    )
    merged = kin.list_shards(StreamName=name, ShardFilter={"Type": "AT_LATEST"})["Shards"]
    assert [(s["ShardId"], s["ParentShardId"], s["AdjacentParentShardId"]) for s in merged] == [
        ("shardId-000000000003", "shardId-000000000001", "shardId-000000000002")
    ]
    assert merged[0]["HashKeyRange"] == {"StartingHashKey": "0", "EndingHashKey": str(HASH_MAX)}
    assert (
        len(kin.list_shards(StreamName=name, ShardFilter={"Type": "FROM_TRIM_HORIZON"})["Shards"])
        == 4
    )
    assert [
        s["ShardId"]
        for s in kin.list_shards(StreamName=name, ShardFilter={"Type": "AT_TRIM_HORIZON"})["Shards"]
    ] == [parent]


def test_update_shard_count_scales_uniformly(kin: Any) -> None:
    name = new_stream(kin, 2)
    out = kin.update_shard_count(StreamName=name, TargetShardCount=3, ScalingType="UNIFORM_SCALING")
    assert (out["CurrentShardCount"], out["TargetShardCount"]) == (2, 3)
    open_ = kin.list_shards(StreamName=name, ShardFilter={"Type": "AT_LATEST"})["Shards"]
    size = (HASH_MAX + 1) // 3
    assert sorted(int(s["HashKeyRange"]["StartingHashKey"]) for s in open_) == [0, size, 2 * size]
    assert all(s.get("ParentShardId") for s in open_)
    with pytest.raises(kin.exceptions.LimitExceededException):
        kin.update_shard_count(StreamName=name, TargetShardCount=7, ScalingType="UNIFORM_SCALING")
    summary = kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == 3


def test_on_demand_streams_start_with_four_shards(kin: Any) -> None:
    name = new_stream(kin, None, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    desc = kin.describe_stream(StreamName=name)["StreamDescription"]
    assert len(desc["Shards"]) == 4 and desc["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}


def test_listing_pages(kin: Any) -> None:
    names = sorted(new_stream(kin, 1) for _ in range(3))
    seen: list[str] = []
    page = kin.list_streams(Limit=1)
    while True:
        seen += page["StreamNames"]
        assert [s["StreamName"] for s in page["StreamSummaries"]] == page["StreamNames"]
        if not page["HasMoreStreams"]:
            break
        page = kin.list_streams(NextToken=page["NextToken"], Limit=1)
    assert set(names) <= set(seen) and seen == sorted(seen)
    name = new_stream(kin, 5)
    first = kin.describe_stream(StreamName=name, Limit=2)["StreamDescription"]
    assert len(first["Shards"]) == 2 and first["HasMoreShards"]
    rest = kin.describe_stream(
        StreamName=name, ExclusiveStartShardId=first["Shards"][-1]["ShardId"]
    )["StreamDescription"]
    assert len(rest["Shards"]) == 3 and not rest["HasMoreShards"]
    ids: list[str] = []
    page = kin.list_shards(StreamName=name, MaxResults=2)
    while True:
        ids += [s["ShardId"] for s in page["Shards"]]
        if "NextToken" not in page:
            break
        page = kin.list_shards(NextToken=page["NextToken"], MaxResults=2)
    assert ids == [f"shardId-{i:012d}" for i in range(5)]
    with pytest.raises(kin.exceptions.InvalidArgumentException):
        kin.list_shards(StreamName=name, NextToken=page.get("NextToken", "x"))
    import base64

    forged = base64.urlsafe_b64encode(b'{"stream": 5, "after": []}').decode()
    for bad in ("not-a-token", forged):
        with pytest.raises(kin.exceptions.InvalidArgumentException, match="Invalid NextToken"):
            kin.list_shards(NextToken=bad)
        with pytest.raises(kin.exceptions.InvalidArgumentException, match="Invalid NextToken"):
            kin.list_streams(NextToken=bad)


def test_retention_tags_and_deletion(kin: Any) -> None:
    name = new_stream(kin, 1, Tags={"team": "a"})
    arn = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{name}"
    kin.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    assert kin.describe_stream(StreamName=name)["StreamDescription"]["RetentionPeriodHours"] == 48
    with pytest.raises(kin.exceptions.InvalidArgumentException, match="DecreaseRetentionPeriod"):
        kin.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=24)
    kin.decrease_stream_retention_period(StreamARN=arn, RetentionPeriodHours=24)
    kin.add_tags_to_stream(StreamName=name, Tags={"env": "test", "x": "1"})
    kin.remove_tags_from_stream(StreamName=name, TagKeys=["x"])
    tags = kin.list_tags_for_stream(StreamName=name)
    assert tags["Tags"] == [{"Key": "env", "Value": "test"}, {"Key": "team", "Value": "a"}]
    assert not tags["HasMoreTags"]
    page = kin.list_tags_for_stream(StreamName=name, Limit=1)
    assert page["HasMoreTags"] and len(page["Tags"]) == 1
    kin.tag_resource(ResourceARN=arn, Tags={"via": "arn"})
    kin.untag_resource(ResourceARN=arn, TagKeys=["env"])
    assert {t["Key"] for t in kin.list_tags_for_resource(ResourceARN=arn)["Tags"]} == {
        "team",
        "via",
    }
    kin.put_record(StreamName=name, Data=b"x", PartitionKey="k")
    kin.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
    with pytest.raises(kin.exceptions.ResourceNotFoundException):
        kin.describe_stream_summary(StreamName=name)
    assert name not in kin.list_streams()["StreamNames"]
    kin.create_stream(StreamName=name, ShardCount=1)  # the name is free again, the stream empty
    assert read_shard(kin, name, "shardId-000000000000") == []
    assert kin.list_tags_for_stream(StreamName=name)["Tags"] == []


def test_iterators_of_a_deleted_stream_are_refused(kin: Any) -> None:
    name = new_stream(kin, 1)
    it = kin.get_shard_iterator(
        StreamName=name, ShardId="shardId-000000000000", ShardIteratorType="LATEST"
    )["ShardIterator"]
    kin.delete_stream(StreamName=name)
    kin.create_stream(StreamName=name, ShardCount=1)
    with pytest.raises(kin.exceptions.ResourceNotFoundException):
        kin.get_records(ShardIterator=it)


def test_kill9_loses_no_acknowledged_record(tmp_path: Path) -> None:
    data = tmp_path / "data"
    s = start_server(data)
    kin = s.client("kinesis")
    kin.create_stream(StreamName="crash", ShardCount=4)
    acked: dict[str, bytes] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def writer(w: int) -> None:
        client = s.client("kinesis")
        i = 0
        while not stop.is_set():
            payload = f"{w}-{i}".encode()
            try:
                if i % 2:
                    r = client.put_record(
                        StreamName="crash", Data=payload, PartitionKey=payload.decode()
                    )
                    got = [(r["SequenceNumber"], payload)]
                else:
                    batch = [f"{w}-{i}-{j}".encode() for j in range(10)]
                    rs = client.put_records(
                        StreamName="crash",
                        Records=[{"Data": b, "PartitionKey": b.decode()} for b in batch],
                    )
                    got = [
                        (x["SequenceNumber"], b) for x, b in zip(rs["Records"], batch, strict=True)
                    ]
            except Exception:  # the server died mid-request: not acknowledged
                return
            with lock:
                acked.update(got)
            i += 1

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(writer, w) for w in range(8)]
        deadline = time.monotonic() + 20
        while len(acked) < 2000 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.killpg(s.proc.pid, signal.SIGKILL)
        s.proc.wait()
        stop.set()
        for f in futures:
            f.result()
    assert len(acked) >= 200  # the kill came while puts were being acknowledged
    s = start_server(data)
    try:
        kin = s.client("kinesis")
        stored: dict[str, bytes] = {}
        for shard in kin.list_shards(StreamName="crash")["Shards"]:
            stored.update(
                {r["SequenceNumber"]: r["Data"] for r in read_shard(kin, "crash", shard["ShardId"])}
            )
        missing = {k: v for k, v in acked.items() if stored.get(k) != v}
        assert not missing, f"{len(missing)} acknowledged records lost"
        # numbering goes on above everything stored before the crash
        r = kin.put_record(StreamName="crash", Data=b"after", PartitionKey="after")
        same_shard = [int(k) for k in stored if k[:18] == r["SequenceNumber"][:18]]
        assert int(r["SequenceNumber"]) > max(same_shard, default=0)
    finally:
        s.stop()


def test_health_names_the_retention_loop(server: ServerProcess) -> None:
    import json
    import urllib.request

    with urllib.request.urlopen(server.url + "/_ovis/health", timeout=30) as r:
        doc = json.loads(r.read())
    assert doc["components"].get("kinesis-retention") == "ok"


def test_dry_run_and_stream_mode(kin: Any) -> None:
    name = new_stream(kin, 1)
    arn = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{name}"
    with pytest.raises(ClientError) as e:
        kin.put_record(StreamName=name, Data=b"x", PartitionKey="k", DryRun=True)
    assert code(e) == "DryRunOperationException"
    assert read_shard(kin, name, "shardId-000000000000") == []  # nothing was written
    kin.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    summary = kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}


def test_the_aws_cli_puts_and_reads(server: ServerProcess, tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    aws = Path(sys.executable).with_name("aws")
    if not aws.exists():
        pytest.skip("awscli is not installed in the venv")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_PAGER": "",
        "AWS_EC2_METADATA_DISABLED": "true",
        "PYTHONWARNINGS": "ignore",
    }

    def cli(*args: str) -> Any:
        r = subprocess.run(
            [str(aws), "--endpoint-url", server.url, "--output", "json", "kinesis", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout) if r.stdout.strip() else None

    name = f"cli-{uuid.uuid4().hex[:8]}"
    cli("create-stream", "--stream-name", name, "--shard-count", "1")
    put = cli("put-record", "--stream-name", name, "--partition-key", "user-1", "--data", "hello")
    it = cli(
        "get-shard-iterator",
        "--stream-name",
        name,
        "--shard-id",
        put["ShardId"],
        "--shard-iterator-type",
        "TRIM_HORIZON",
    )["ShardIterator"]
    (record,) = cli("get-records", "--shard-iterator", it)["Records"]
    assert record["SequenceNumber"] == put["SequenceNumber"]
    assert record["PartitionKey"] == "user-1"
    assert name in cli("list-streams")["StreamNames"]

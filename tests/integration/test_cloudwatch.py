"""CloudWatch metrics and alarms against a live server, with boto3 (which speaks Smithy RPC v2
CBOR to CloudWatch): the platform's AWS/Lambda metrics after a known sequence of invokes,
custom metrics, metric math, alarms notifying an SNS topic, EMF log lines, composite alarms."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import ServerProcess, create_python_function, start_server


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    s = start_server(tmp_path_factory.mktemp("cw") / "data", "--cloudwatch-time-scale", "0.005")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def cw(srv: ServerProcess) -> Any:
    return srv.client("cloudwatch")


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_for(check: Callable[[], Any], timeout: float = 30, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def window() -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    return now - timedelta(minutes=10), now + timedelta(minutes=2)


def stat_sum(cw: Any, name: str, dims: list[dict[str, str]], stat: str = "Sum") -> float:
    start, end = window()
    points = cw.get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName=name,
        Dimensions=dims,
        StartTime=start,
        EndTime=end,
        Period=3600,
        Statistics=[stat],
    )["Datapoints"]
    return float(sum(p[stat] for p in points))


APP = """
import json, time
def handler(event, context):
    if event.get("fail"):
        raise ValueError("boom")
    if event.get("emf"):
        print(json.dumps({"_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [
            {"Namespace": event["emf"], "Dimensions": [["Service"], []],
             "Metrics": [{"Name": "Latency", "Unit": "Milliseconds"}]}]},
            "Service": "checkout", "Latency": [10, 20, 30]}))
    return {"ok": True}
"""


def test_lambda_metrics_count_what_was_done(srv: ServerProcess, cw: Any) -> None:
    # one attempt per call: a retried throttle is a second throttle, as on AWS
    lam = srv.client("lambda", config=Config(retries={"total_max_attempts": 1}))
    name = uniq("cwfn")
    create_python_function(lam, name, APP)
    for _ in range(3):
        assert "FunctionError" not in lam.invoke(FunctionName=name, Payload=b"{}")
    for _ in range(2):
        assert lam.invoke(FunctionName=name, Payload=b'{"fail": true}')["FunctionError"]
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    for _ in range(2):
        with pytest.raises(lam.exceptions.TooManyRequestsException):
            lam.invoke(FunctionName=name, Payload=b"{}")
    fn = [{"Name": "FunctionName", "Value": name}]
    want = {"Invocations": 5.0, "Errors": 2.0, "Throttles": 2.0}
    got = wait_for(lambda: (g := {m: stat_sum(cw, m, fn) for m in want}) == want and g, timeout=20)
    assert got == want, {m: stat_sum(cw, m, fn) for m in want}
    # Duration: one sample per invocation that ran; Errors' average is the error rate
    assert stat_sum(cw, "Duration", fn, "SampleCount") == 5.0
    start, end = window()
    errors = cw.get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Dimensions=fn,
        StartTime=start,
        EndTime=end,
        Period=3600,
        Statistics=["Average", "SampleCount"],
    )["Datapoints"]
    assert [(p["SampleCount"], p["Average"]) for p in errors] == [(5.0, 0.4)]
    # the Resource dimension set too
    res = [{"Name": "FunctionName", "Value": name}, {"Name": "Resource", "Value": name}]
    assert stat_sum(cw, "Invocations", res) == 5.0

    # GetMetricData agrees, and metric math over the same series
    def q(i: str, metric: str, stat: str = "Sum") -> dict[str, Any]:
        return {
            "Id": i,
            "MetricStat": {
                "Metric": {"Namespace": "AWS/Lambda", "MetricName": metric, "Dimensions": fn},
                "Period": 3600,
                "Stat": stat,
            },
            "ReturnData": False,
        }

    out = cw.get_metric_data(
        MetricDataQueries=[
            {**q("inv", "Invocations"), "ReturnData": True},
            q("err", "Errors"),
            q("thr", "Throttles"),
            {**q("dur", "Duration", "SampleCount"), "ReturnData": True},
            {"Id": "rate", "Expression": "100 * err / inv", "Label": "ErrorRate"},
            {"Id": "all", "Expression": "SUM([inv, thr])"},
        ],
        StartTime=start,
        EndTime=end,
    )["MetricDataResults"]
    by_id = {r["Id"]: r for r in out}
    assert sum(by_id["inv"]["Values"]) == 5.0
    assert sum(by_id["dur"]["Values"]) == 5.0
    assert by_id["rate"]["Values"] == [40.0] and by_id["rate"]["Label"] == "ErrorRate"
    assert by_id["all"]["Values"] == [7.0]
    listed = cw.list_metrics(
        Namespace="AWS/Lambda", Dimensions=[{"Name": "FunctionName", "Value": name}]
    )
    names = {m["MetricName"] for m in listed["Metrics"]}
    assert {"Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions"} <= names


def test_custom_metrics_statistics_and_percentiles(cw: Any) -> None:
    ns = uniq("App")
    dims = [{"Name": "Service", "Value": "api"}, {"Name": "Stage", "Value": "prod"}]
    cw.put_metric_data(
        Namespace=ns,
        MetricData=[
            {
                "MetricName": "Latency",
                "Dimensions": dims,
                "Values": [1, 2, 3, 100],
                "Counts": [1, 1, 7, 1],
            },
            {"MetricName": "Latency", "Dimensions": dims[::-1], "Value": 5.0},
            {
                "MetricName": "Latency",
                "Dimensions": dims,
                "StatisticValues": {"SampleCount": 2, "Sum": 8, "Minimum": 3, "Maximum": 5},
            },
            {"MetricName": "Other", "Value": 1.0, "Unit": "Count", "StorageResolution": 1},
        ],
    )
    start, end = window()
    pts = cw.get_metric_statistics(
        Namespace=ns,
        MetricName="Latency",
        Dimensions=dims,
        StartTime=start,
        EndTime=end,
        Period=3600,
        Statistics=["SampleCount", "Sum", "Minimum", "Maximum", "Average"],
    )["Datapoints"]
    assert len(pts) == 1
    p = pts[0]
    assert (p["SampleCount"], p["Sum"], p["Minimum"], p["Maximum"]) == (
        13.0,
        1 + 2 + 21 + 100 + 5 + 8,
        1.0,
        100.0,
    )
    # percentiles need the distribution: only over the entries that carried values
    cw.put_metric_data(
        Namespace=ns,
        MetricData=[{"MetricName": "Lat2", "Values": [1, 2, 3, 100], "Counts": [1, 1, 7, 1]}],
    )
    ext = cw.get_metric_statistics(
        Namespace=ns,
        MetricName="Lat2",
        StartTime=start,
        EndTime=end,
        Period=3600,
        ExtendedStatistics=["p50", "p90", "p99"],
    )["Datapoints"][0]["ExtendedStatistics"]
    assert ext == {"p50": 3.0, "p90": 3.0, "p99": 100.0}
    names = {
        (m["MetricName"], len(m["Dimensions"])) for m in cw.list_metrics(Namespace=ns)["Metrics"]
    }
    assert names == {("Latency", 2), ("Other", 0), ("Lat2", 0)}
    recent = cw.list_metrics(Namespace=ns, MetricName="Latency", RecentlyActive="PT3H")["Metrics"]
    assert recent == [{"Namespace": ns, "MetricName": "Latency", "Dimensions": dims}]
    by_dim = cw.list_metrics(Namespace=ns, Dimensions=[{"Name": "Stage"}])["Metrics"]
    assert [m["MetricName"] for m in by_dim] == ["Latency"]


def test_put_metric_data_errors_as_aws(cw: Any) -> None:
    cases = [
        (
            {"Namespace": "AWS/Lambda", "MetricData": [{"MetricName": "x", "Value": 1}]},
            "InvalidParameterValue",
        ),
        (
            {
                "Namespace": "N",
                "MetricData": [
                    {
                        "MetricName": "x",
                        "Value": 1,
                        "StatisticValues": {"SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1},
                    }
                ],
            },
            "InvalidParameterCombination",
        ),
        (
            {
                "Namespace": "N",
                "MetricData": [{"MetricName": "x", "Values": [1, 2], "Counts": [1]}],
            },
            "InvalidParameterValue",
        ),
        ({"Namespace": "N", "MetricData": [{"MetricName": "x"}]}, "MissingParameter"),
        (
            {
                "Namespace": "N",
                "MetricData": [
                    {
                        "MetricName": "x",
                        "Value": 1,
                        "Timestamp": datetime.now(UTC) - timedelta(days=15),
                    }
                ],
            },
            "InvalidParameterValue",
        ),
        (
            {
                "Namespace": "N",
                "MetricData": [{"MetricName": "x", "Value": 1, "StorageResolution": 5}],
            },
            "InvalidParameterValue",
        ),
    ]
    for params, code in cases:
        with pytest.raises(cw.exceptions.ClientError) as e:
            cw.put_metric_data(**params)
        assert e.value.response["Error"]["Code"] == code, params
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    start, end = window()
    with pytest.raises(cw.exceptions.ClientError) as e:
        cw.get_metric_statistics(
            Namespace="N",
            MetricName="x",
            StartTime=start,
            EndTime=end,
            Period=61,
            Statistics=["Sum"],
        )
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"
    with pytest.raises(cw.exceptions.ClientError) as e:
        cw.get_metric_statistics(
            Namespace="N",
            MetricName="x",
            StartTime=end - timedelta(days=2),
            EndTime=end,
            Period=60,
            Statistics=["Sum"],
        )
    assert e.value.response["Error"]["Code"] == "InvalidParameterCombination"
    assert "1,440" in e.value.response["Error"]["Message"]
    with pytest.raises(cw.exceptions.ClientError) as e:  # the model's own constraint
        cw.get_metric_data(
            MetricDataQueries=[{"Id": "e1", "Expression": "SUM(("}], StartTime=start, EndTime=end
        )
    assert e.value.response["Error"]["Code"] in ("ValidationError", "InvalidParameterValue")


def test_metric_math_fill_and_paging(cw: Any) -> None:
    ns = uniq("Math")
    base = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5)
    data = [
        {"MetricName": "A", "Value": v, "Timestamp": base + timedelta(minutes=i)}
        for i, v in ((0, 1.0), (1, 2.0), (3, 4.0))
    ] + [
        {"MetricName": "B", "Value": 10.0, "Timestamp": base + timedelta(minutes=i)}
        for i in range(4)
    ]
    cw.put_metric_data(Namespace=ns, MetricData=data)

    def stat(i: str, m: str) -> dict[str, Any]:
        return {
            "Id": i,
            "MetricStat": {
                "Metric": {"Namespace": ns, "MetricName": m},
                "Period": 60,
                "Stat": "Sum",
            },
            "ReturnData": False,
        }

    queries = [
        stat("a", "A"),
        stat("b", "B"),
        {"Id": "lin", "Expression": "FILL(a, LINEAR)"},
        {"Id": "rep", "Expression": "FILL(a, REPEAT)"},
        {"Id": "zero", "Expression": "FILL(a, 0)"},
        {"Id": "sum", "Expression": "a + b"},
        {"Id": "mx", "Expression": "MAX(METRICS())"},
        {"Id": "avg", "Expression": "AVG(b)"},
    ]
    got = cw.get_metric_data(
        MetricDataQueries=queries,
        StartTime=base,
        EndTime=base + timedelta(minutes=4),
        ScanBy="TimestampAscending",
    )["MetricDataResults"]
    vals = {r["Id"]: r["Values"] for r in got}
    assert vals["lin"] == [1.0, 2.0, 3.0, 4.0]
    assert vals["rep"] == [1.0, 2.0, 2.0, 4.0]
    assert vals["zero"] == [1.0, 2.0, 0.0, 4.0]
    assert vals["sum"] == [11.0, 12.0, 14.0]  # only where both have a value
    assert vals["mx"] == [10.0, 10.0, 10.0, 10.0]
    assert vals["avg"] == [10.0, 10.0, 10.0, 10.0]  # a scalar, over the period grid
    # paging: two values a page, resumed with NextToken, newest first by default
    pages, token = [], None
    while True:
        kw = {"NextToken": token} if token else {}
        r = cw.get_metric_data(
            MetricDataQueries=[{**stat("b", "B"), "ReturnData": True}],
            StartTime=base,
            EndTime=base + timedelta(minutes=4),
            MaxDatapoints=2,
            **kw,
        )
        pages.append(r["MetricDataResults"][0]["Timestamps"])
        token = r.get("NextToken")
        if not token:
            break
    flat = [t for p in pages for t in p]
    assert len(pages) == 2 and flat == sorted(flat, reverse=True) and len(flat) == 4


def test_alarm_goes_to_alarm_and_notifies_its_topic(srv: ServerProcess, cw: Any) -> None:
    sns, sqs = srv.client("sns"), srv.client("sqs")
    topic = sns.create_topic(Name=uniq("alarms"))["TopicArn"]
    url = sqs.create_queue(QueueName=uniq("alarmq"))["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
    ns, name = uniq("Alarmed"), uniq("high-errors")
    dims = [{"Name": "Service", "Value": "api"}]
    cw.put_metric_alarm(
        AlarmName=name,
        AlarmDescription="too many errors",
        Namespace=ns,
        MetricName="Errors",
        Dimensions=dims,
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=3,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[topic],
        OKActions=[topic],
    )
    first = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
    assert first["AlarmArn"].endswith(f":alarm:{name}")
    # a new alarm starts INSUFFICIENT_DATA; with no data and notBreaching it goes OK (the
    # loop may already have evaluated it: judge by the history)
    assert wait_for(lambda: cw.describe_alarms(AlarmNames=[name], StateValue="OK")["MetricAlarms"])
    summaries = [
        h["HistorySummary"]
        for h in cw.describe_alarm_history(AlarmName=name, HistoryItemType="StateUpdate")[
            "AlarmHistoryItems"
        ]
    ]
    assert summaries[-1] == "Alarm updated from INSUFFICIENT_DATA to OK"
    cw.put_metric_data(
        Namespace=ns, MetricData=[{"MetricName": "Errors", "Dimensions": dims, "Value": 5}]
    )
    alarm = wait_for(
        lambda: cw.describe_alarms(AlarmNames=[name], StateValue="ALARM")["MetricAlarms"]
    )
    assert alarm and "Threshold Crossed" in alarm[0]["StateReason"]
    assert json.loads(alarm[0]["StateReasonData"])["recentDatapoints"] == [5.0]

    def alarm_message() -> dict[str, Any] | None:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            note = json.loads(m["Body"])
            msg = json.loads(note["Message"])
            if msg["NewStateValue"] == "ALARM":
                return {"subject": note["Subject"], **msg}
        return None

    msg = wait_for(alarm_message, timeout=20)
    assert msg is not None
    assert msg["AlarmName"] == name and msg["OldStateValue"] == "OK"
    assert msg["AlarmDescription"] == "too many errors"
    assert msg["Trigger"]["MetricName"] == "Errors" and msg["Trigger"]["Threshold"] == 3.0
    assert msg["Trigger"]["Dimensions"] == [{"value": "api", "name": "Service"}]
    assert msg["subject"] == f'ALARM: "{name}" in US East (N. Virginia)'
    kinds = [
        h["HistoryItemType"] for h in cw.describe_alarm_history(AlarmName=name)["AlarmHistoryItems"]
    ]
    assert "Action" in kinds and "StateUpdate" in kinds and kinds[-1] == "ConfigurationUpdate"
    # by prefix, by action, for the metric
    assert [
        a["AlarmName"] for a in cw.describe_alarms(AlarmNamePrefix=name[:12])["MetricAlarms"]
    ] == [name]
    assert [a["AlarmName"] for a in cw.describe_alarms(ActionPrefix=topic)["MetricAlarms"]] == [
        name
    ]
    assert (
        cw.describe_alarms_for_metric(Namespace=ns, MetricName="Errors", Dimensions=dims)[
            "MetricAlarms"
        ][0]["AlarmName"]
        == name
    )
    # SetAlarmState with actions disabled: state changes, no action runs
    cw.disable_alarm_actions(AlarmNames=[name])
    cw.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="testing")
    assert cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["ActionsEnabled"] is False
    cw.delete_alarms(AlarmNames=[name])
    assert cw.describe_alarms(AlarmNames=[name])["MetricAlarms"] == []
    with pytest.raises(cw.exceptions.ResourceNotFound):
        cw.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="gone")


def test_expression_alarm_and_missing_data(cw: Any) -> None:
    ns, name = uniq("Expr"), uniq("expr-alarm")
    cw.put_metric_alarm(
        AlarmName=name,
        EvaluationPeriods=1,
        Threshold=100,
        ComparisonOperator="GreaterThanThreshold",
        Metrics=[
            {
                "Id": "m1",
                "MetricStat": {
                    "Metric": {"Namespace": ns, "MetricName": "A"},
                    "Period": 60,
                    "Stat": "Sum",
                },
                "ReturnData": False,
            },
            {"Id": "e1", "Expression": "m1 * 10", "ReturnData": True},
        ],
    )
    # TreatMissingData missing (default): no data is INSUFFICIENT_DATA (it starts there)
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "A", "Value": 20}])
    assert wait_for(
        lambda: cw.describe_alarms(AlarmNames=[name], StateValue="ALARM")["MetricAlarms"]
    )
    with pytest.raises(cw.exceptions.ClientError) as e:
        cw.put_metric_alarm(
            AlarmName=name,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanThreshold",
            Namespace=ns,
            MetricName="A",
            Period=60,
        )
    assert e.value.response["Error"]["Code"] == "InvalidParameterCombination"  # no Statistic


def test_emf_lines_become_metrics(srv: ServerProcess, cw: Any) -> None:
    lam = srv.client("lambda")
    name, ns = uniq("emf"), uniq("Shop")
    create_python_function(lam, name, APP)
    lam.invoke(FunctionName=name, Payload=json.dumps({"emf": ns}).encode())
    start, end = window()

    def stats() -> list[dict[str, Any]]:
        return cw.get_metric_statistics(
            Namespace=ns,
            MetricName="Latency",
            Dimensions=[{"Name": "Service", "Value": "checkout"}],
            StartTime=start,
            EndTime=end,
            Period=3600,
            Statistics=["SampleCount", "Sum", "Maximum"],
        )["Datapoints"]

    pts = wait_for(stats, timeout=20)
    assert [(p["SampleCount"], p["Sum"], p["Maximum"], p["Unit"]) for p in pts] == [
        (3.0, 60.0, 30.0, "Milliseconds")
    ]
    dims = sorted(len(m["Dimensions"]) for m in cw.list_metrics(Namespace=ns)["Metrics"])
    assert dims == [0, 1]  # the [] dimension set is the metric without dimensions
    # the line is still a log line
    logs = srv.client("logs")

    def emf_events() -> list[dict]:
        try:  # the group exists once the log sink has written the function's first line
            found = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
        except logs.exceptions.ResourceNotFoundException:
            return []
        return [e for e in found if "_aws" in e["message"]]

    assert wait_for(emf_events)


def test_metrics_survive_a_restart(tmp_path: Path) -> None:
    s = start_server(tmp_path / "data")
    try:
        cw = s.client("cloudwatch")
        cw.put_metric_data(Namespace="Durable", MetricData=[{"MetricName": "m", "Value": 7}])
        cw.put_metric_alarm(
            AlarmName="keep",
            Namespace="Durable",
            MetricName="m",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanThreshold",
        )
        s.stop(9)  # SIGKILL: PutMetricData and PutMetricAlarm were durable on return
        s = start_server(tmp_path / "data")
        cw = s.client("cloudwatch")
        start, end = window()
        pts = cw.get_metric_statistics(
            Namespace="Durable",
            MetricName="m",
            StartTime=start,
            EndTime=end,
            Period=60,
            Statistics=["Sum"],
        )["Datapoints"]
        assert [p["Sum"] for p in pts] == [7.0]
        assert [a["AlarmName"] for a in cw.describe_alarms()["MetricAlarms"]] == ["keep"]
    finally:
        s.stop()


def total(cw: Any, ns: str, name: str, dims: list[dict[str, str]], stat: str = "Sum") -> float:
    start, end = window()
    points = cw.get_metric_statistics(
        Namespace=ns,
        MetricName=name,
        Dimensions=dims,
        StartTime=start,
        EndTime=end,
        Period=3600,
        Statistics=[stat],
    )["Datapoints"]
    return float(sum(p[stat] for p in points))


def test_sqs_and_async_invocation_metrics(srv: ServerProcess, cw: Any) -> None:
    sqs, lam = srv.client("sqs"), srv.client("lambda")
    qname = uniq("cwq")
    url = sqs.create_queue(QueueName=qname)["QueueUrl"]
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    got = []
    while len(got) < 3:
        got += sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)[
            "Messages"
        ]
    for m in got[:2]:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    q = [{"Name": "QueueName", "Value": qname}]
    want = {
        "NumberOfMessagesSent": 3.0,
        "NumberOfMessagesReceived": 3.0,
        "NumberOfMessagesDeleted": 2.0,
    }
    seen = wait_for(lambda: (g := {m: total(cw, "AWS/SQS", m, q) for m in want}) == want and g)
    assert seen == want, {m: total(cw, "AWS/SQS", m, q) for m in want}
    assert total(cw, "AWS/SQS", "SentMessageSize", q, "Maximum") == 2.0
    # an async invoke: received, then run (its age recorded)
    name = uniq("cwasync")
    create_python_function(lam, name, APP)
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")
    fn = [{"Name": "FunctionName", "Value": name}]
    assert wait_for(lambda: total(cw, "AWS/Lambda", "Invocations", fn) == 1.0)
    assert total(cw, "AWS/Lambda", "AsyncEventsReceived", fn) == 1.0
    assert wait_for(lambda: total(cw, "AWS/Lambda", "AsyncEventAge", fn, "SampleCount") == 1.0)


# ---- composite alarms: PutCompositeAlarm over two metric alarms driven by real datapoints, the
# composite going to ALARM when its rule holds and notifying its SNS topic (read from an SQS
# subscription), back to OK when it stops holding, DescribeAlarms by AlarmTypes /
# ChildrenOfAlarmName / ParentsOfAlarmName, DeleteAlarms, and the errors.


def wait_until(check: Callable[[], Any], timeout: float = 20) -> Any:
    value = wait_for(check, timeout, every=0.05)
    assert value, "condition not met in time"
    return value


def metric_alarm(cw: Any, name: str, ns: str) -> None:
    cw.put_metric_alarm(
        AlarmName=name,
        Namespace=ns,
        MetricName="Load",
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=50,
        ComparisonOperator="GreaterThanThreshold",
    )


def state(cw: Any, name: str) -> str:
    found = cw.describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    (a,) = found["MetricAlarms"] + found["CompositeAlarms"]
    return str(a["StateValue"])


def test_composite_alarm_follows_its_rule_and_notifies_its_topic(srv: ServerProcess) -> None:
    cw: Any = srv.client("cloudwatch")
    sns: Any = srv.client("sns")
    sqs: Any = srv.client("sqs")
    topic = sns.create_topic(Name=uniq("composite"))["TopicArn"]
    url = sqs.create_queue(QueueName=uniq("compositeq"))["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
    ns_a, ns_b = uniq("Api"), uniq("Db")
    a, b, c = uniq("api-high"), uniq("db-high"), uniq("api-not-db")
    metric_alarm(cw, a, ns_a)
    metric_alarm(cw, b, ns_b)
    b_arn = cw.describe_alarms(AlarmNames=[b])["MetricAlarms"][0]["AlarmArn"]
    # children by name (bare) and by ARN (quoted)
    rule = f'ALARM({a}) AND NOT (ALARM("{b_arn}") OR INSUFFICIENT_DATA({b}))'
    cw.put_composite_alarm(
        AlarmName=c,
        AlarmRule=rule,
        AlarmDescription="api overloaded while the db is fine",
        AlarmActions=[topic],
        OKActions=[topic],
    )
    assert state(cw, c) == "OK"  # evaluated at once: ALARM(a) is false (a has no data yet)

    cw.put_metric_data(Namespace=ns_a, MetricData=[{"MetricName": "Load", "Value": 90}])
    cw.put_metric_data(Namespace=ns_b, MetricData=[{"MetricName": "Load", "Value": 10}])
    wait_until(lambda: state(cw, a) == "ALARM" and state(cw, b) == "OK")
    wait_until(lambda: state(cw, c) == "ALARM")  # set when a child changed, not by a poll
    (composite,) = cw.describe_alarms(AlarmNames=[c], AlarmTypes=["CompositeAlarm"])[
        "CompositeAlarms"
    ]
    assert composite["AlarmRule"] == rule and composite["AlarmActions"] == [topic]
    assert composite["AlarmArn"].endswith(f":alarm:{c}")
    reason = json.loads(composite["StateReasonData"])
    assert {t["arn"].rsplit(":", 1)[1] for t in reason["triggeringAlarms"]} <= {a, b}
    assert "transitioned to" in composite["StateReason"]

    def message(wanted: str) -> dict[str, Any] | None:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for m in got.get("Messages", []):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            note = json.loads(m["Body"])
            msg = json.loads(note["Message"])
            if msg["NewStateValue"] == wanted:
                return {"subject": note["Subject"], **msg}
        return None

    msg = wait_until(lambda: message("ALARM"))
    assert msg["AlarmName"] == c and msg["AlarmRule"] == rule
    assert msg["AlarmDescription"] == "api overloaded while the db is fine"
    assert msg["subject"] == f'ALARM: "{c}" in US East (N. Virginia)'
    assert msg["TriggeringChildren"] and all(
        t["Arn"].rsplit(":", 1)[1] in (a, b) for t in msg["TriggeringChildren"]
    )

    # the db alarm fires too: the rule no longer holds -> OK, notified
    cw.put_metric_data(Namespace=ns_b, MetricData=[{"MetricName": "Load", "Value": 99}])
    wait_until(lambda: state(cw, c) == "OK")
    assert wait_until(lambda: message("OK"))["OldStateValue"] == "ALARM"
    history = cw.describe_alarm_history(AlarmName=c, HistoryItemType="StateUpdate")
    items = history["AlarmHistoryItems"]
    assert {h["AlarmType"] for h in items} == {"CompositeAlarm"}
    assert [h["HistorySummary"] for h in items][:2] == [
        "Alarm updated from ALARM to OK",
        "Alarm updated from OK to ALARM",
    ]

    # DescribeAlarms: metric alarms only by default; by type, children and parents
    assert cw.describe_alarms(AlarmNames=[c])["CompositeAlarms"] == []
    assert cw.describe_alarms(AlarmNames=[c])["MetricAlarms"] == []
    kids = cw.describe_alarms(ChildrenOfAlarmName=c, AlarmTypes=["MetricAlarm"])
    assert sorted(x["AlarmName"] for x in kids["MetricAlarms"]) == sorted([a, b])
    parents = cw.describe_alarms(ParentsOfAlarmName=a, AlarmTypes=["CompositeAlarm"])
    assert [x["AlarmName"] for x in parents["CompositeAlarms"]] == [c]

    # TRUE/FALSE constants; a composite of a composite
    top = uniq("top")
    cw.put_composite_alarm(AlarmName=top, AlarmRule=f"OK({c}) AND TRUE")
    assert state(cw, top) == "ALARM"
    cw.put_composite_alarm(AlarmName=top, AlarmRule=f"OK({c}) AND FALSE")
    wait_until(lambda: state(cw, top) == "OK")

    cw.delete_alarms(AlarmNames=[top, c])
    assert (
        cw.describe_alarms(AlarmNames=[c], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"] == []
    )
    cw.delete_alarms(AlarmNames=[a, b])


def test_composite_alarm_errors(srv: ServerProcess) -> None:
    cw: Any = srv.client("cloudwatch")
    child, name = uniq("child"), uniq("parent")
    metric_alarm(cw, child, uniq("Err"))

    def code(**kw: Any) -> str:
        with pytest.raises(ClientError) as e:
            cw.put_composite_alarm(**kw)
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        return str(e.value.response["Error"]["Code"])

    for bad in (
        f"ALARM({child}",
        f"ALARM({child}) AND",
        f"ALARMS({child})",
        "ALARM()",
        f"ALARM({child}) XOR OK({child})",
        "NOT",
    ):
        assert code(AlarmName=name, AlarmRule=bad) == "InvalidParameterValue", bad
    assert code(AlarmName=name, AlarmRule="ALARM(no-such-alarm)") == "InvalidParameterValue"
    assert code(AlarmName=child, AlarmRule="TRUE") == "InvalidParameterValue"  # a metric alarm's
    cw.put_composite_alarm(AlarmName=name, AlarmRule=f"ALARM({child})")
    other = uniq("other")
    cw.put_composite_alarm(AlarmName=other, AlarmRule=f"ALARM({name})")
    # a cycle: name -> other -> name
    assert code(AlarmName=name, AlarmRule=f"OK({other})") == "InvalidParameterValue"
    assert code(AlarmName=name, AlarmRule=f"OK({name})") == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        cw.describe_alarms(AlarmTypes=["Nonsense"])
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    cw.delete_alarms(AlarmNames=[other, name, child])


def test_retention_rolls_up_and_drops_old_datapoints(cw: Any) -> None:
    """At --cloudwatch-time-scale 0.005, AWS's ages shrink: 1-minute data is kept 1.8 h, then
    5-minute data to 7.6 h, then hourly data to 2.3 days. A datapoint put 13 days ago (as
    PutMetricData allows) is deleted; one put a day ago survives as an hourly datapoint; one
    put now stays a 1-minute datapoint; sums are unchanged by the roll-up."""
    ns = uniq("Retention")
    now = datetime.now(UTC).replace(microsecond=0)
    old, day = now - timedelta(days=13), (now - timedelta(days=1)).replace(minute=10, second=0)
    cw.put_metric_data(
        Namespace=ns,
        MetricData=[
            {"MetricName": "Hits", "Value": v, "Timestamp": t}
            for v, t in ((1.0, old), (2.0, day), (3.0, day + timedelta(minutes=1)), (4.0, now))
        ],
    )

    def points(at: datetime, period: int) -> list[tuple[datetime, float]]:
        got = cw.get_metric_statistics(
            Namespace=ns,
            MetricName="Hits",
            StartTime=at - timedelta(hours=2),
            EndTime=at + timedelta(hours=2),
            Period=period,
            Statistics=["Sum"],
        )["Datapoints"]
        return sorted((p["Timestamp"], p["Sum"]) for p in got)

    hour = day.replace(minute=0, second=0)
    assert wait_until(lambda: points(old, 3600) == [] and points(day, 60) == [(hour, 5.0)])
    assert points(now, 60) == [(now.replace(second=0), 4.0)]

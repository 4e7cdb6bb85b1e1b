"""The console's triggers in a real browser: the Configuration section "Triggers" adds an SQS
queue mapping (and a message sent with boto3 invokes the function), a Kinesis stream mapping, an
SNS topic subscription, an EventBridge rule, a Scheduler schedule and an S3 bucket notification
(keeping the bucket's other notifications); each is visible to boto3 at once and drawn on the
Overview diagram with the function URL, destinations and layers; removing one removes it from
both, with the permission it was given; a mapping is disabled; a source that does not exist is a
clear error, not a change. No browser console error, no request to anything but the server."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from tests.conftest import ACCOUNT, REGION, create_python_function, zip_bytes
from tests.integration.browser import Watched, shot, sign_in

ECHO = "import json\n\ndef handler(event, context):\n    print('got:', json.dumps(event))\n"


def _until(what: str, probe: Callable[[], Any], timeout: float = 30) -> Any:
    """``probe()``'s first truthy answer, polled until ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        got = probe()
        if got:
            return got
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _logged(server, name: str, needle: str) -> Callable[[], bool]:  # type: ignore[no-untyped-def]
    logs = server.client("logs")

    def probe() -> bool:
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
        except logs.exceptions.ResourceNotFoundException:
            return False
        return any(needle in e["message"] for e in events)

    return probe


def topic_arn_of(topic: str) -> str:
    return f"arn:aws:sns:{REGION}:{ACCOUNT}:{topic}"


def _policy_sources(lam, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    try:
        policy = json.loads(lam.get_policy(FunctionName=name)["Policy"])
    except lam.exceptions.ResourceNotFoundException:
        return []
    return [
        s["Condition"]["ArnLike"]["AWS:SourceArn"]
        for s in policy["Statement"]
        if "ArnLike" in s.get("Condition", {})
    ]


def test_add_see_and_remove_triggers(browser_page: Watched, server, lam) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    sqs, sns, events = server.client("sqs"), server.client("sns"), server.client("events")
    s3, scheduler = server.client("s3"), server.client("scheduler")
    kinesis = server.client("kinesis")
    tag = uuid.uuid4().hex[:8]
    stream = f"trg-k-{tag}"
    name, queue, topic, rule, bucket = (
        f"trg-{tag}",
        f"trg-q-{tag}",
        f"trg-t-{tag}",
        f"trg-r-{tag}",
        f"trg-b-{tag}",
    )
    sqs.create_queue(QueueName=f"trg-dlq-{tag}")
    dlq_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:trg-dlq-{tag}"
    layer = lam.publish_layer_version(
        LayerName=f"trg-l-{tag}", Content={"ZipFile": zip_bytes({"python/x.py": ""})}
    )
    create_python_function(
        lam, name, ECHO, Layers=[layer["LayerVersionArn"]], DeadLetterConfig={"TargetArn": dlq_arn}
    )
    fn_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    queue_url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    # wiring made with boto3 that the page only shows: a destination and the function URL
    lam.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": topic_arn_of(topic)}}
    )
    url = lam.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    topic_arn = sns.create_topic(Name=topic)["TopicArn"]
    s3.create_bucket(Bucket=bucket)
    # the bucket already notifies a queue: adding the function keeps that
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {"Id": "keep", "QueueArn": dlq_arn, "Events": ["s3:ObjectRemoved:*"]}
            ]
        },
    )

    page = browser_page.page
    sign_in(page, server.url)
    page.goto(f"{server.url}/console/#/functions/{name}/configuration/triggers")
    url_row = page.locator("#trg-table tbody tr[data-kind=url]")
    expect(url_row).to_contain_text(url)
    expect(url_row.locator(".trg-remove")).to_have_count(0)  # the function URL section owns it
    rows = page.locator("#trg-table tbody tr")

    # a queue that does not exist: the service's own error, and nothing made
    page.fill("#trg-source", f"no-such-{tag}")
    page.click("#trg-add")
    expect(page.locator("#trg-error")).to_contain_text("does not exist")
    assert lam.list_event_source_mappings(FunctionName=name)["EventSourceMappings"] == []
    browser_page.refused("400 (Bad Request)")  # the refusal Chromium logged was expected

    # SQS: the source field suggests queues by the typed prefix; the mapping is made, and a
    # message sent with boto3 invokes the function
    page.fill("#trg-source", queue[:-2])
    expect(page.locator(f"#trg-source-list option[value='{queue}']")).to_have_count(1)
    page.fill("#trg-source", queue)
    page.fill("#trg-batch-size", "1")
    page.click("#trg-add")
    expect(page.locator("#trg-status")).to_have_text("Added SQS queue trigger.")
    expect(rows.and_(page.locator("[data-kind=sqs]"))).to_contain_text(queue)
    (m,) = lam.list_event_source_mappings(FunctionName=name)["EventSourceMappings"]
    assert m["EventSourceArn"] == f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}" and m["BatchSize"] == 1
    sqs.send_message(QueueUrl=queue_url, MessageBody=f"hello {tag}")
    _until("the SQS message in the function's log", _logged(server, name, f"hello {tag}"))

    # Kinesis: the mapping with its starting position, batch size and window; a record invokes it
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=stream, WaiterConfig={"Delay": 0.1})
    page.select_option("#trg-kind", "kinesis")
    page.fill("#trg-source", stream)
    page.fill("#trg-batch-size", "5")
    page.fill("#trg-window", "1")
    page.select_option("#trg-start-position", "TRIM_HORIZON")
    page.click("#trg-add")
    expect(page.locator("#trg-status")).to_have_text("Added Kinesis stream trigger.")
    expect(rows.and_(page.locator("[data-kind=kinesis]"))).to_contain_text(stream)
    (km,) = [
        x
        for x in lam.list_event_source_mappings(FunctionName=name)["EventSourceMappings"]
        if x["EventSourceArn"].endswith(f":stream/{stream}")
    ]
    assert (km["StartingPosition"], km["BatchSize"], km["MaximumBatchingWindowInSeconds"]) == (
        "TRIM_HORIZON",
        5,
        1,
    )
    kinesis.put_record(StreamName=stream, Data=f"kin {tag}".encode(), PartitionKey="k")
    needle = base64.b64encode(f"kin {tag}".encode()).decode()
    _until("the Kinesis record in the function's log", _logged(server, name, needle))

    # SNS: subscribed, allowed, and a publish reaches the function
    page.select_option("#trg-kind", "sns")
    page.fill("#trg-source", topic)
    page.click("#trg-add")
    expect(page.locator("#trg-status")).to_have_text("Added SNS topic trigger.")
    expect(rows.and_(page.locator("[data-kind=sns]"))).to_contain_text(topic)
    subs = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subs] == [("lambda", fn_arn)]
    assert topic_arn in _policy_sources(lam, name)
    sns.publish(TopicArn=topic_arn, Message=f"sns {tag}")
    _until("the SNS message in the function's log", _logged(server, name, f"sns {tag}"))

    # EventBridge: a rule with a pattern, targeting the function; a matching event invokes it
    page.select_option("#trg-kind", "rule")
    page.fill("#trg-rule-name", rule)
    page.fill("#trg-pattern", json.dumps({"source": [f"trg.{tag}"]}))
    page.click("#trg-add")
    expect(page.locator("#trg-status")).to_have_text("Added EventBridge rule trigger.")
    expect(rows.and_(page.locator("[data-kind=rule]"))).to_contain_text(rule)
    assert events.list_rule_names_by_target(TargetArn=fn_arn)["RuleNames"] == [rule]
    events.put_events(
        Entries=[{"Source": f"trg.{tag}", "DetailType": "t", "Detail": json.dumps({"rule": tag})}]
    )
    _until("the rule's event in the function's log", _logged(server, name, f'"rule": "{tag}"'))

    # Scheduler and S3
    page.select_option("#trg-kind", "schedule")
    page.fill("#trg-sched-name", f"trg-s-{tag}")
    page.fill("#trg-sched-expr", "rate(1 day)")
    page.click("#trg-add")
    expect(rows.and_(page.locator("[data-kind=schedule]"))).to_contain_text(f"trg-s-{tag}")
    assert scheduler.get_schedule(Name=f"trg-s-{tag}")["Target"]["Arn"] == fn_arn
    page.select_option("#trg-kind", "s3")
    page.fill("#trg-source", bucket)
    page.fill("#trg-s3-prefix", "in/")
    page.click("#trg-add")
    expect(rows.and_(page.locator("[data-kind=s3]"))).to_contain_text(bucket)
    notif = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert [c["Id"] for c in notif["QueueConfigurations"]] == ["keep"]
    (fn_notif,) = notif["LambdaFunctionConfigurations"]
    assert fn_notif["LambdaFunctionArn"] == fn_arn
    rules = fn_notif["Filter"]["Key"]["FilterRules"]
    assert [(r["Name"].lower(), r["Value"]) for r in rules] == [("prefix", "in/")]
    shot(page, "trg-triggers")

    # the Overview diagram: every trigger on the left, the DLQ on the right, the layer below
    page.click("#tab-overview")
    diagram = page.locator("#ov-svg")
    for kind, shown in [
        ("sqs", queue),
        ("kinesis", stream),
        ("sns", topic),
        ("rule", rule),
        ("schedule", f"trg-s-{tag}"),
        ("s3", bucket),
    ]:
        expect(diagram.locator(f".ov-trigger[data-kind={kind}]")).to_contain_text(shown)
    expect(diagram.locator(".ov-destination[data-kind=dlq]")).to_contain_text(f"trg-dlq-{tag}")
    expect(diagram.locator(".ov-destination[data-kind=on-success]")).to_contain_text(topic)
    expect(diagram.locator(".ov-trigger[data-kind=url]")).to_have_attribute("data-name", url)
    expect(diagram.locator(".ov-layer")).to_contain_text(f"trg-l-{tag}")
    assert diagram.locator(f"a[href='#/queues/{queue}'] .ov-trigger").count() == 1
    expect(page.locator("#overview")).to_contain_text(f"function:{name}")
    page.set_viewport_size({"width": 1100, "height": 760})
    shot(page, "ov-overview")

    # remove the SNS trigger and the S3 one; disable the mapping
    page.goto(f"{server.url}/console/#/functions/{name}/configuration/triggers")
    rows.and_(page.locator("[data-kind=sns]")).locator(".trg-remove").click()
    expect(page.locator("#trg-status")).to_have_text(f"Removed SNS topic trigger {topic}.")
    expect(rows.and_(page.locator("[data-kind=sns]"))).to_have_count(0)
    assert sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"] == []
    assert topic_arn not in _policy_sources(lam, name)
    rows.and_(page.locator("[data-kind=s3]")).locator(".trg-remove").click()
    expect(rows.and_(page.locator("[data-kind=s3]"))).to_have_count(0)
    notif = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert "LambdaFunctionConfigurations" not in notif
    assert [c["Id"] for c in notif["QueueConfigurations"]] == ["keep"]
    rows.and_(page.locator("[data-kind=sqs]")).locator(".trg-toggle").click()
    expect(rows.and_(page.locator("[data-kind=sqs]")).locator(".trg-toggle")).to_have_text("Enable")
    _until(
        "the mapping disabled",
        lambda: lam.get_event_source_mapping(UUID=m["UUID"])["State"] in ("Disabling", "Disabled"),
    )

    page.click("#tab-overview")
    expect(diagram.locator(".ov-trigger[data-kind=rule]")).to_contain_text(rule)
    expect(diagram.locator(".ov-trigger[data-kind=sns]")).to_have_count(0)
    expect(diagram.locator(".ov-trigger[data-kind=s3]")).to_have_count(0)

    # the rest go too: the rule keeps existing without its target; the schedule and mappings go
    page.click("#tab-configuration")
    page.click("#cfg-section-triggers")
    for kind in ("rule", "schedule", "sqs", "kinesis"):
        rows.and_(page.locator(f"[data-kind={kind}]")).locator(".trg-remove").click()
        # a mapping may still be listed while it is Deleting (as ListEventSourceMappings says)
        gone = rows.and_(page.locator(f"[data-kind={kind}]")).filter(has_not_text="Deleting")
        expect(gone).to_have_count(0)
    assert events.list_rule_names_by_target(TargetArn=fn_arn)["RuleNames"] == []
    assert events.describe_rule(Name=rule)["Name"] == rule
    assert f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{rule}" not in _policy_sources(lam, name)
    assert scheduler.list_schedules(NamePrefix=f"trg-s-{tag}")["Schedules"] == []
    _until(
        "the mappings deleted",
        lambda: lam.list_event_source_mappings(FunctionName=name)["EventSourceMappings"] == [],
    )
    page.reload()
    expect(page.locator("#trg-table tbody tr")).to_have_count(1)  # the function URL
    page.click("#tab-overview")
    expect(diagram.locator(".ov-trigger")).to_have_count(1)

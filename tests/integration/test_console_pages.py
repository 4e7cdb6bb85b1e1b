"""The console's service pages in a real browser: queues (send, peek without hiding, purge,
redrive), streams (put a record, read it back), topics (subscribe a queue, publish, receive
with boto3), buses (a rule's targets, put an event that reaches its queue), stacks (a stack
deployed with boto3: resources, events, outputs, template, delete) and the account (the limits
GetAccountSettings returns). Each with no browser console error and no foreign request."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.conftest import create_python_function
from tests.integration.browser import Watched, shot, sign_in

FAST = {"Delay": 0.2, "MaxAttempts": 300}
COUNT = "#sqs-attributes dt:text-is('ApproximateNumberOfMessages') + dd"


def _uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _receive(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Messages from ``url``, long-polling (returns as soon as one is there), then deleted."""
    got = sqs.receive_message(
        QueueUrl=url, WaitTimeSeconds=5, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", [])
    for m in got:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return got  # type: ignore[no-any-return]


def test_queue_pages_send_peek_purge_redrive_and_page(browser_page: Watched, server) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    sqs = server.client("sqs")
    dlq = _uniq("pages-dlq")
    dlq_arn = sqs.get_queue_attributes(
        QueueUrl=sqs.create_queue(QueueName=dlq)["QueueUrl"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    name = _uniq("pages-q")
    url = sqs.create_queue(
        QueueName=name,
        Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "50"})
        },
    )["QueueUrl"]

    page = browser_page.page
    sign_in(page, server.url)
    page.click("#nav-queues")
    page.fill("#sqs-prefix", name)
    expect(page.locator("#sqs-table tbody tr")).to_have_count(1)
    page.click(f"#sqs-table a:text-is('{name}')")
    expect(page.locator("#sqs-attributes")).to_contain_text(
        f"arn:aws:sqs:us-east-1:000000000000:{name}"
    )
    expect(page.locator("#sqs-dlq-link")).to_have_text(dlq)

    # sent in the browser, received with boto3
    page.fill("#sqs-body", "from the browser")
    page.fill("#sqs-attrs", "colour=blue\ncount=3")
    page.click("#sqs-send")
    expect(page.locator("#sqs-send-status")).to_contain_text("Sent message ")
    sent_id = page.locator("#sqs-send-status").inner_text().split()[2].rstrip(".")
    got = _receive(sqs, url)
    assert [(m["MessageId"], m["Body"]) for m in got] == [(sent_id, "from the browser")]
    assert got[0]["MessageAttributes"]["colour"] == {"StringValue": "blue", "DataType": "String"}
    assert got[0]["MessageAttributes"]["count"] == {"StringValue": "3", "DataType": "Number"}

    # sent with boto3, seen on peek, and still there for boto3 after peeking
    sqs.send_message(QueueUrl=url, MessageBody="from boto3")
    expect(page.locator("#sqs-peek-note")).to_contain_text("VisibilityTimeout 0")
    page.click("#sqs-peek")
    expect(page.locator("#sqs-peek-table")).to_contain_text("from boto3")
    shot(page, "page-queue")
    assert [m["Body"] for m in _receive(sqs, url)] == ["from boto3"]

    # purge empties the queue
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"purge me {i}")
    page.click("#sqs-refresh")
    expect(page.locator(COUNT)).to_have_text("3")
    expect(page.locator("#sqs-purge-button")).to_be_disabled()
    page.fill("#sqs-purge-confirm", "purge")
    page.click("#sqs-purge-button")
    expect(page.locator(COUNT)).to_have_text("0")
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "0"

    # the DLQ's page lists this queue as a source; create and delete a FIFO queue in the page
    page.click("#sqs-dlq-link")
    expect(page.locator("#sqs-redrive")).to_contain_text(name)
    page.click("#nav-queues")
    page.fill("#sqs-new-name", "bad name!")
    page.click("#sqs-create")
    expect(page.locator("#sqs-create-error")).to_have_text(
        "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
    )
    browser_page.refused(count=1)
    fifo = _uniq("pages-new")
    page.fill("#sqs-new-name", fifo)
    page.check("#sqs-new-fifo")
    page.click("#sqs-create")
    expect(page.locator("#sqs-name")).to_have_text(fifo + ".fifo")
    expect(page.locator("#sqs-group")).to_be_visible()
    assert (
        sqs.get_queue_attributes(
            QueueUrl=sqs.get_queue_url(QueueName=fifo + ".fifo")["QueueUrl"],
            AttributeNames=["FifoQueue"],
        )["Attributes"]["FifoQueue"]
        == "true"
    )
    page.fill("#sqs-delete-confirm", "delete")
    page.click("#sqs-delete-button")
    expect(page.locator("#sqs-table")).to_be_visible()
    assert not any(
        u.endswith("/" + fifo + ".fifo")
        for u in sqs.list_queues(QueueNamePrefix=fifo).get("QueueUrls", [])
    )
    page.fill("#sqs-prefix", name)
    expect(page.locator("#sqs-table tbody tr")).to_have_count(1)
    shot(page, "page-queues")

    # the list pages by the server's NextToken, filtered by prefix on every page
    prefix = _uniq("pages-many")
    for i in range(23):
        sqs.create_queue(QueueName=f"{prefix}-{i:02d}")
    page.fill("#sqs-prefix", prefix)
    expect(page.locator(f"#sqs-table tbody a:text-matches('^{prefix}-')")).to_have_count(20)
    expect(page.locator("#sqs-prev")).to_be_disabled()
    first = set(page.locator("#sqs-table tbody a").all_inner_texts())
    page.click("#sqs-next")
    expect(page.locator("#sqs-table tbody tr")).to_have_count(3)
    expect(page.locator("#sqs-page")).to_have_text("page 2")
    expect(page.locator("#sqs-next")).to_be_disabled()
    second = set(page.locator("#sqs-table tbody a").all_inner_texts())
    assert first | second == {f"{prefix}-{i:02d}" for i in range(23)} and not first & second
    page.click("#sqs-prev")
    expect(page.locator("#sqs-table tbody tr")).to_have_count(20)


def test_stream_page_puts_and_reads_records(browser_page: Watched, server, lam) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    kinesis = server.client("kinesis")
    name = _uniq("pages-s")
    kinesis.create_stream(StreamName=name, ShardCount=2)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.2})
    kinesis.put_record(StreamName=name, PartitionKey="k0", Data=b"put with boto3")
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    fn = _uniq("pages-reader")
    create_python_function(lam, fn, "def handler(event, context):\n    return None\n")
    lam.create_event_source_mapping(  # disabled: listed, never polled
        FunctionName=fn, EventSourceArn=arn, StartingPosition="LATEST", Enabled=False
    )

    page = browser_page.page
    sign_in(page, server.url)
    page.click("#nav-streams")
    page.click(f"#kin-table a:text-is('{name}')")
    expect(page.locator("#kin-summary")).to_contain_text(f"stream/{name}")
    expect(page.locator("#kin-shards tbody tr")).to_have_count(2)
    expect(page.locator(f"#kin-consumers a:text-is('{fn}')")).to_be_visible()
    expect(page.locator("#kin-consumers")).to_contain_text("Disabled")

    page.fill("#kin-key", "k0")  # the same key: the same shard as boto3's record
    page.fill("#kin-data", "put in the browser")
    page.click("#kin-put")
    expect(page.locator("#kin-put-status")).to_contain_text("at sequence number")
    put = page.locator("#kin-put-status").inner_text()
    shard = put.split()[2]
    page.select_option("#kin-from", "TRIM_HORIZON")
    page.click("#kin-read")
    expect(page.locator("#kin-records-table tbody tr")).to_have_count(2)
    expect(page.locator("#kin-records-table")).to_contain_text("put with boto3")
    expect(page.locator("#kin-records-table")).to_contain_text("put in the browser")
    assert page.locator("#kin-shard").input_value() == shard

    # read on from where the page stopped: only what came since
    kinesis.put_record(StreamName=name, PartitionKey="k0", Data=b"and then this")
    page.click("#kin-read-more")
    expect(page.locator("#kin-records-table tbody tr")).to_have_count(3)
    expect(page.locator("#kin-records-table tbody tr").nth(2)).to_contain_text("and then this")
    shot(page, "page-stream", "#kin-put")
    records = kinesis.get_records(
        ShardIterator=kinesis.get_shard_iterator(
            StreamName=name, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
    )["Records"]
    assert b"put in the browser" in [r["Data"] for r in records]

    # the last 15 minutes: all three; LATEST: nothing until the next record
    page.select_option("#kin-from", "AT_TIMESTAMP")
    page.click("#kin-read")
    expect(page.locator("#kin-records-table tbody tr")).to_have_count(3)
    page.select_option("#kin-from", "LATEST")
    page.click("#kin-read")
    expect(page.locator("#kin-records-table")).to_contain_text("No records yet.")
    kinesis.put_record(StreamName=name, PartitionKey="k0", Data=b"the next one")
    page.click("#kin-read-more")
    expect(page.locator("#kin-records-table tbody tr")).to_have_count(1)
    expect(page.locator("#kin-records-table")).to_contain_text("the next one")


def test_topic_and_bus_pages_deliver_to_queues(browser_page: Watched, server) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    sqs, sns, events = server.client("sqs"), server.client("sns"), server.client("events")
    url = sqs.create_queue(QueueName=_uniq("pages-sub"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    topic = sns.create_topic(Name=_uniq("pages-t"))["TopicArn"]
    bus = _uniq("pages-bus")
    events.create_event_bus(Name=bus)
    events.put_rule(
        Name="to-queue", EventBusName=bus, EventPattern=json.dumps({"source": ["pages.test"]})
    )
    events.put_targets(Rule="to-queue", EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}])

    page = browser_page.page
    sign_in(page, server.url)
    page.click("#nav-topics")
    page.click(f"#sns-table a:text-is('{topic.split(':')[-1]}')")
    expect(page.locator("#sns-attributes")).to_contain_text(topic)
    expect(page.locator("#sns-subs")).to_contain_text("No subscriptions.")
    page.select_option("#sns-protocol", "sqs")
    page.fill("#sns-endpoint", queue_arn)
    page.check("#sns-raw")
    page.click("#sns-subscribe")
    expect(page.locator("#sns-subs")).to_contain_text(queue_arn)
    subs = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subs] == [("sqs", queue_arn)]

    page.fill("#sns-subject", "hello")
    page.fill("#sns-message", "published in the browser")
    page.fill("#sns-attrs", "kind=greeting")
    page.click("#sns-publish")
    expect(page.locator("#sns-publish-status")).to_contain_text("Published message ")
    shot(page, "page-topic", "#sns-subs")
    got = _receive(sqs, url)
    assert [m["Body"] for m in got] == ["published in the browser"]  # raw delivery
    assert got[0]["MessageAttributes"]["kind"]["StringValue"] == "greeting"

    page.click("#sns-subs .unsubscribe")
    expect(page.locator("#sns-subs")).to_contain_text("No subscriptions.")
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []

    # the bus: its rule and target, and an event put in the page reaching the queue
    page.click("#nav-buses")
    page.click(f"#eb-table a:text-is('{bus}')")
    expect(page.locator("#eb-rules")).to_contain_text("to-queue")
    expect(page.locator("#eb-rules")).to_contain_text(f"q: {queue_arn}")
    page.fill("#eb-source", "pages.test")
    page.fill("#eb-detail-type", "Page test")
    page.fill("#eb-detail", "{not json")
    page.click("#eb-put")
    expect(page.locator("#eb-put-error")).to_have_text("The detail is not valid JSON.")
    page.fill("#eb-detail", '{"from": "the browser"}')
    page.click("#eb-put")
    expect(page.locator("#eb-failed")).to_have_text("FailedEntryCount: 0")
    event_id = page.locator("#eb-entries tbody td").first.inner_text()
    shot(page, "page-bus", "#eb-rules")
    got = _receive(sqs, url)
    assert len(got) == 1
    event = json.loads(got[0]["Body"])
    assert (event["id"], event["source"], event["detail-type"], event["detail"]) == (
        event_id,
        "pages.test",
        "Page test",
        {"from": "the browser"},
    )


TEMPLATE = json.dumps(
    {
        "Parameters": {"Suffix": {"Type": "String", "Default": "one"}},
        "Resources": {"Jobs": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {
            "JobsUrl": {"Value": {"Ref": "Jobs"}, "Description": "the queue"},
            "Suffix": {"Value": {"Ref": "Suffix"}},
        },
    }
)


def test_stack_and_account_pages(browser_page: Watched, server, lam) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    cfn = server.client("cloudformation")
    name = _uniq("pages-stack")
    cfn.create_stack(
        StackName=name,
        TemplateBody=TEMPLATE,
        Parameters=[{"ParameterKey": "Suffix", "ParameterValue": "two"}],
    )
    cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=FAST)
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    queue_url = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}["JobsUrl"]

    page = browser_page.page
    sign_in(page, server.url)
    page.click("#nav-stacks")
    expect(page.locator("#cfn-table")).to_contain_text(name)
    page.click(f"#cfn-table a:text-is('{name}')")
    expect(page.locator("#cfn-summary")).to_contain_text("CREATE_COMPLETE")
    expect(page.locator("#cfn-outputs")).to_contain_text(queue_url)
    expect(page.locator("#cfn-outputs")).to_contain_text("the queue")
    expect(page.locator("#cfn-parameters")).to_contain_text("two")
    expect(page.locator("#cfn-resources")).to_contain_text("AWS::SQS::Queue")
    expect(page.locator("#cfn-events tbody tr").first).to_contain_text(
        name
    )  # newest first: the stack's own
    expect(page.locator("#cfn-events tbody tr").first).to_contain_text("CREATE_COMPLETE")
    expect(page.locator("#cfn-events")).to_contain_text("Jobs")
    expect(page.locator("#cfn-template")).to_contain_text("AWS::SQS::Queue")
    shot(page, "page-stack", "#cfn-outputs")

    # the queue's physical id links to its page
    page.click("#cfn-resources a.cfn-physical")
    expect(page.locator("#sqs-name")).to_have_text(queue_url.rsplit("/", 1)[1])
    page.go_back()
    page.fill("#cfn-delete-confirm", "delete")
    page.click("#cfn-delete-button")
    expect(page.locator("#cfn-summary")).to_contain_text(
        "DELETE_COMPLETE"
    )  # refreshed until settled
    expect(page.locator("#cfn-events tbody tr").first).to_contain_text("DELETE_COMPLETE")
    cfn.get_waiter("stack_delete_complete").wait(StackName=stack["StackId"], WaiterConfig=FAST)

    # the account page: GetAccountSettings' numbers, the identity, reserved concurrency per function
    fn = _uniq("pages-reserved")
    create_python_function(lam, fn, "def handler(event, context):\n    return None\n")
    lam.put_function_concurrency(FunctionName=fn, ReservedConcurrentExecutions=7)
    settings = lam.get_account_settings()
    # which page of ListFunctions (25 a page, as the account page reads it) holds the function
    pages = [
        [f["FunctionName"] for f in p["Functions"]]
        for p in lam.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 25})
    ]
    at = next(i for i, names in enumerate(pages) if fn in names)
    page.click("#nav-account")
    expect(page.locator("#acct-limit")).to_have_text(
        str(settings["AccountLimit"]["ConcurrentExecutions"])
    )
    expect(page.locator("#acct-id")).to_have_text("000000000000")
    expect(page.locator("#acct-region")).to_have_text("us-east-1")
    expect(page.locator("#acct-functions")).to_be_visible()
    limit = settings["AccountLimit"]
    expect(page.locator("#acct-unreserved")).to_have_text(
        str(limit["UnreservedConcurrentExecutions"])
    )
    expect(page.locator("#acct-reserved")).to_have_text(
        str(limit["ConcurrentExecutions"] - limit["UnreservedConcurrentExecutions"])
    )
    for _ in range(at):  # each click waits for the button, disabled while a page loads
        page.click("#acct-fn-next")
    expect(page.locator("#acct-fn-page")).to_have_text(f"page {at + 1}")
    expect(page.locator(f"#acct-functions tr:has(a:text-is('{fn}'))")).to_contain_text("7")
    shot(page, "page-account")

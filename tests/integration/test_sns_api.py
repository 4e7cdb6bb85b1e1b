"""The SNS API as boto3 and the AWS CLI see it: topics, attributes, tags, subscriptions,
confirmation, paging, Publish's checks, PublishBatch, MessageStructure, errors."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest

from tests.conftest import ServerProcess
from tests.integration.sns_endpoint import http_endpoint
from tests.integration.test_awscli import AWS, Cli


@pytest.fixture(scope="module")
def sns(server: ServerProcess):  # type: ignore[no-untyped-def]
    return server.client("sns")


@pytest.fixture(scope="module")
def sqs(server: ServerProcess):  # type: ignore[no-untyped-def]
    return server.client("sqs")


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def code(e: pytest.ExceptionInfo[Any]) -> tuple[str, str]:
    err = e.value.response["Error"]  # type: ignore[attr-defined]
    return err["Code"], err["Message"]


def queue_arn(sqs, name: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]


def test_create_topic_is_idempotent_and_refuses_other_attributes(sns) -> None:  # type: ignore[no-untyped-def]
    name = uniq("idem")
    a = sns.create_topic(Name=name, Attributes={"DisplayName": "one"})["TopicArn"]
    assert a == f"arn:aws:sns:us-east-1:000000000000:{name}"
    assert sns.create_topic(Name=name, Attributes={"DisplayName": "one"})["TopicArn"] == a
    assert sns.create_topic(Name=name)["TopicArn"] == a
    with pytest.raises(sns.exceptions.InvalidParameterException) as e:
        sns.create_topic(Name=name, Attributes={"DisplayName": "two"})
    assert code(e) == (
        "InvalidParameter",
        "Invalid parameter: Attributes Reason: Topic already exists with different attributes",
    )


@pytest.mark.parametrize(
    ("name", "attrs", "message"),
    [
        ("bad name!", {}, "Invalid parameter: Topic Name"),
        ("x" * 257, {}, "Invalid parameter: Topic Name"),
        ("plain.fifo", {}, "Invalid parameter: Topic Name"),
        ("nofifo", {"FifoTopic": "true"}, "Fifo Topic names must end with .fifo"),
        ("cbd", {"ContentBasedDeduplication": "true"}, "only be set for FIFO topics"),
        ("unknown", {"Color": "red"}, "Invalid parameter: AttributeName"),
    ],
)
def test_create_topic_checks(sns, name: str, attrs: dict[str, str], message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(sns.exceptions.InvalidParameterException) as e:
        sns.create_topic(Name=name, Attributes=attrs)
    assert message in code(e)[1]


def test_topic_attributes(sns) -> None:  # type: ignore[no-untyped-def]
    arn = sns.create_topic(Name=uniq("attrs"))["TopicArn"]
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attrs["TopicArn"] == arn and attrs["Owner"] == "000000000000"
    assert json.loads(attrs["Policy"])["Statement"][0]["Resource"] == arn
    assert (attrs["SubscriptionsConfirmed"], attrs["SubscriptionsPending"]) == ("0", "0")
    assert "FifoTopic" not in attrs
    policy = {"http": {"defaultHealthyRetryPolicy": {"numRetries": 5}}}
    sns.set_topic_attributes(
        TopicArn=arn, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(policy)
    )
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="Shown")
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attrs["DisplayName"] == "Shown"
    assert json.loads(attrs["DeliveryPolicy"]) == policy
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.set_topic_attributes(TopicArn=arn, AttributeName="FifoTopic", AttributeValue="true")
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.set_topic_attributes(
            TopicArn=arn,
            AttributeName="DeliveryPolicy",
            AttributeValue=json.dumps({"http": {"defaultHealthyRetryPolicy": {"numRetries": 500}}}),
        )
    fifo = sns.create_topic(Name=uniq("attrs") + ".fifo", Attributes={"FifoTopic": "true"})[
        "TopicArn"
    ]
    fattrs = sns.get_topic_attributes(TopicArn=fifo)["Attributes"]
    assert (fattrs["FifoTopic"], fattrs["ContentBasedDeduplication"]) == ("true", "false")
    sns.set_topic_attributes(
        TopicArn=fifo, AttributeName="ContentBasedDeduplication", AttributeValue="true"
    )
    assert (
        sns.get_topic_attributes(TopicArn=fifo)["Attributes"]["ContentBasedDeduplication"] == "true"
    )


def test_add_and_remove_permission_edit_the_topic_policy(sns) -> None:  # type: ignore[no-untyped-def]
    arn = sns.create_topic(Name=uniq("perm"))["TopicArn"]
    sns.add_permission(
        TopicArn=arn, Label="other", AWSAccountId=["111122223333"], ActionName=["Publish"]
    )
    policy = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
    [default, added] = policy["Statement"]
    assert default["Sid"] == "__default_statement_ID"
    assert added == {
        "Sid": "other",
        "Effect": "Allow",
        "Principal": {"AWS": ["arn:aws:iam::111122223333:root"]},
        "Action": ["SNS:Publish"],
        "Resource": arn,
    }
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.add_permission(
            TopicArn=arn, Label="other", AWSAccountId=["111122223333"], ActionName=["Publish"]
        )
    sns.remove_permission(TopicArn=arn, Label="other")
    policy = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
    assert [st["Sid"] for st in policy["Statement"]] == ["__default_statement_ID"]


def test_missing_topics_and_bad_arns(sns) -> None:  # type: ignore[no-untyped-def]
    missing = "arn:aws:sns:us-east-1:000000000000:" + uniq("missing")
    for call in (
        lambda: sns.get_topic_attributes(TopicArn=missing),
        lambda: sns.publish(TopicArn=missing, Message="x"),
        lambda: sns.subscribe(
            TopicArn=missing, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:000000000000:q"
        ),
        lambda: sns.list_subscriptions_by_topic(TopicArn=missing),
    ):
        with pytest.raises(sns.exceptions.NotFoundException) as e:
            call()
        assert code(e) == ("NotFound", "Topic does not exist")
    with pytest.raises(sns.exceptions.InvalidParameterException) as e:
        sns.get_topic_attributes(TopicArn="not-an-arn")
    assert code(e) == ("InvalidParameter", "Invalid parameter: TopicArn")
    sns.delete_topic(TopicArn=missing)  # deleting a missing topic succeeds, as on AWS
    with pytest.raises(sns.exceptions.ResourceNotFoundException):
        sns.list_tags_for_resource(ResourceArn=missing)


def test_list_topics_pages_with_next_token(sns) -> None:  # type: ignore[no-untyped-def]
    prefix = uniq("page")
    made = {sns.create_topic(Name=f"{prefix}-{i:03d}")["TopicArn"] for i in range(120)}
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        r = sns.list_topics(**({"NextToken": token} if token else {}))
        pages += 1
        assert len(r["Topics"]) <= 100
        seen += [t["TopicArn"] for t in r["Topics"]]
        token = r.get("NextToken")
        if not token:
            break
    assert pages >= 2 and made <= set(seen) and len(seen) == len(set(seen))
    paginated = [
        t["TopicArn"]
        for page in sns.get_paginator("list_topics").paginate()
        for t in page["Topics"]
    ]
    assert paginated == seen
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.list_topics(NextToken="!!!")


def test_tags(sns) -> None:  # type: ignore[no-untyped-def]
    arn = sns.create_topic(Name=uniq("tags"), Tags=[{"Key": "team", "Value": "a"}])["TopicArn"]
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}])
    tags = sns.list_tags_for_resource(ResourceArn=arn)["Tags"]
    assert tags == [{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "a"}]
    sns.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    with pytest.raises(sns.exceptions.TagLimitExceededException):
        sns.tag_resource(ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    sns.delete_topic(TopicArn=arn)
    with pytest.raises(sns.exceptions.ResourceNotFoundException):
        sns.list_tags_for_resource(ResourceArn=arn)


def test_subscriptions_lifecycle_and_attributes(sns, sqs) -> None:  # type: ignore[no-untyped-def]
    topic = sns.create_topic(Name=uniq("subs"))["TopicArn"]
    _, q = queue_arn(sqs, uniq("subs-q"))
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q)["SubscriptionArn"]
    assert arn.startswith(topic + ":")
    assert sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q)["SubscriptionArn"] == arn
    attrs = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert (attrs["Protocol"], attrs["Endpoint"], attrs["TopicArn"]) == ("sqs", q, topic)
    assert (attrs["PendingConfirmation"], attrs["RawMessageDelivery"]) == ("false", "false")
    sns.set_subscription_attributes(
        SubscriptionArn=arn, AttributeName="FilterPolicy", AttributeValue='{"a": ["b"]}'
    )
    attrs = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert (attrs["FilterPolicy"], attrs["FilterPolicyScope"]) == (
        '{"a": ["b"]}',
        "MessageAttributes",
    )
    with pytest.raises(sns.exceptions.InvalidParameterException) as e:
        sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=q, Attributes={"FilterPolicy": '{"c": ["d"]}'}
        )
    assert "already exists with different attributes" in code(e)[1]
    with pytest.raises(sns.exceptions.InvalidParameterException) as e:
        sns.set_subscription_attributes(
            SubscriptionArn=arn,
            AttributeName="RedrivePolicy",
            AttributeValue=json.dumps({"deadLetterTargetArn": "nope"}),
        )
    assert "deadLetterTargetArn" in code(e)[1]
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert listed == [
        {
            "SubscriptionArn": arn,
            "Owner": "000000000000",
            "Protocol": "sqs",
            "Endpoint": q,
            "TopicArn": topic,
        }
    ]
    assert arn in {s["SubscriptionArn"] for s in sns.list_subscriptions()["Subscriptions"]}
    sns.unsubscribe(SubscriptionArn=arn)
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsDeleted"] == "1"
    with pytest.raises(sns.exceptions.NotFoundException) as e:
        sns.get_subscription_attributes(SubscriptionArn=arn)
    assert code(e) == ("NotFound", "Subscription does not exist")


@pytest.mark.parametrize(
    ("protocol", "endpoint", "message"),
    [
        ("lambda", "not-an-arn", "Lambda endpoint ARN"),
        ("sqs", "arn:aws:lambda:us-east-1:000000000000:function:f", "SQS endpoint ARN"),
        ("http", "ftp://x", "Endpoint"),
        (
            "sqs",
            "arn:aws:sqs:us-east-1:000000000000:q.fifo",
            "FIFO SQS Queues can not be subscribed",
        ),
        ("email", "a@b.c", "not supported by this server"),
        ("carrier-pigeon", "x", "does not support this protocol"),
    ],
)
def test_subscribe_checks(sns, protocol: str, endpoint: str, message: str) -> None:  # type: ignore[no-untyped-def]
    topic = sns.create_topic(Name="subscribe-checks")["TopicArn"]
    with pytest.raises(sns.exceptions.InvalidParameterException) as e:
        sns.subscribe(TopicArn=topic, Protocol=protocol, Endpoint=endpoint)
    assert message in code(e)[1]


def test_raw_delivery_is_refused_for_lambda(sns) -> None:  # type: ignore[no-untyped-def]
    topic = sns.create_topic(Name=uniq("rawlam"))["TopicArn"]
    with pytest.raises(sns.exceptions.InvalidParameterException) as e:
        sns.subscribe(
            TopicArn=topic,
            Protocol="lambda",
            Endpoint="arn:aws:lambda:us-east-1:000000000000:function:f",
            Attributes={"RawMessageDelivery": "true"},
        )
    assert "does not support raw message delivery" in code(e)[1]


def test_http_confirmation_by_api_and_unsubscribe_url(sns) -> None:  # type: ignore[no-untyped-def]
    topic = sns.create_topic(Name=uniq("confirm"))["TopicArn"]
    with http_endpoint(auto_confirm=False) as ep:
        arn = sns.subscribe(
            TopicArn=topic, Protocol="http", Endpoint=ep.url, ReturnSubscriptionArn=True
        )["SubscriptionArn"]
        assert (
            sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"][
                "PendingConfirmation"
            ]
            == "true"
        )
        assert (
            sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"][0]["SubscriptionArn"]
            == "PendingConfirmation"
        )
        deadline = time.monotonic() + 20
        while not ep.received and time.monotonic() < deadline:
            time.sleep(0.02)
        doc = ep.received[0].json()
        # Messages published while pending are not delivered to it.
        sns.publish(TopicArn=topic, Message="before")
        with pytest.raises(sns.exceptions.InvalidParameterException) as e:
            sns.confirm_subscription(TopicArn=topic, Token="wrong")
        assert code(e) == ("InvalidParameter", "Invalid parameter: Invalid token")
        assert (
            sns.confirm_subscription(TopicArn=topic, Token=doc["Token"])["SubscriptionArn"] == arn
        )
        assert (
            sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsConfirmed"] == "1"
        )
        sns.publish(TopicArn=topic, Message="after")
        [note] = ep.wait(1)
        body = note.json()
        assert body["Message"] == "after"
        # The UnsubscribeURL works unsigned, as on AWS.
        with urllib.request.urlopen(body["UnsubscribeURL"], timeout=10) as r:
            assert r.status == 200 and b"UnsubscribeResponse" in r.read()
        assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
        with pytest.raises(urllib.error.HTTPError) as http_err:
            urllib.request.urlopen(body["UnsubscribeURL"], timeout=10)
        assert http_err.value.code == 404 and b"<Code>NotFound</Code>" in http_err.value.read()


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"Message": ""}, "Invalid parameter: Empty message"),
        ({"Message": "x" * (256 * 1024 + 1)}, "Invalid parameter: Message too long"),
        ({"Message": "x", "Subject": "line\nbreak"}, "Invalid parameter: Subject"),
        ({"Message": "x", "MessageStructure": "json"}, "JSON message body failed to parse"),
        ({"Message": '{"sqs": "x"}', "MessageStructure": "json"}, "No default entry"),
        ({"Message": "x", "MessageDeduplicationId": "d"}, "not valid for this topic type"),
        (
            {
                "Message": "x",
                "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "x"}},
            },
            "Could not cast message attribute 'n' value to number.",
        ),
    ],
)
def test_publish_checks(sns, kw: dict[str, Any], message: str) -> None:  # type: ignore[no-untyped-def]
    topic = sns.create_topic(Name="publish-checks")["TopicArn"]
    with pytest.raises(sns.exceptions.InvalidParameterException) as e:
        sns.publish(TopicArn=topic, **kw)
    assert message in code(e)[1]


def test_publish_without_a_target(sns) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(sns.exceptions.InvalidParameterException) as e:
        sns.publish(Message="x")
    assert "TopicArn or TargetArn" in code(e)[1]


def test_message_structure_json_picks_the_protocols_message(sns, sqs) -> None:  # type: ignore[no-untyped-def]
    topic = sns.create_topic(Name=uniq("structure"))["TopicArn"]
    url, q = queue_arn(sqs, uniq("structure-q"))
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q)
    sns.publish(
        TopicArn=topic,
        MessageStructure="json",
        Message=json.dumps({"default": "for everyone", "sqs": "for queues"}),
        TargetArn=topic,
    )
    r = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10)
    assert json.loads(r["Messages"][0]["Body"])["Message"] == "for queues"


def test_publish_batch(sns, sqs) -> None:  # type: ignore[no-untyped-def]
    topic = sns.create_topic(Name=uniq("batch"))["TopicArn"]
    url, q = queue_arn(sqs, uniq("batch-q"))
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=q, Attributes={"RawMessageDelivery": "true"}
    )
    r = sns.publish_batch(
        TopicArn=topic,
        PublishBatchRequestEntries=[
            {"Id": "ok1", "Message": "one"},
            {"Id": "bad", "Message": "two", "MessageDeduplicationId": "x"},
            {"Id": "ok2", "Message": "three", "Subject": "s"},
        ],
    )
    assert [s["Id"] for s in r["Successful"]] == ["ok1", "ok2"]
    [failed] = r["Failed"]
    assert (failed["Id"], failed["Code"], failed["SenderFault"]) == (
        "bad",
        "InvalidParameter",
        True,
    )
    got: set[str] = set()
    deadline = time.monotonic() + 20
    while len(got) < 2 and time.monotonic() < deadline:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            got.add(m["Body"])
    assert got == {"one", "three"}
    for entries, exc in (
        ([{"Id": "a", "Message": "x"}] * 2, sns.exceptions.BatchEntryIdsNotDistinctException),
        (
            [{"Id": f"e{i}", "Message": "x"} for i in range(11)],
            sns.exceptions.TooManyEntriesInBatchRequestException,
        ),
        ([{"Id": "bad id!", "Message": "x"}], sns.exceptions.InvalidBatchEntryIdException),
        (
            [{"Id": f"e{i}", "Message": "x" * 100_000} for i in range(3)],
            sns.exceptions.BatchRequestTooLongException,
        ),
    ):
        with pytest.raises(exc):
            sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)


def test_unsupported_operations_answer_invalid_action(sns) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(sns.exceptions.ClientError) as e:
        sns.list_platform_applications()
    assert code(e)[0] == "InvalidAction"


@pytest.mark.skipif(not AWS.exists(), reason="awscli is not installed in the venv")
def test_the_aws_cli_publishes_to_a_queue(server: ServerProcess, sqs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path / "home"
    home.mkdir()
    cli = Cli(server.url, home)
    topic = cli.ok("sns", "create-topic", "--name", uniq("cli"))["TopicArn"]
    url, q = queue_arn(sqs, uniq("cli-q"))
    sub = cli.ok(
        "sns",
        "subscribe",
        "--topic-arn",
        topic,
        "--protocol",
        "sqs",
        "--notification-endpoint",
        q,
        "--attributes",
        "RawMessageDelivery=true",
    )["SubscriptionArn"]
    assert sub.startswith(topic)
    mid = cli.ok(
        "sns",
        "publish",
        "--topic-arn",
        topic,
        "--message",
        "from the cli",
        "--message-attributes",
        '{"k": {"DataType": "String", "StringValue": "v"}}',
    )["MessageId"]
    r = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10, MessageAttributeNames=["All"])
    [m] = r["Messages"]
    assert m["Body"] == "from the cli" and m["MessageAttributes"]["k"]["StringValue"] == "v"
    listed = cli.ok("sns", "list-subscriptions-by-topic", "--topic-arn", topic)["Subscriptions"]
    assert [s["SubscriptionArn"] for s in listed] == [sub]
    err = cli.fails("sns", "get-topic-attributes", "--topic-arn", topic + "-missing")
    assert "NotFound" in err and "Topic does not exist" in err
    assert mid

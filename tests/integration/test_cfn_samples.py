"""AWS's own sample applications deployed unchanged with `sam deploy`, and their functions
answering (examples/, see each README for its origin):

- sam-hello-world: `sam init --runtime python3.11 --app-template hello-world` as SAM CLI
  1.170.0 generates it (from the template it ships, no network). Its `Api` event needs API
  Gateway, which Ovis does not serve: the deploy is refused with a reason naming it, and
  nothing is left behind. Its variant with a function URL instead (sam-hello-world-url) deploys
  and answers over its URL in test_sam_cli.py.
- sqs-queue-processing: the Lambda Developer Guide's SQS application (queue + function with an
  SQS event): a message sent to the queue reaches the function, whose log `sam logs` shows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ServerProcess
from tests.integration import deploy_tools
from tests.integration.deploy_tools import (
    SAM,
    SESSION_TIMEOUT_S,
    Tool,
    copy_app,
    physical_id,
    poll,
    stack_exists,
    unique,
)

pytestmark = pytest.mark.timeout(SESSION_TIMEOUT_S)


@pytest.fixture(scope="module")
def deploy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from deploy_tools.deploy_server(tmp_path_factory)


@pytest.fixture(scope="module")
def lam(deploy_server: ServerProcess) -> Any:
    """The Lambda client of the server the tools deploy to (this module's, not the shared one)."""
    return deploy_server.client("lambda")


@pytest.fixture
def sam(deploy_server: ServerProcess, tmp_path: Path) -> Tool:
    return Tool(SAM, deploy_server.url, tmp_path / "home")


@pytest.fixture(scope="module")
def cfn(deploy_server: ServerProcess) -> Any:
    return deploy_server.client("cloudformation")


def sam_deploy(stack: str) -> tuple[str, ...]:
    return (
        "deploy",
        "--resolve-s3",
        "--stack-name",
        stack,
        "--capabilities",
        "CAPABILITY_IAM",
        "--no-confirm-changeset",
    )


def test_hello_world_sample_is_refused_naming_api_gateway(
    sam: Tool, cfn: Any, lam: Any, tmp_path: Path
) -> None:
    app = copy_app("sam-hello-world", tmp_path)
    assert "Type: Api" in (app / "template.yaml").read_text()  # the sample, as generated
    stack = unique("sam-hello-api")

    refused = sam.fails(*sam_deploy(stack), cwd=app)
    # CreateChangeSet's ValidationError, naming the resource, the event and the missing service.
    assert "HelloWorldFunction" in refused.output, refused
    assert re.search(r"HelloWorld\S* of type Api needs API Gateway", refused.output), refused

    # Nothing was made: no stack resources (a CREATE change set that failed may leave the stack
    # REVIEW_IN_PROGRESS, as on AWS), and no function.
    if stack_exists(cfn, stack):
        desc = cfn.describe_stacks(StackName=stack)["Stacks"][0]
        assert desc["StackStatus"] == "REVIEW_IN_PROGRESS", desc
        assert cfn.list_stack_resources(StackName=stack)["StackResourceSummaries"] == []
    names = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    assert not [n for n in names if n.startswith(stack)], names


def test_queue_processing_sample_processes_messages(
    deploy_server: ServerProcess, sam: Tool, cfn: Any, lam: Any, tmp_path: Path
) -> None:
    app = copy_app("sqs-queue-processing", tmp_path)
    stack = unique("sam-queue")
    sam.ok(*sam_deploy(stack), cwd=app)

    function = physical_id(cfn, stack, "MySQSQueueFunction")
    sqs: Any = deploy_server.client("sqs")
    queue_url = sqs.get_queue_url(QueueName="my-queue")["QueueUrl"]
    assert physical_id(cfn, stack, "MySqsQueue") == queue_url
    mappings = lam.list_event_source_mappings(FunctionName=function)["EventSourceMappings"]
    assert [(m["BatchSize"], m["State"]) for m in mappings] == [(10, "Enabled")], mappings

    body = unique("order")
    sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    # The function logs each body (console.log): the message reached it.
    logs: Any = deploy_server.client("logs")

    def logged() -> bool:
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{function}")["events"]
        except logs.exceptions.ResourceNotFoundException:
            return False
        return any(body in e["message"] for e in events)

    poll(f"the function to log {body}", logged)

    def queue_drained() -> bool:
        attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
        counts = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")
        return all(attrs[c] == "0" for c in counts)

    poll("the processed message to be deleted from the queue", queue_drained)

    shown = sam.ok("logs", "-n", "MySQSQueueFunction", "--stack-name", stack, cwd=app)
    assert body in shown.stdout, shown
    cfn.delete_stack(StackName=stack)

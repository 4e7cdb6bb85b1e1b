"""The AWS CLI v1's CloudFormation commands against a live server, as a user types them:
`aws cloudformation package` (uploads local code to the server's S3 and rewrites the template),
`aws cloudformation deploy` (a change set, its waiter, the stack waiter; the "No changes to
deploy" path with and without --no-fail-on-empty-changeset; --parameter-overrides), then
`describe-stacks`, `delete-stack` and `wait stack-delete-complete`.

The template is examples/cfn-function (plain CloudFormation: an IAM role and a Python function).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ServerProcess
from tests.integration import deploy_tools
from tests.integration.deploy_tools import (
    AWS,
    SESSION_TIMEOUT_S,
    Tool,
    copy_app,
    invoke_json,
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
def aws(deploy_server: ServerProcess, tmp_path: Path) -> Tool:
    return Tool(AWS, deploy_server.url, tmp_path / "home")


def next_second() -> None:
    """Waits for the clock's next whole second. `aws cloudformation deploy` names its change set
    after the second it starts in and leaves an empty one in place (as on AWS), so a second
    deploy of the same stack within that second would be refused: AlreadyExistsException."""
    start = int(time.time())
    while int(time.time()) == start:
        time.sleep(0.01)


def test_package_deploy_update_describe_and_delete(
    deploy_server: ServerProcess, aws: Tool, lam: Any, tmp_path: Path
) -> None:
    cfn: Any = deploy_server.client("cloudformation")
    s3: Any = deploy_server.client("s3")
    app = copy_app("cfn-function", tmp_path)
    bucket = unique("cfn-artifacts")
    stack = unique("cfn-greeter")
    aws.ok("s3", "mb", f"s3://{bucket}", cwd=app)

    aws.ok(
        "cloudformation",
        "package",
        "--s3-bucket",
        bucket,
        "--template-file",
        "template.yaml",
        "--output-template-file",
        "out.yaml",
        cwd=app,
    )
    packaged = (app / "out.yaml").read_text()
    assert f"S3Bucket: {bucket}" in packaged, packaged
    [code] = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert f"S3Key: {code['Key']}" in packaged

    deploy = ("cloudformation", "deploy", "--template-file", "out.yaml", "--stack-name", stack)
    created = aws.ok(*deploy, "--capabilities", "CAPABILITY_IAM", cwd=app)
    assert f"Successfully created/updated stack - {stack}" in created.output, created

    described = json.loads(
        aws.ok("cloudformation", "describe-stacks", "--stack-name", stack, cwd=app).stdout
    )
    [desc] = described["Stacks"]
    assert desc["StackStatus"] == "CREATE_COMPLETE"
    assert desc["Capabilities"] == ["CAPABILITY_IAM"]
    assert desc["Parameters"] == [{"ParameterKey": "Greeting", "ParameterValue": "hello"}]
    outputs = {o["OutputKey"]: o for o in desc["Outputs"]}
    function = outputs["FunctionName"]["OutputValue"]
    assert outputs["FunctionArn"]["ExportName"] == f"{stack}-FunctionArn"
    assert invoke_json(lam, function, {"name": "ovis"}) == {"greeting": "hello", "name": "ovis"}

    # Deployed again unchanged: the change set has no changes. By default the CLI exits 255
    # saying so; with --no-fail-on-empty-changeset it exits 0.
    next_second()
    same = aws.fails(*deploy, "--capabilities", "CAPABILITY_IAM", cwd=app)
    assert same.returncode == 255
    assert f"No changes to deploy. Stack {stack} is up to date" in same.output, same
    next_second()
    quiet = aws.ok(
        *deploy, "--capabilities", "CAPABILITY_IAM", "--no-fail-on-empty-changeset", cwd=app
    )
    assert f"No changes to deploy. Stack {stack} is up to date" in quiet.output, quiet

    # A parameter change updates the function in place (same name, new environment).
    next_second()
    aws.ok(
        *deploy, "--capabilities", "CAPABILITY_IAM", "--parameter-overrides", "Greeting=hi", cwd=app
    )
    [desc] = cfn.describe_stacks(StackName=stack)["Stacks"]
    assert desc["StackStatus"] == "UPDATE_COMPLETE"
    assert invoke_json(lam, function)["greeting"] == "hi"

    aws.ok("cloudformation", "delete-stack", "--stack-name", stack, cwd=app)
    # The server runs with --cfn-settle: DeleteStack answered once the delete was done, so the
    # waiter's first look (its next one would be 30 s later) finds the stack gone.
    assert not stack_exists(cfn, stack)
    aws.ok("cloudformation", "wait", "stack-delete-complete", "--stack-name", stack, cwd=app)
    gone = aws.fails("cloudformation", "describe-stacks", "--stack-name", stack, cwd=app)
    assert f"Stack with id {stack} does not exist" in gone.stderr, gone
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=function)

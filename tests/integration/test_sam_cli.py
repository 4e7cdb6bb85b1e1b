"""The SAM CLI (aws-sam-cli from PyPI, `make sam-cli`) against a live server, as a user types it:
`sam deploy --resolve-s3` (SAM's managed stack and bucket) and `--s3-bucket`, `sam remote
invoke`, `sam list stack-outputs`, `sam logs`, a deploy without changes, a code change, `sam
delete`, and `sam build` then `sam deploy` for Python and Node.js functions with dependencies.

Each sam call is a subprocess costing a second or more, so each test is one user's session and
checks what the user would see plus the state the server's own APIs report.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ServerProcess
from tests.integration import deploy_tools, urls
from tests.integration.deploy_tools import (
    SAM,
    SESSION_TIMEOUT_S,
    Tool,
    copy_app,
    invoke_json,
    physical_id,
    poll,
    stack_exists,
    stack_outputs,
    unique,
)

MANAGED_STACK = "aws-sam-cli-managed-default"
HELLO = {"statusCode": 200, "body": json.dumps({"message": "hello world"})}


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


@pytest.fixture(scope="module")
def s3(deploy_server: ServerProcess) -> Any:
    return deploy_server.client("s3")


def artifacts(cfn: Any, stack: str, bucket: str) -> list[str]:
    """The S3 keys of the code SAM uploaded, from the template it deployed (GetTemplate's
    Original stage: the packaged template, CodeUri: s3://bucket/<md5>)."""
    original = cfn.get_template(StackName=stack, TemplateStage="Original")["TemplateBody"]
    keys = re.findall(rf"s3://{re.escape(bucket)}/([0-9a-f]{{32}})", str(original))
    assert keys, original
    return keys


def deploy_args(stack: str, *extra: str) -> tuple[str, ...]:
    return (
        "deploy",
        "--stack-name",
        stack,
        "--capabilities",
        "CAPABILITY_IAM",
        "--no-confirm-changeset",
        *extra,
    )


def test_deploy_invoke_update_and_delete_with_resolve_s3(
    deploy_server: ServerProcess, sam: Tool, cfn: Any, s3: Any, lam: Any, tmp_path: Path
) -> None:
    app = copy_app("sam-hello-world-url", tmp_path)
    stack = unique("sam-hello")

    first = sam.ok(*deploy_args(stack, "--resolve-s3"), cwd=app)
    assert f"Successfully created/updated stack - {stack}" in first.output, first
    # The change set SAM printed, then the stack events it streamed until the stack completed.
    assert re.search(r"\+ Add\s+HelloWorldFunction\s+AWS::Lambda::Function", first.output), first
    assert re.search(r"CREATE_COMPLETE\s+AWS::CloudFormation::Stack\s+" + stack, first.output)

    # --resolve-s3 made SAM's managed stack, tagged as SAM checks, and its versioned bucket.
    managed = cfn.describe_stacks(StackName=MANAGED_STACK)["Stacks"][0]
    assert managed["StackStatus"] == "CREATE_COMPLETE"
    assert {"Key": "ManagedStackSource", "Value": "AwsSamCli"} in managed["Tags"]
    bucket = stack_outputs(cfn, MANAGED_STACK)["SourceBucket"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    first_code = artifacts(cfn, stack, bucket)
    for key in first_code:
        s3.head_object(Bucket=bucket, Key=key)

    outputs = stack_outputs(cfn, stack)
    function = outputs["HelloWorldFunction"]
    assert invoke_json(lam, function) == HELLO
    got = urls.Url(deploy_server, outputs["HelloWorldFunctionUrl"]).call("GET", "/")
    assert (got.status, json.loads(got.body)) == (200, {"message": "hello world"})

    remote = sam.ok("remote", "invoke", "HelloWorldFunction", "--stack-name", stack, cwd=app)
    assert json.loads(remote.stdout) == HELLO, remote

    listed = sam.ok("list", "stack-outputs", "--stack-name", stack, "--output", "json", cwd=app)
    by_key = {o["OutputKey"]: o["OutputValue"] for o in json.loads(listed.stdout)}
    assert by_key == outputs

    # The platform's START/END/REPORT lines of the invocations above, read from the function's
    # log group (/aws/lambda/<name>) which SAM finds through the stack's resources.
    def logged() -> bool:
        out = sam.ok("logs", "-n", "HelloWorldFunction", "--stack-name", stack, cwd=app).stdout
        return "REPORT RequestId" in out

    poll("sam logs to show the invocations", logged, every=0.5)

    # The same code and template again: SAM's change set has no changes.
    again = sam.ok(*deploy_args(stack, "--resolve-s3", "--no-fail-on-empty-changeset"), cwd=app)
    assert f"No changes to deploy. Stack {stack} is up to date" in again.output, again
    assert cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"

    code = app / "hello_world" / "app.py"
    code.write_text(code.read_text().replace('"hello world"', '"hello again"'))
    changed = sam.ok(*deploy_args(stack, "--resolve-s3"), cwd=app)
    assert re.search(r"\* Modify\s+HelloWorldFunction\s+AWS::Lambda::Function", changed.output)
    assert cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    assert json.loads(invoke_json(lam, function)["body"]) == {"message": "hello again"}

    # The new code went to a new key (named by its MD5), the first one is still there.
    latest = artifacts(cfn, stack, bucket)
    assert latest != first_code
    for key in latest + first_code:
        s3.head_object(Bucket=bucket, Key=key)

    sam.ok("delete", "--stack-name", stack, "--no-prompts", cwd=app)
    assert not stack_exists(cfn, stack)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=function)
    # sam delete removed the artifacts of the stack's template from the managed bucket (the
    # bucket stays, and so do older artifacts: SAM deletes what the last template names).
    for key in latest:
        with pytest.raises(s3.exceptions.ClientError, match="404"):
            s3.head_object(Bucket=bucket, Key=key)
    s3.head_bucket(Bucket=bucket)


def test_build_then_deploy_python_and_node_dependencies_with_s3_bucket(
    sam: Tool, cfn: Any, s3: Any, lam: Any, tmp_path: Path
) -> None:
    app = copy_app("sam-build-deps", tmp_path)
    stack = unique("sam-deps")
    bucket = unique("sam-artifacts")
    s3.create_bucket(Bucket=bucket)

    built = sam.ok("build", cwd=app)
    assert "Build Succeeded" in built.output, built
    assert (app / ".aws-sam" / "build" / "PythonFunction" / "six.py").exists()
    assert (app / ".aws-sam" / "build" / "NodeFunction" / "node_modules" / "ms").is_dir()

    # Without --template-file, sam deploy takes the built template (.aws-sam/build).
    sam.ok(*deploy_args(stack, "--s3-bucket", bucket), cwd=app)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert len([k for k in keys if not k.endswith(".template")]) == 2, keys
    assert [k for k in keys if k.endswith(".template")], keys

    outputs = stack_outputs(cfn, stack)
    assert invoke_json(lam, outputs["PythonFunctionName"]) == {
        "runtime": "python",
        "dependency": "six",
        "version": "1.17.0",
    }
    assert invoke_json(lam, outputs["NodeFunctionName"]) == {
        "runtime": "node",
        "dependency": "ms",
        "twoDays": 172_800_000,
    }
    assert physical_id(cfn, stack, "NodeFunction") == outputs["NodeFunctionName"]
    cfn.delete_stack(StackName=stack)

"""`aws cloudformation deploy` (awscli v1 from the venv) against a live server: a first deploy
creates the stack through a CREATE change set, a second one with the same template finds no
changes (it matches our change set's StatusReason) and exits 0 with
--no-fail-on-empty-changeset, and `delete-stack` + `wait stack-delete-complete` remove it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ServerProcess
from tests.integration.test_awscli import AWS, Cli
from tests.integration.test_cfn_awscli import next_second

pytestmark = pytest.mark.skipif(not AWS.exists(), reason="awscli is not installed in the venv")

TEMPLATE = """
Parameters:
  Vis:
    Type: Number
    Default: 30
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: !Ref Vis
Outputs:
  Url:
    Value: !Ref Queue
"""


def test_aws_cloudformation_deploy(server: ServerProcess, tmp_path: Path) -> None:
    cli = Cli(server.url, tmp_path)
    tpl = tmp_path / "template.yaml"
    tpl.write_text(TEMPLATE)
    name = "cli-deploy-stack"
    r = cli.run("cloudformation", "deploy", "--template-file", str(tpl), "--stack-name", name)
    assert r.returncode == 0, r.stderr
    out = json.loads(cli.run("cloudformation", "describe-stacks", "--stack-name", name).stdout)
    assert out["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    next_second()  # awscli names its change sets by the second
    r = cli.run(
        "cloudformation",
        "deploy",
        "--template-file",
        str(tpl),
        "--stack-name",
        name,
        "--no-fail-on-empty-changeset",
    )
    assert r.returncode == 0, r.stderr
    assert "No changes to deploy" in r.stdout
    next_second()
    r = cli.run(
        "cloudformation",
        "deploy",
        "--template-file",
        str(tpl),
        "--stack-name",
        name,
        "--parameter-overrides",
        "Vis=60",
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(cli.run("cloudformation", "describe-stacks", "--stack-name", name).stdout)
    assert out["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    assert out["Stacks"][0]["Parameters"] == [{"ParameterKey": "Vis", "ParameterValue": "60"}]
    assert cli.run("cloudformation", "delete-stack", "--stack-name", name).returncode == 0
    r = cli.run("cloudformation", "wait", "stack-delete-complete", "--stack-name", name)
    assert r.returncode == 0, r.stderr

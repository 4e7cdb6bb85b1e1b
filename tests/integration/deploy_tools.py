"""The deployment tools users type, as subprocesses against a live server: the SAM CLI (`sam`,
installed by `make sam-cli` into its own venv, found through OVIS_SAM_CLI or at
.venv-sam/bin/sam) and the AWS CLI v1 (`aws`, in the project venv).

Each tool runs exactly as a user would run it, pointed at the server by AWS_ENDPOINT_URL (which
both route every service through), with the test server's credentials, isolated from the
machine's AWS configuration (HOME is a temporary directory; the AWS config and credentials files
point at files that do not exist). The SAM CLI runs without telemetry and without its weekly
update check (its metadata file in HOME says it checked just now); nothing needs Docker.

A missing tool fails the test that needs it (CI installs it with `make test`): never a skip.

The tools run against a server of their test module's (`deploy_server()`), started with
`--cfn-settle`: the SAM CLI and the AWS CLI look at a change set or stack right after
creating/executing/deleting it and, when it is not done yet, sleep 5-30 s (fixed in their code)
before looking again; with the option CloudFormation answers those calls when the work is done,
so the first look sees the end state.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REGION, ROOT, ServerProcess, start_server

EXAMPLES = ROOT / "examples"
SAM = Path(os.environ.get("OVIS_SAM_CLI") or ROOT / ".venv-sam" / "bin" / "sam")
AWS = Path(sys.executable).with_name("aws")
# One tool call: a deploy of a few resources takes seconds; `sam build` runs pip and npm.
TOOL_TIMEOUT_S = 300
# A test driving a tool through a user's session: each call is a process of its own that loads
# boto3 and the tool (1-2 s of CPU each), far more on a loaded machine than pytest's default.
SESSION_TIMEOUT_S = 600


# Longer than any stack the tests deploy takes: the answer comes when the work is done.
CFN_SETTLE_S = "20"


def deploy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A module's server for the tools (the body of each module's `deploy_server` fixture)."""
    srv = start_server(
        tmp_path_factory.mktemp("ovis-deploy") / "data", "--cfn-settle", CFN_SETTLE_S
    )
    yield srv
    srv.stop()


@dataclass
class Result:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def __str__(self) -> str:
        return (
            f"$ {' '.join(self.args)}\nexit {self.returncode}\n--- stdout\n{self.stdout}"
            f"\n--- stderr\n{self.stderr}"
        )


class Tool:
    """One command-line tool with the environment of a user pointed at the server."""

    def __init__(self, exe: Path, url: str, home: Path) -> None:
        if not exe.exists():
            pytest.fail(
                f"{exe} is missing: `make sam-cli` installs the SAM CLI, `make install-dev` awscli"
            )
        self.exe = exe
        home.mkdir(parents=True, exist_ok=True)
        sam_dir = home / ".aws-sam"
        sam_dir.mkdir(exist_ok=True)
        (sam_dir / "metadata.json").write_text(
            json.dumps({"telemetryEnabled": False, "lastVersionCheck": time.time()})
        )
        # The rest of the caller's environment (PATH for python3.x/npm, pip's settings) is kept,
        # but none of its AWS settings, nor pytest-cov's (which would measure the tools).
        drop = ("AWS_", "SAM_CLI_", "COV_CORE_", "COVERAGE_")
        env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
        env.update(
            HOME=str(home),
            AWS_ENDPOINT_URL=url,
            AWS_ACCESS_KEY_ID="test",
            AWS_SECRET_ACCESS_KEY="test",
            AWS_DEFAULT_REGION=REGION,
            AWS_CONFIG_FILE=str(home / "no-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(home / "no-credentials"),
            AWS_EC2_METADATA_DISABLED="true",
            AWS_PAGER="",
            SAM_CLI_TELEMETRY="0",
            # SAM's documented poll interval for change sets and stack events (default 5 s).
            SAM_CLI_POLL_DELAY="0.2",
            # A wide terminal: SAM wraps its tables to the terminal's width.
            COLUMNS="250",
            PYTHONWARNINGS="ignore",
        )
        self.env = env

    def run(self, *args: str, cwd: Path, timeout: float = TOOL_TIMEOUT_S) -> Result:
        p = subprocess.run(
            [str(self.exe), *args],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        return Result((self.exe.name, *args), p.returncode, p.stdout, p.stderr)

    def ok(self, *args: str, cwd: Path, timeout: float = TOOL_TIMEOUT_S) -> Result:
        r = self.run(*args, cwd=cwd, timeout=timeout)
        assert r.returncode == 0, str(r)
        return r

    def fails(self, *args: str, cwd: Path, timeout: float = TOOL_TIMEOUT_S) -> Result:
        r = self.run(*args, cwd=cwd, timeout=timeout)
        assert r.returncode != 0, str(r)
        return r


def unique(prefix: str) -> str:
    """A stack/bucket name no other test on the shared server uses."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def copy_app(name: str, dest: Path) -> Path:
    """A private copy of examples/<name> (tests edit their copy, never the sample)."""
    target = dest / name
    shutil.copytree(
        EXAMPLES / name,
        target,
        ignore=shutil.ignore_patterns(".aws-sam", "__pycache__", "node_modules", "out.yaml"),
    )
    return target


def stack_outputs(cfn: Any, stack: str) -> dict[str, str]:
    desc = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in desc.get("Outputs", [])}


def physical_id(cfn: Any, stack: str, logical_id: str) -> str:
    got = cfn.describe_stack_resource(StackName=stack, LogicalResourceId=logical_id)
    return str(got["StackResourceDetail"]["PhysicalResourceId"])


def invoke_json(lam: Any, function: str, payload: object | None = None) -> Any:
    resp = lam.invoke(FunctionName=function, Payload=json.dumps(payload or {}).encode())
    body = resp["Payload"].read()
    assert "FunctionError" not in resp, body
    return json.loads(body)


def stack_exists(cfn: Any, stack: str) -> bool:
    """Whether DescribeStacks knows the stack (by name, deleted stacks are not found)."""
    try:
        cfn.describe_stacks(StackName=stack)
    except cfn.exceptions.ClientError as e:
        assert f"Stack with id {stack} does not exist" in str(e), e
        return False
    return True


def poll(what: str, check: Callable[[], Any], timeout: float = 30, every: float = 0.2) -> Any:
    """check()'s first truthy answer; fails naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)

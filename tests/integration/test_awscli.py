"""The AWS CLI (``aws`` from the venv, awscli v1) against a live server, as a user types it.

Every call is a subprocess with a timeout, isolated from the machine's AWS configuration: HOME is
a temporary directory and the config/credentials files point at files that do not exist.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ACCOUNT, REGION, ROLE

AWS = Path(sys.executable).with_name("aws")
CLI_TIMEOUT_S = 60

pytestmark = pytest.mark.skipif(not AWS.exists(), reason="awscli is not installed in the venv")


class Cli:
    def __init__(self, url: str, home: Path) -> None:
        self.url = url
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": str(home / "no-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
            "AWS_PAGER": "",
            "AWS_EC2_METADATA_DISABLED": "true",
            "PYTHONWARNINGS": "ignore",
        }

    def run(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(AWS), "--endpoint-url", self.url, "--output", "json", *args],
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT_S,
        )

    def ok(self, *args: str) -> Any:
        """Run; require success; parse stdout as JSON (None when empty)."""
        p = self.run(*args)
        assert p.returncode == 0, (args, p.returncode, p.stderr)
        return json.loads(p.stdout) if p.stdout.strip() else None

    def fails(self, *args: str, env: dict[str, str] | None = None) -> str:
        p = self.run(*args, env=env)
        assert p.returncode != 0, (args, p.stdout)
        return p.stderr


@pytest.fixture
def cli(server, tmp_path: Path) -> Cli:  # type: ignore[no-untyped-def]
    home = tmp_path / "home"
    home.mkdir()
    return Cli(server.url, home)


@pytest.fixture
def code_zip(tmp_path: Path) -> Path:
    path = tmp_path / "function.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "app.py",
            "import os\n"
            "def handler(event, context):\n"
            "    return {'got': event, 'mode': os.environ.get('MODE')}\n",
        )
    return path


def invoke(cli: Cli, name: str, payload: str, out: Path) -> dict[str, Any]:
    """``aws lambda invoke`` with a raw JSON payload, in the syntax this CLI version takes.

    AWS CLI v2 (and late v1) needs ``--cli-binary-format raw-in-base64-out`` for a literal
    JSON payload; older v1 releases do not know the option and send the string as is.
    """
    args = ["lambda", "invoke", "--function-name", name, "--payload", payload, str(out)]
    p = cli.run(*args[:2], "--cli-binary-format", "raw-in-base64-out", *args[2:])
    if p.returncode != 0 and "--cli-binary-format" in p.stderr:
        p = cli.run(*args)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)  # type: ignore[no-any-return]


def test_function_lifecycle_with_the_aws_cli(cli: Cli, code_zip: Path, tmp_path: Path) -> None:
    name = f"cli-{uuid.uuid4().hex[:12]}"
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"

    created = cli.ok(
        "lambda",
        "create-function",
        "--function-name",
        name,
        "--runtime",
        "python3.11",
        "--role",
        ROLE,
        "--handler",
        "app.handler",
        "--zip-file",
        f"fileb://{code_zip}",
        "--tags",
        "team=cli",
    )
    assert created["FunctionArn"] == arn
    assert created["State"] == "Pending"
    assert created["CodeSize"] == code_zip.stat().st_size
    cli.ok("lambda", "wait", "function-active-v2", "--function-name", name)

    listed = cli.ok("lambda", "list-functions", "--page-size", "2")
    names = [f["FunctionName"] for f in listed["Functions"]]
    assert names.count(name) == 1

    got = cli.ok("lambda", "get-function", "--function-name", name)
    assert got["Configuration"]["State"] == "Active"
    assert got["Configuration"]["Handler"] == "app.handler"
    assert got["Tags"] == {"team": "cli"}
    assert got["Code"]["Location"].startswith(cli.url + "/")

    out = tmp_path / "out.json"
    meta = invoke(cli, name, '{"x":1}', out)
    assert meta["StatusCode"] == 200
    assert "FunctionError" not in meta
    assert json.loads(out.read_text()) == {"got": {"x": 1}, "mode": None}

    updated = cli.ok(
        "lambda",
        "update-function-configuration",
        "--function-name",
        name,
        "--timeout",
        "15",
        "--memory-size",
        "256",
        "--environment",
        "Variables={MODE=updated}",
        "--description",
        "via the CLI",
    )
    assert (updated["Timeout"], updated["MemorySize"]) == (15, 256)
    assert updated["Environment"] == {"Variables": {"MODE": "updated"}}
    assert updated["LastUpdateStatus"] == "InProgress"
    cli.ok("lambda", "wait", "function-updated-v2", "--function-name", name)
    cfg = cli.ok("lambda", "get-function-configuration", "--function-name", name)
    assert cfg["LastUpdateStatus"] == "Successful"
    assert cfg["Description"] == "via the CLI"

    meta = invoke(cli, name, '{"x":2}', out)
    assert meta["StatusCode"] == 200
    assert json.loads(out.read_text()) == {"got": {"x": 2}, "mode": "updated"}

    deleted = cli.ok("lambda", "delete-function", "--function-name", name)
    assert deleted in (None, {"StatusCode": 204})  # AWS answers 204 No Content
    err = cli.fails("lambda", "get-function", "--function-name", name)
    assert "ResourceNotFoundException" in err


def test_cli_reports_server_errors(cli: Cli, code_zip: Path) -> None:
    name = f"cli-{uuid.uuid4().hex[:12]}"
    err = cli.fails(
        "lambda",
        "create-function",
        "--function-name",
        name,
        "--runtime",
        "python3.11",
        "--role",
        ROLE,
        "--handler",
        "app.handler",
        "--zip-file",
        f"fileb://{code_zip}",
        "--timeout",
        "1000",
    )
    assert "ValidationException" in err
    assert "Member must have value less than or equal to 900" in err

    err = cli.fails("lambda", "list-functions", env={"AWS_SECRET_ACCESS_KEY": "wrong"})
    assert "InvalidSignatureException" in err

    settings = cli.ok("lambda", "get-account-settings")
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000

"""S3 through the AWS CLI v1 (``aws s3 cp/sync/ls/rm/mb/rb`` and ``aws s3api``), as a user
types it, against a live server; isolated from the machine's AWS configuration."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REGION, ServerProcess

AWS = Path(sys.executable).with_name("aws")
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

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(AWS), "--endpoint-url", self.url, "--output", "json", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def ok(self, *args: str) -> str:
        p = self.run(*args)
        assert p.returncode == 0, (args, p.returncode, p.stderr)
        return p.stdout

    def json(self, *args: str) -> Any:
        out = self.ok(*args)
        return json.loads(out) if out.strip() else None


@pytest.fixture
def cli(server: ServerProcess, tmp_path: Path) -> Cli:
    home = tmp_path / "home"
    home.mkdir()
    return Cli(server.url, home)


def test_mb_cp_sync_ls_rm_rb(cli: Cli, tmp_path: Path) -> None:
    bucket = f"cli-{uuid.uuid4().hex[:10]}"
    assert f"make_bucket: {bucket}" in cli.ok("s3", "mb", f"s3://{bucket}")
    src = tmp_path / "tree"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("alpha")
    (src / "sub" / "b.txt").write_text("beta")
    (src / "sub" / "space name.txt").write_text("gamma")
    cli.ok("s3", "cp", str(src / "a.txt"), f"s3://{bucket}/one/a.txt", "--no-progress")
    cli.ok("s3", "sync", str(src), f"s3://{bucket}/tree/", "--no-progress")
    listing = cli.ok("s3", "ls", f"s3://{bucket}", "--recursive")
    keys = sorted(line.split(maxsplit=3)[3] for line in listing.splitlines())
    assert keys == ["one/a.txt", "tree/a.txt", "tree/sub/b.txt", "tree/sub/space name.txt"]
    top = cli.ok("s3", "ls", f"s3://{bucket}/tree/")
    assert "PRE sub/" in top and "a.txt" in top
    assert bucket in cli.ok("s3", "ls")
    # a second sync copies nothing: sizes and times match
    assert cli.ok("s3", "sync", str(src), f"s3://{bucket}/tree/", "--no-progress") == ""
    back = tmp_path / "back"
    cli.ok("s3", "sync", f"s3://{bucket}/tree/", str(back), "--no-progress")
    assert (back / "sub" / "space name.txt").read_text() == "gamma"
    assert cli.ok("s3", "cp", f"s3://{bucket}/tree/sub/b.txt", "-") == "beta"
    cli.ok("s3", "rm", f"s3://{bucket}", "--recursive")
    assert cli.ok("s3", "ls", f"s3://{bucket}", "--recursive") == ""
    cli.ok("s3", "rb", f"s3://{bucket}")
    p = cli.run("s3", "ls", f"s3://{bucket}")
    assert p.returncode != 0 and "NoSuchBucket" in p.stderr


def test_cp_of_a_multipart_file_round_trips(cli: Cli, tmp_path: Path) -> None:
    bucket = f"cli-{uuid.uuid4().hex[:10]}"
    cli.ok("s3", "mb", f"s3://{bucket}")
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(20 * 1024 * 1024))  # over the CLI's 8 MiB multipart threshold
    cli.ok("s3", "cp", str(big), f"s3://{bucket}/big.bin", "--no-progress")
    head = cli.json("s3api", "head-object", "--bucket", bucket, "--key", "big.bin")
    assert head["ContentLength"] == 20 * 1024 * 1024 and head["ETag"].endswith('-3"')
    out = tmp_path / "out.bin"
    cli.ok("s3", "cp", f"s3://{bucket}/big.bin", str(out), "--no-progress")
    assert hashlib.md5(out.read_bytes()).digest() == hashlib.md5(big.read_bytes()).digest()


def test_s3api_commands_and_errors(cli: Cli, tmp_path: Path) -> None:
    bucket = f"cli-{uuid.uuid4().hex[:10]}"
    assert cli.json("s3api", "create-bucket", "--bucket", bucket)["Location"] == f"/{bucket}"
    f = tmp_path / "f.json"
    f.write_text('{"k": 1}')
    put = cli.json(
        "s3api", "put-object", "--bucket", bucket, "--key", "f.json", "--body", str(f),
        "--content-type", "application/json", "--metadata", "a=b",
    )  # fmt: skip
    assert put["ETag"] == f'"{hashlib.md5(f.read_bytes()).hexdigest()}"'
    head = cli.json("s3api", "head-object", "--bucket", bucket, "--key", "f.json")
    assert head["ContentType"] == "application/json" and head["Metadata"] == {"a": "b"}
    listed = cli.json("s3api", "list-objects-v2", "--bucket", bucket)
    assert [o["Key"] for o in listed["Contents"]] == ["f.json"]
    cli.ok(
        "s3api", "put-bucket-tagging", "--bucket", bucket,
        "--tagging", "TagSet=[{Key=env,Value=test}]",
    )  # fmt: skip
    tags = cli.json("s3api", "get-bucket-tagging", "--bucket", bucket)["TagSet"]
    assert tags == [{"Key": "env", "Value": "test"}]
    p = cli.run("s3api", "get-object", "--bucket", bucket, "--key", "missing", str(tmp_path / "o"))
    assert p.returncode != 0 and "NoSuchKey" in p.stderr
    p = cli.run("s3api", "create-bucket", "--bucket", "Not_Valid")
    assert p.returncode != 0 and "InvalidBucketName" in p.stderr
    url = cli.ok("s3", "presign", f"s3://{bucket}/f.json").strip()
    import urllib.request

    with urllib.request.urlopen(url) as r:
        assert r.read() == f.read_bytes()

"""Real Terraform with the hashicorp/aws provider against a live server: ``tests/terraform/
main.tf`` (every resource docs/terraform.md lists) is applied, planned again with no changes,
changed in place (new function code), planned again and destroyed.

Needs ``terraform`` on PATH and the provider: from a filesystem mirror when
``OVIS_TF_PLUGIN_DIR`` is set (``terraform init -plugin-dir``), else from the registry. Skips
with a message naming what is missing otherwise (machines without network access to
registry.terraform.io cannot run it). Tested with Terraform 1.11.4 and hashicorp/aws 5.100.0:
``OVIS_TF_PLUGIN_DIR=/opt/tf-plugins`` on the machine that built it. About 8 minutes (the
provider waits ~25 s per new SQS queue for attribute propagation, as it does on AWS)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ServerProcess, make_client, start_server, zip_bytes

MAIN_TF = Path(__file__).resolve().parent.parent / "terraform" / "main.tf"
CODE = "def handler(event, context):\n    return {{'code': {n}, 'event': event}}\n"
TIMEOUT = 900


def _terraform() -> str:
    tf = shutil.which("terraform")
    if tf is None:
        pytest.skip(
            "terraform is not on PATH (install Terraform >= 1.5 and the hashicorp/aws provider, "
            "or set OVIS_TF_PLUGIN_DIR to a filesystem mirror holding it)"
        )
    return tf


@pytest.fixture
def tf_server(tmp_path: Path) -> Iterator[ServerProcess]:
    srv = start_server(tmp_path / "data")
    yield srv
    srv.stop()


class Terraform:
    def __init__(self, binary: str, workdir: Path, variables: dict[str, str]) -> None:
        self.binary = binary
        self.workdir = workdir
        self.variables = variables
        self.env = dict(
            os.environ,
            TF_IN_AUTOMATION="1",
            CHECKPOINT_DISABLE="1",
            TF_INPUT="0",
            AWS_EC2_METADATA_DISABLED="true",
        )

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        out = subprocess.run(
            [self.binary, *args],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        if check and out.returncode != 0:
            raise AssertionError(
                f"terraform {' '.join(args)} exited {out.returncode}:\n{out.stdout}\n{out.stderr}"
            )
        return out

    def var_args(self) -> list[str]:
        return [f"-var={k}={v}" for k, v in self.variables.items()]

    def init(self) -> None:
        args = ["init", "-no-color", "-input=false"]
        plugin_dir = os.environ.get("OVIS_TF_PLUGIN_DIR")
        if plugin_dir:
            args.append(f"-plugin-dir={plugin_dir}")
        out = self.run(*args, check=False)
        if out.returncode != 0:
            where = f"the mirror {plugin_dir}" if plugin_dir else "registry.terraform.io"
            pytest.skip(
                f"terraform init could not get the hashicorp/aws provider from {where}: "
                + (out.stderr.strip().splitlines() or ["(no output)"])[-1]
            )

    def apply(self) -> str:
        return self.run("apply", "-auto-approve", "-no-color", *self.var_args()).stdout

    def plan_exit_code(self) -> tuple[int, str]:
        out = self.run("plan", "-detailed-exitcode", "-no-color", *self.var_args(), check=False)
        return out.returncode, out.stdout + out.stderr

    def outputs(self) -> dict[str, str]:
        raw = json.loads(self.run("output", "-json").stdout)
        return {k: v["value"] for k, v in raw.items()}


@pytest.mark.timeout(1800)  # the provider takes ~10 s to start per command on a busy machine
def test_apply_plan_change_destroy(tf_server: ServerProcess, tmp_path: Path) -> None:
    binary = _terraform()
    work = tmp_path / "tf"
    work.mkdir()
    shutil.copy(MAIN_TF, work / "main.tf")
    fn_zip, layer_zip = work / "function.zip", work / "layer.zip"
    fn_zip.write_bytes(zip_bytes({"app.py": CODE.format(n=1)}))
    layer_zip.write_bytes(zip_bytes({"python/helper.py": "X = 1\n"}))
    prefix = f"tf{uuid.uuid4().hex[:8]}"
    tf = Terraform(
        binary,
        work,
        {
            "endpoint": tf_server.url,
            "prefix": prefix,
            "function_zip": str(fn_zip),
            "layer_zip": str(layer_zip),
        },
    )
    tf.init()
    lam = make_client(tf_server.url, "lambda")
    s3 = make_client(tf_server.url, "s3")
    fn = f"{prefix}-fn"

    tf.apply()
    out = json.loads(lam.invoke(FunctionName=fn, Qualifier="live", Payload=b"{}")["Payload"].read())
    assert out["code"] == 1
    assert tf.outputs()["alias_arn"].endswith(f":function:{fn}:live")
    assert s3.get_object_tagging(Bucket=f"{prefix}-data", Key="config/app.json")["TagSet"]

    code, text = tf.plan_exit_code()
    assert code == 0, f"a plan right after apply must report no changes:\n{text}"

    # a code change is applied in place: the function is updated, nothing is replaced
    fn_zip.write_bytes(zip_bytes({"app.py": CODE.format(n=2)}))
    applied = tf.apply()
    assert " 0 destroyed" in applied and " 0 added" in applied, applied
    out = json.loads(lam.invoke(FunctionName=fn, Payload=b"{}")["Payload"].read())
    assert out["code"] == 2
    out = json.loads(lam.invoke(FunctionName=fn, Qualifier="live", Payload=b"{}")["Payload"].read())
    assert out["code"] == 2  # the alias follows the newly published version
    code, text = tf.plan_exit_code()
    assert code == 0, f"a plan after the in-place change must report no changes:\n{text}"

    tf.run("destroy", "-auto-approve", "-no-color", *tf.var_args())
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=fn)
    assert not [b for b in s3.list_buckets()["Buckets"] if b["Name"] == f"{prefix}-data"]
    iam = make_client(tf_server.url, "iam")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName=f"{prefix}-role")

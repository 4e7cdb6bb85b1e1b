"""provided*: exec /var/task/bootstrap, refused as Lambda does when it cannot be exec'd."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ovis.runtimes.base import Start
from ovis.runtimes.provided.adapter import ProvidedAdapter
from tests.unit.runtimes.configs import LAMBDA_ENV, config, context


def test_environment_argv_and_transport(tmp_path: Path) -> None:
    bootstrap = tmp_path / "bootstrap"
    bootstrap.write_text("#!/bin/sh\n")
    bootstrap.chmod(0o755)
    spec = ProvidedAdapter().launch(config("provided.al2023"), context(code_dir=str(tmp_path)))
    assert spec.start is Start.EXEC
    assert spec.argv == ("/var/task/bootstrap",)
    assert spec.transport == "http"
    assert spec.interpreter == sys.executable and spec.executables == ()
    assert spec.preflight() is None
    assert dict(spec.env) == {
        "PATH": "/usr/local/bin:/usr/bin:/bin:/opt/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "LD_LIBRARY_PATH": "/opt/lib",
        "LAMBDA_TASK_ROOT": "/var/task",
        "LAMBDA_RUNTIME_DIR": sys.prefix,
        "_HANDLER": "app.handler",
        "AWS_EXECUTION_ENV": "AWS_Lambda_provided.al2023",
        **LAMBDA_ENV,
    }


def test_a_missing_or_non_executable_bootstrap_is_refused(tmp_path: Path) -> None:
    adapter = ProvidedAdapter()
    missing = adapter.launch(config("provided"), context(code_dir=str(tmp_path))).preflight()
    assert missing is not None
    assert missing.error_type == "Runtime.InvalidEntrypoint"
    assert missing.message == "fork/exec /var/task/bootstrap: no such file or directory"
    (tmp_path / "bootstrap").write_text("#!/bin/sh\n")
    (tmp_path / "bootstrap").chmod(0o644)
    ctx = context(code_dir=str(tmp_path), namespaces=False)
    denied = adapter.launch(config("provided"), ctx).preflight()
    assert denied is not None
    assert denied.message == f"fork/exec {tmp_path}/bootstrap: permission denied"
    assert json.loads(denied.payload())["errorMessage"].startswith("RequestId: {rid} Error: ")

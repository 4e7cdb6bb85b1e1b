"""python3.x: fork from the zygote of the function's interpreter; channel or http transport."""

from __future__ import annotations

import sys
from pathlib import Path

from ovis.runtimes.base import Start
from ovis.runtimes.python import sdk
from ovis.runtimes.python.adapter import BOOTSTRAP, OWN_PYTHON, PythonAdapter
from tests.unit.runtimes.configs import LAMBDA_ENV, config, context


def test_environment_argv_and_transport() -> None:
    cfg = config(environment={"MINE": "1", "TZ": ":Europe/Paris"})
    spec = PythonAdapter().launch(cfg, context())
    assert spec.start is Start.FORK
    assert spec.transport == "channel"
    assert spec.interpreter == sys.executable
    # only for --spawn-mode exec: a fresh interpreter, isolated, told where its SDK is
    assert spec.argv == (
        sys.executable,
        "-I",
        "-S",
        "-X",
        "frozen_modules=on",
        str(BOOTSTRAP),
        spec.sdk_dir,
    )
    assert spec.sdk_dir == str(sdk.sdk_dir(OWN_PYTHON)) and spec.preload_sdk
    assert spec.cwd == "/var/task"
    assert spec.task_dir == "/data/code/trees/abc" and spec.layers == ("/data/code/trees/l1",)
    assert spec.rootfs is None and spec.preflight() is None
    assert dict(spec.env) == {
        "PATH": "/usr/local/bin:/usr/bin:/bin:/opt/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":Europe/Paris",  # the function's own variables win
        "LD_LIBRARY_PATH": "/opt/lib",
        "LAMBDA_TASK_ROOT": "/var/task",
        "LAMBDA_RUNTIME_DIR": spec.sdk_dir,
        "_HANDLER": "app.handler",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
        **LAMBDA_ENV,
        "MINE": "1",
    }


def test_http_transport_and_another_interpreter() -> None:
    ctx = context(transport="http", interpreters={"python3.12": "/usr/bin/python3.12"})
    spec = PythonAdapter().launch(config("python3.12"), ctx)
    assert spec.transport == "http"
    assert spec.interpreter == "/usr/bin/python3.12"  # forked by that interpreter's zygote
    assert spec.argv[0] == "/usr/bin/python3.12"
    assert spec.env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert spec.sdk_dir == str(sdk.sdk_dir("python3.12"))  # that interpreter's own SDK


def test_a_function_bundling_an_sdk_package_is_not_forked_from_a_preloaded_zygote(
    tmp_path: Path,
) -> None:
    code, layer = tmp_path / "code", tmp_path / "layer"
    (code / "app").mkdir(parents=True)
    assert PythonAdapter().launch(config(), context(code_dir=str(code))).preload_sdk
    (code / "botocore").mkdir()
    assert not PythonAdapter().launch(config(), context(code_dir=str(code))).preload_sdk
    (layer / "python/lib/python3.11/site-packages/boto3").mkdir(parents=True)
    ctx = context(code_dir=str(tmp_path / "app"), layers=(str(layer),))
    assert not PythonAdapter().launch(config(), ctx).preload_sdk
    (tmp_path / "six-layer/python").mkdir(parents=True)
    (tmp_path / "six-layer/python/six.py").write_text("")
    ctx = context(code_dir=str(tmp_path / "app"), layers=(str(tmp_path / "six-layer"),))
    assert not PythonAdapter().launch(config(), ctx).preload_sdk


def test_without_namespaces_the_code_runs_where_it_lies() -> None:
    spec = PythonAdapter().launch(config(), context(namespaces=False))
    assert spec.cwd == "/data/code/trees/abc"
    assert spec.env["LAMBDA_TASK_ROOT"] == "/data/code/trees/abc"


def test_handles_python_zips_only() -> None:
    adapter = PythonAdapter()
    assert adapter.handles(config("python3.13"))
    assert not adapter.handles(config("nodejs20.x"))
    assert not adapter.handles(config("python3.11", package_type="Image"))

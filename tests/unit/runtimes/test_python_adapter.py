"""python3.x: fork from the zygote of the function's interpreter; channel or http transport."""

from __future__ import annotations

import sys

from ovis.runtimes.base import Start
from ovis.runtimes.python.adapter import BOOTSTRAP, PythonAdapter
from tests.unit.runtimes.configs import LAMBDA_ENV, config, context


def test_environment_argv_and_transport() -> None:
    cfg = config(environment={"MINE": "1", "TZ": ":Europe/Paris"})
    spec = PythonAdapter().launch(cfg, context())
    assert spec.start is Start.FORK
    assert spec.transport == "channel"
    assert spec.interpreter == sys.executable
    assert spec.argv == (sys.executable, str(BOOTSTRAP))  # only for --spawn-mode exec
    assert spec.cwd == "/var/task"
    assert spec.task_dir == "/data/code/trees/abc" and spec.layers == ("/data/code/trees/l1",)
    assert spec.rootfs is None and spec.preflight() is None
    assert dict(spec.env) == {
        "PATH": "/usr/local/bin:/usr/bin:/bin:/opt/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":Europe/Paris",  # the function's own variables win
        "LD_LIBRARY_PATH": "/opt/lib",
        "LAMBDA_TASK_ROOT": "/var/task",
        "LAMBDA_RUNTIME_DIR": sys.prefix,
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


def test_without_namespaces_the_code_runs_where_it_lies() -> None:
    spec = PythonAdapter().launch(config(), context(namespaces=False))
    assert spec.cwd == "/data/code/trees/abc"
    assert spec.env["LAMBDA_TASK_ROOT"] == "/data/code/trees/abc"


def test_handles_python_zips_only() -> None:
    adapter = PythonAdapter()
    assert adapter.handles(config("python3.13"))
    assert not adapter.handles(config("nodejs20.x"))
    assert not adapter.handles(config("python3.11", package_type="Image"))

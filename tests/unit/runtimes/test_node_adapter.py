"""nodejsNN.x: exec node bootstrap.mjs over the Runtime API, NODE_PATH for layers' modules."""

from __future__ import annotations

import sys

from ovis.runtimes.base import Start
from ovis.runtimes.node.adapter import BOOTSTRAP, NodeAdapter
from tests.unit.runtimes.configs import LAMBDA_ENV, config, context

NODE = "/opt/node22/bin/node"


def test_environment_argv_and_transport() -> None:
    ctx = context(interpreters={"nodejs22.x": NODE}, transport="channel")
    spec = NodeAdapter().launch(config("nodejs22.x", handler="index.handler"), ctx)
    assert spec.start is Start.EXEC
    assert spec.transport == "http"  # whatever --python-transport says
    assert spec.argv == (NODE, str(BOOTSTRAP))
    assert spec.executables == (NODE,)  # exposed inside the sandbox
    assert spec.interpreter == sys.executable  # the server's zygote forks and isolates it
    assert spec.cwd == "/var/task"
    assert dict(spec.env) == {
        "PATH": "/usr/local/bin:/usr/bin:/bin:/opt/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "LD_LIBRARY_PATH": "/opt/lib",
        "LAMBDA_TASK_ROOT": "/var/task",
        "LAMBDA_RUNTIME_DIR": str(BOOTSTRAP.parent),
        "_HANDLER": "index.handler",
        "AWS_EXECUTION_ENV": "AWS_Lambda_nodejs22.x",
        **LAMBDA_ENV,
        "NODE_PATH": "/opt/nodejs/node22/node_modules:/opt/nodejs/node_modules:"
        "/var/runtime/node_modules:/var/runtime:/var/task",
    }


def test_the_function_may_set_its_own_node_path_and_node_defaults_to_usr_bin() -> None:
    cfg = config("nodejs20.x", environment={"NODE_PATH": "/mine"})
    spec = NodeAdapter().launch(cfg, context(namespaces=False))
    assert spec.env["NODE_PATH"] == "/mine"
    assert spec.argv[0] == "/usr/bin/node"
    assert spec.cwd == spec.env["LAMBDA_TASK_ROOT"] == "/data/code/trees/abc"


def test_handles_node_zips_only() -> None:
    assert NodeAdapter().handles(config("nodejs22.x"))
    assert not NodeAdapter().handles(config("python3.11"))

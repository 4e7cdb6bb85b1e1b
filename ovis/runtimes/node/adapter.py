"""nodejsNN.x: the forked child execs ``node bootstrap.mjs``, which talks to the Runtime API.

The Python zygote still forks and isolates the instance; node itself is exec'd after that.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ovis.models.function import FunctionConfig
from ovis.runtimes.base import LaunchContext, LaunchSpec, Start, zip_environment

BOOTSTRAP = Path(__file__).resolve().parent / "bootstrap.mjs"
DEFAULT_NODE = "/usr/bin/node"


class NodeAdapter:
    name = "nodejs"

    def handles(self, cfg: FunctionConfig) -> bool:
        return cfg.package_type != "Image" and cfg.runtime.startswith("nodejs")

    def launch(self, cfg: FunctionConfig, ctx: LaunchContext) -> LaunchSpec:
        node = ctx.interpreters.get(cfg.runtime) or DEFAULT_NODE
        env = zip_environment(cfg, ctx, str(BOOTSTRAP.parent), node_env(cfg.runtime, ctx.task_root))
        return LaunchSpec(
            start=Start.EXEC,
            env=env,
            transport="http",
            interpreter=sys.executable,
            cwd=ctx.task_root,
            argv=(node, str(BOOTSTRAP)),
            task_dir=ctx.code_dir,
            layers=ctx.layers,
            executables=(node,),
        )


def node_env(runtime: str, task_root: str) -> dict[str, str]:
    """What AWS's Node.js runtimes add to the environment: NODE_PATH finds layers' modules."""
    major = runtime.removeprefix("nodejs").split(".")[0]
    node_path = [
        f"/opt/nodejs/node{major}/node_modules",
        "/opt/nodejs/node_modules",
        "/var/runtime/node_modules",
        "/var/runtime",
        task_root,
    ]
    return {"NODE_PATH": ":".join(node_path)}

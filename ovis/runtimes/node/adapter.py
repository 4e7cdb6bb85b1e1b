"""nodejsNN.x: the forked child execs ``node bootstrap.mjs``, which talks to the Runtime API.

The Python zygote still forks and isolates the instance; node itself is exec'd after that. Each
Node runtime runs with its own node (``LaunchContext.interpreters``: the host's node for its
major version, runtime-owned builds for the others, see ``installs.py``).

The runtime-owned AWS SDK for JavaScript v3 (``sdk_dir``, what Lambda has at
/var/runtime/node_modules) goes on NODE_PATH right after /var/runtime/node_modules, where Lambda
has its SDK: require() finds a function's own copy (/var/task/node_modules) and layers'
(/opt/nodejs/...) first, as on Lambda; bootstrap.mjs makes ``import`` search NODE_PATH too.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ovis.models.function import FunctionConfig
from ovis.runtimes.base import LaunchContext, LaunchSpec, Start, zip_environment

BOOTSTRAP = Path(__file__).resolve().parent / "bootstrap.mjs"
DEFAULT_NODE = "/usr/bin/node"


class NodeAdapter:
    """Launches Node.js zip functions; ``sdk_dir`` is the SDK's node_modules, None without it."""

    name = "nodejs"

    def __init__(self, sdk_dir: str | None = None) -> None:
        self.sdk_dir = sdk_dir

    def handles(self, cfg: FunctionConfig) -> bool:
        return cfg.package_type != "Image" and cfg.runtime.startswith("nodejs")

    def launch(self, cfg: FunctionConfig, ctx: LaunchContext) -> LaunchSpec:
        node = ctx.interpreters.get(cfg.runtime) or DEFAULT_NODE
        runtime_env = node_env(cfg.runtime, ctx.task_root, self.sdk_dir)
        env = zip_environment(cfg, ctx, str(BOOTSTRAP.parent), runtime_env)
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


def node_env(runtime: str, task_root: str, sdk_dir: str | None = None) -> dict[str, str]:
    """What AWS's Node.js runtimes add to the environment: NODE_PATH finds layers' modules and
    the runtime's SDK (``sdk_dir`` stands in for /var/runtime/node_modules, which it follows)."""
    major = runtime.removeprefix("nodejs").split(".")[0]
    node_path = [
        f"/opt/nodejs/node{major}/node_modules",
        "/opt/nodejs/node_modules",
        "/var/runtime/node_modules",
        *([sdk_dir] if sdk_dir else []),
        "/var/runtime",
        task_root,
    ]
    return {"NODE_PATH": ":".join(node_path)}

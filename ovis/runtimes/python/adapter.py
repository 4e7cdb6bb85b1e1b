"""python3.x: instances fork from the zygote of the function's interpreter and run bootstrap.py.

The managed Python runtime talks over the instance's private channel, or over the HTTP Runtime
API with ``--python-transport http``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ovis.models.function import FunctionConfig
from ovis.runtimes.base import LaunchContext, LaunchSpec, Start, zip_environment

BOOTSTRAP = Path(__file__).resolve().parent / "bootstrap.py"


class PythonAdapter:
    name = "python"

    def handles(self, cfg: FunctionConfig) -> bool:
        return cfg.package_type != "Image" and cfg.runtime.startswith("python")

    def launch(self, cfg: FunctionConfig, ctx: LaunchContext) -> LaunchSpec:
        interpreter = ctx.interpreters.get(cfg.runtime) or sys.executable
        return LaunchSpec(
            start=Start.FORK,
            env=zip_environment(cfg, ctx, str(sys.prefix), {}),
            transport=ctx.python_transport,
            interpreter=interpreter,
            cwd=ctx.task_root,
            argv=(interpreter, str(BOOTSTRAP)),
            task_dir=ctx.code_dir,
            layers=ctx.layers,
        )

"""python3.x: instances fork from the zygote of the function's interpreter and run bootstrap.py.

The managed Python runtime talks over the instance's private channel, or over the HTTP Runtime
API with ``--python-transport http``. Its sys.path is Lambda's: /var/task, the layers' python
directories, the runtime's SDK directory (``sdk.py``) and the standard library.

A function that ships its own copy of an SDK package (boto3, botocore, urllib3...) in its code
or a layer is forked from a zygote that did not preload the SDK, so its copy is the one imported,
as on Lambda; looking for one reads the code and layer directories once per spec.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ovis.models.function import FunctionConfig
from ovis.runtimes.base import LaunchContext, LaunchSpec, Start, zip_environment
from ovis.runtimes.python import sdk

BOOTSTRAP = Path(__file__).resolve().parent / "bootstrap.py"
OWN_PYTHON = f"python{sys.version_info[0]}.{sys.version_info[1]}"


class PythonAdapter:
    name = "python"

    def handles(self, cfg: FunctionConfig) -> bool:
        return cfg.package_type != "Image" and cfg.runtime.startswith("python")

    def launch(self, cfg: FunctionConfig, ctx: LaunchContext) -> LaunchSpec:
        interpreter = ctx.interpreters.get(cfg.runtime) or sys.executable
        version = cfg.runtime if cfg.runtime in ctx.interpreters else OWN_PYTHON
        sdk_dir = sdk.sdk_dir(version)
        return LaunchSpec(
            start=Start.FORK,
            env=zip_environment(cfg, ctx, str(sdk_dir), {}),
            transport=ctx.python_transport,
            interpreter=interpreter,
            cwd=ctx.task_root,
            # a fresh interpreter, isolated as the zygote is: nothing of the server importable
            argv=(interpreter, "-I", "-S", "-X", "frozen_modules=on", str(BOOTSTRAP), str(sdk_dir)),
            task_dir=ctx.code_dir,
            layers=ctx.layers,
            sdk_dir=str(sdk_dir),
            preload_sdk=not bundled_sdk_packages(ctx, version, sdk_dir),
        )


def bundled_sdk_packages(ctx: LaunchContext, version: str, sdk_dir: Path) -> list[str]:
    """The SDK packages the function ships in its code or layers (found where it imports from)."""
    dirs = [ctx.code_dir]
    for layer in ctx.layers:
        dirs += [
            os.path.join(layer, "python"),
            os.path.join(layer, f"python/lib/{version}/site-packages"),
        ]
    return sdk.bundled(sdk.top_level_names(sdk_dir) or sdk.DEFAULT_TOP_LEVEL, dirs)

"""provided*: the forked child execs the function's /var/task/bootstrap (Runtime API over HTTP)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from ovis.models.function import FunctionConfig
from ovis.runtimes.base import LaunchContext, LaunchSpec, Refusal, Start, zip_environment


class ProvidedAdapter:
    name = "provided"

    def handles(self, cfg: FunctionConfig) -> bool:
        return cfg.package_type != "Image" and cfg.runtime.startswith("provided")

    def launch(self, cfg: FunctionConfig, ctx: LaunchContext) -> LaunchSpec:
        bootstrap = f"{ctx.task_root}/bootstrap"
        return LaunchSpec(
            start=Start.EXEC,
            env=zip_environment(cfg, ctx, str(sys.prefix), {}),
            transport="http",
            interpreter=sys.executable,
            cwd=ctx.task_root,
            argv=(bootstrap,),
            task_dir=ctx.code_dir,
            layers=ctx.layers,
            preflight=_bootstrap_check(os.path.join(ctx.code_dir, "bootstrap"), bootstrap),
        )


def _bootstrap_check(host_path: str, seen_as: str) -> Callable[[], Refusal | None]:
    """The bootstrap must be an executable file, else the start fails as Lambda's (Go) does."""

    def check() -> Refusal | None:
        if os.path.isfile(host_path) and os.access(host_path, os.X_OK):
            return None
        reason = "permission denied" if os.path.exists(host_path) else "no such file or directory"
        return Refusal("Runtime.InvalidEntrypoint", f"fork/exec {seen_as}: {reason}")

    return check

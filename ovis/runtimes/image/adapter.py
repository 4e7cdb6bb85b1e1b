"""PackageType=Image: the instance pivots into the image's root filesystem and execs ENTRYPOINT +
CMD there (ImageConfig overrides them), talking to the Runtime API; the image's Env lies under
Lambda's own variables, the function's over both."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping

from ovis.models.function import FunctionConfig
from ovis.runtimes.base import LaunchContext, LaunchSpec, Refusal, Start
from ovis.storage.images import entrypoint_problem

IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class ImageAdapter:
    name = "image"

    def handles(self, cfg: FunctionConfig) -> bool:
        return cfg.package_type == "Image"

    def launch(self, cfg: FunctionConfig, ctx: LaunchContext) -> LaunchSpec:
        digest = cfg.image_digest or ""
        record = ctx.images.get(digest) if ctx.images is not None else None
        overrides = cfg.image_config
        entrypoint = tuple(overrides.get("EntryPoint") or (record.entrypoint if record else ()))
        command = tuple(overrides.get("Command") or (record.cmd if record else ()))
        workdir = overrides.get("WorkingDirectory") or (record.workdir if record else "") or "/"
        env = {
            "PATH": IMAGE_PATH,
            "TZ": ":UTC",
            "LAMBDA_TASK_ROOT": "/var/task",
            "LAMBDA_RUNTIME_DIR": "/var/runtime",
            **(record.env if record else {}),
            **ctx.lambda_env,
            **cfg.environment,
        }
        if command:
            env["_HANDLER"] = command[0]
        rootfs = str(ctx.images.rootfs_path(digest)) if ctx.images is not None else ""
        argv = entrypoint + command
        return LaunchSpec(
            start=Start.EXEC_IN_ROOTFS,
            env=env,
            transport="http",
            interpreter=sys.executable,
            cwd=workdir,
            argv=argv,
            task_dir=rootfs,
            rootfs=rootfs,
            preflight=_image_check(ctx, rootfs, argv, env, workdir),
        )


def _image_check(
    ctx: LaunchContext, rootfs: str, argv: tuple[str, ...], env: Mapping[str, str], workdir: str
) -> Callable[[], Refusal | None]:
    """Refuse, in Lambda's words, what could not start: no mount namespaces to pivot in, an
    image missing from the store, no command, or one that cannot be exec'd as the instance."""
    namespaces, isolation = ctx.namespaces, ctx.isolation

    def check() -> Refusal | None:
        if not namespaces:
            return Refusal(
                "Runtime.Unknown",
                "container image functions need mount namespaces: run the server as root "
                f"with isolation ({isolation})",
            )
        if not rootfs or not os.path.isdir(rootfs):
            return Refusal("Runtime.InvalidEntrypoint", "the image is not in this server's store")
        if not argv:
            return Refusal("Runtime.InvalidEntrypoint", "the image has no ENTRYPOINT or CMD")
        problem = entrypoint_problem(rootfs, argv[0], env.get("PATH", ""), workdir)
        if problem is not None:
            return Refusal("Runtime.InvalidEntrypoint", problem)
        return None

    return check

"""What a runtime adapter is, and the typed launch spec it produces.

An adapter (one per runtime family, ``runtimes/<family>/adapter.py``) is a pure function of a
function's configuration and a ``LaunchContext``: it decides the environment, the argv, the
transport and, for images, the root filesystem, and returns one ``LaunchSpec``. The sandbox starts
an instance by following the spec's ``start`` mode; it never asks which runtime it runs.

Contract:
- ``LaunchSpec`` and ``LaunchContext`` are frozen values; an adapter keeps no state, so one
  adapter object serves every function and any thread.
- ``LaunchSpec.env`` is the complete environment but for what only one instance knows:
  ``AWS_LAMBDA_LOG_STREAM_NAME`` and, on the http transport, ``AWS_LAMBDA_RUNTIME_API``.
- ``preflight()`` runs before each start. A ``Refusal`` means the instance cannot start (no
  executable bootstrap, no image); the invocation then fails with it as its init error.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from ovis.models.function import FunctionConfig
from ovis.storage.images import ImageRecord

Transport = Literal["channel", "http"]


class Start(enum.Enum):
    """How an instance's process comes to run its runtime (after the same isolation)."""

    FORK = "fork"  # the Python zygote forks and runs the managed Python runtime in the child
    EXEC = "exec"  # the forked child execs ``argv`` (node, a custom runtime's bootstrap)
    EXEC_IN_ROOTFS = "exec-in-rootfs"  # it pivots into ``rootfs`` and execs ``argv`` there


@dataclass(frozen=True)
class Refusal:
    """Why an instance cannot start, as Lambda reports it in the init error."""

    error_type: str
    message: str

    def payload(self) -> str:
        """The error object, with ``{rid}`` where the request id goes."""
        return json.dumps(
            {
                "errorType": self.error_type,
                "errorMessage": f"RequestId: {{rid}} Error: {self.message}",
            }
        )


def _no_refusal() -> Refusal | None:
    return None


@dataclass(frozen=True)
class LaunchSpec:
    """How to start an instance of one function version (see the module contract)."""

    start: Start
    env: Mapping[str, str]
    transport: Transport
    # The Python the forking zygote runs: the function's own interpreter for managed Python,
    # the server's for everything that execs (the zygote only forks and isolates those).
    interpreter: str
    cwd: str  # working directory inside the instance
    # EXEC and EXEC_IN_ROOTFS: the command. FORK: how to run the same runtime in a fresh
    # interpreter instead of the forked one (``--spawn-mode exec``, the naive baseline).
    argv: tuple[str, ...] = ()
    task_dir: str = ""  # host directory seen at /var/task (the extracted code)
    layers: tuple[str, ...] = ()  # host directories of the layers, in order, overlaid at /opt
    executables: tuple[str, ...] = ()  # host executables the sandbox must expose (node)
    rootfs: str | None = None  # EXEC_IN_ROOTFS: host path of the image's root filesystem
    # FORK: the runtime's SDK directory (boto3...), on sys.path after the function's code and
    # layers; and whether the zygote that forks the instance may have preloaded it: not when the
    # function ships its own copy of an SDK package, which must then win, as on Lambda.
    sdk_dir: str = ""
    preload_sdk: bool = True
    preflight: Callable[[], Refusal | None] = field(default=_no_refusal, compare=False)

    __hash__ = None  # type: ignore[assignment]

    @property
    def search_path(self) -> bool:
        """Whether argv[0] is looked up on PATH (an image's ENTRYPOINT may be a bare name)."""
        return self.start is Start.EXEC_IN_ROOTFS

    def with_env(self, **extra: str) -> LaunchSpec:
        """The same spec with ``extra`` variables set (provisioned instances say so)."""
        return dataclasses.replace(self, env={**self.env, **extra})


class ImageSource(Protocol):
    """Where image records and root filesystems are (``storage.images.ImageStore``)."""

    def get(self, digest: str) -> ImageRecord | None: ...

    def rootfs_path(self, digest: str) -> Path: ...


@dataclass(frozen=True)
class LaunchContext:
    """What an adapter needs besides the configuration; the invoker builds one per build."""

    code_dir: str  # host path of the function's extracted code
    layers: tuple[str, ...]  # host paths of its extracted layers, in order
    lambda_env: Mapping[str, str]  # the variables Lambda sets for every runtime
    namespaces: bool = True  # True: code is mounted at /var/task (else run where it lies)
    isolation: str = ""  # the host's isolation, described (for refusals)
    interpreters: Mapping[str, str] = field(default_factory=dict)  # runtime -> executable
    python_transport: Transport = "channel"
    images: ImageSource | None = None

    @property
    def task_root(self) -> str:
        """Where the instance sees its code."""
        return "/var/task" if self.namespaces else self.code_dir


class RuntimeAdapter(Protocol):
    """One runtime family: which functions it runs and how to launch them."""

    name: str

    def handles(self, cfg: FunctionConfig) -> bool: ...

    def launch(self, cfg: FunctionConfig, ctx: LaunchContext) -> LaunchSpec: ...


def zip_environment(
    cfg: FunctionConfig, ctx: LaunchContext, runtime_dir: str, runtime_env: Mapping[str, str]
) -> dict[str, str]:
    """A zip function's environment: Lambda's base variables, then the ones Lambda sets for
    every runtime, then the runtime's own (``runtime_env``), then the function's, which win."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin:/opt/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "LD_LIBRARY_PATH": "/opt/lib",
        "LAMBDA_TASK_ROOT": ctx.task_root,
        "LAMBDA_RUNTIME_DIR": runtime_dir,
        "_HANDLER": cfg.handler,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{cfg.runtime}",
        **ctx.lambda_env,
        **runtime_env,
        **cfg.environment,
    }

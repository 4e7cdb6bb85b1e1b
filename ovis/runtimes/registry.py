"""Which adapter launches a function, and which runtimes this host can run.

Contract: ``RuntimeRegistry`` is immutable after construction (thread-safe, shareable); the first
adapter whose ``handles(cfg)`` is true launches it. ``host_runtimes()`` probes the host (it runs
interpreters to ask their versions), so call it once at start-up.

Adding a runtime family: write ``runtimes/<family>/adapter.py`` with a class that has ``name``,
``handles(cfg)`` and ``launch(cfg, ctx) -> LaunchSpec`` (see ``base.py``), add it to the default
adapters below, and teach ``host_runtimes`` to find its executable. New versions of a family need
nothing: python3.x interpreters on PATH are found as they are, and so are the major versions of
the ``node`` on PATH and of the runtime-owned Node builds (``runtimes/node/installs.py``; a new
one is a ``node<N>`` bundle there).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Collection, Sequence

from ovis.models.function import FunctionConfig
from ovis.runtimes.base import LaunchContext, LaunchSpec, RuntimeAdapter
from ovis.runtimes.image.adapter import ImageAdapter
from ovis.runtimes.node import installs
from ovis.runtimes.node.adapter import NodeAdapter
from ovis.runtimes.provided.adapter import ProvidedAdapter
from ovis.runtimes.python.adapter import PythonAdapter

log = logging.getLogger(__name__)

CUSTOM_RUNTIMES = ("provided", "provided.al2", "provided.al2023")


class RuntimeRegistry:
    def __init__(self, adapters: Sequence[RuntimeAdapter] | None = None) -> None:
        # The image adapter first: PackageType decides before the (absent) runtime name.
        self.adapters: tuple[RuntimeAdapter, ...] = tuple(
            adapters
            if adapters is not None
            else (ImageAdapter(), PythonAdapter(), _node_adapter(), ProvidedAdapter())
        )

    def adapter_for(self, cfg: FunctionConfig) -> RuntimeAdapter:
        """The adapter for ``cfg``; LookupError when no adapter runs it."""
        for adapter in self.adapters:
            if adapter.handles(cfg):
                return adapter
        raise LookupError(f"no runtime adapter for {cfg.runtime or cfg.package_type}")

    def launch(self, cfg: FunctionConfig, ctx: LaunchContext) -> LaunchSpec:
        return self.adapter_for(cfg).launch(cfg, ctx)


def host_runtimes(known: Collection[str]) -> dict[str, str]:
    """Runtime name -> interpreter ("" for custom runtimes) for every runtime of ``known`` (the
    Lambda model's Runtime enum) this host runs: python3.x found on PATH, nodejsNN.x for each
    Node major version found (runtime-owned builds, then the ``node`` on PATH), and the custom
    runtimes. Logs (once: call it once) when Node runs here without the runtime-owned SDK."""
    own = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    found = {own: sys.executable}
    for name in known:
        if re.fullmatch(r"python3\.\d+", name) and name not in found:
            path = shutil.which(name)
            if path and _runs(path, name):
                found[name] = path
    nodes = {name: path for name, path in _nodes().items() if name in known}
    found.update(nodes)
    if nodes and installs.sdk_modules() is None:
        log.warning(
            "the AWS SDK for JavaScript v3 is not installed in %s: Node.js functions run without "
            "it (install it with `python -m ovis.runtimes.node.install`)",
            installs.runtime_dir(),
        )
    found.update(dict.fromkeys(CUSTOM_RUNTIMES, ""))
    return found


def _node_adapter() -> NodeAdapter:
    """The Node adapter with the runtime-owned SDK, if installed (looked up once, here)."""
    sdk = installs.sdk_modules()
    return NodeAdapter(str(sdk) if sdk is not None else None)


def _nodes() -> dict[str, str]:
    """ "nodejsNN.x" -> real path of its node: the runtime-owned builds first (pinned by this
    project), then the ``node`` on PATH for a major version they do not have."""
    found: dict[str, str] = {}
    candidates = [str(p) for p in installs.node_binaries()]
    on_path = shutil.which("node")
    if on_path is not None:
        candidates.append(on_path)
    for exe in candidates:
        node = _node(exe)
        if node is not None:
            found.setdefault(*node)
    return found


def _node(path: str) -> tuple[str, str] | None:
    """("nodejsNN.x", real path) for the node at ``path``, from ``node --version``."""
    real = os.path.realpath(path)
    try:
        out = subprocess.run([real, "--version"], capture_output=True, timeout=10, text=True)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.fullmatch(r"v(\d+)\.\d+\.\d+\S*", out.stdout.strip())
    if out.returncode != 0 or m is None:
        return None
    return f"nodejs{m.group(1)}.x", real


def _runs(path: str, runtime: str) -> bool:
    """True if ``path`` really is that interpreter (version managers install stub shims)."""
    try:
        out = subprocess.run(
            [path, "-c", "import sys; print('python%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            timeout=10,
            text=True,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and out.stdout.strip() == runtime

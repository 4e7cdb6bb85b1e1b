"""The inner loop's use case: dev mounts (``ovis dev``) and debug instances (``--debug``).

Contract:
- ``mount(name, path)``: the function's $LATEST runs the code in ``path`` in place from the next
  invoke on (instances of the old code retire), and every saved file under it starts new
  instances again (``dev_watch.DirWatcher``). Refused with a 4xx when the function is missing or
  an image, or the path is not an absolute directory that both the server and the instances'
  unprivileged users can read. ``unmount(name)``: back to the deployed code. With a lease
  (``lease_s``), the mount ends by itself unless ``renew(name)`` comes within that time: a
  CLI killed with SIGKILL cannot leave the function in dev mode.
- ``debug(name, port)``: the function's next $LATEST instances wait for a debugger on
  127.0.0.1:PORT (a free port when none is given; returned). Python needs ``debugpy`` in the
  server's environment; Node uses its inspector. ``undebug(name)`` ends it.
- Everything is in memory: a server restart forgets mounts and debug ports (as a dev session);
  deleting the function ends its mount and debug setting.
Methods run on the event loop thread.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import socket
import stat
from pathlib import Path

from ovis.errors import ApiError, InvalidParameterValueException, ResourceNotFoundException
from ovis.invoke.dev_mounts import DevMounts
from ovis.invoke.registry import FunctionRegistry
from ovis.services.lambda_.dev_watch import DirWatcher

log = logging.getLogger("ovis.dev")


class AccessDeniedException(ApiError):
    code, status = "AccessDeniedException", 403


class DevLoop:
    def __init__(self, registry: FunctionRegistry, mounts: DevMounts, drop_uid: bool) -> None:
        self.registry = registry
        self.mounts = mounts
        self.drop_uid = drop_uid  # instances run as other uids: the tree must be o+r
        self._watchers: dict[str, DirWatcher] = {}
        self._leases: dict[str, tuple[float, asyncio.TimerHandle]] = {}
        registry.on_change(self._on_function_change)

    def _on_function_change(self, name: str) -> None:
        """A deleted function leaves dev mode: a new one of the same name starts clean."""
        if self.mounts.get(name) is not None and self.registry.get(name, "$LATEST") is None:
            self.unmount(name)
            self.undebug(name)

    def _function(self, name: str) -> str:
        cfg = self.registry.get(name, "$LATEST")
        if cfg is None:
            raise ResourceNotFoundException(f"Function not found: {name}")
        if cfg.package_type == "Image":
            raise InvalidParameterValueException(
                f"{name} is a container image function: dev mounts and debuggers serve zip code"
            )
        return cfg.runtime

    def mount(self, name: str, path: object, lease_s: object = None) -> dict[str, object]:
        self._function(name)
        real = self._readable_dir(path)
        if lease_s is not None and (
            not isinstance(lease_s, int | float) or isinstance(lease_s, bool) or lease_s <= 0
        ):
            raise InvalidParameterValueException(
                f"LeaseSeconds must be a positive number, not {lease_s!r}"
            )
        old = self._watchers.pop(name, None)
        if old is not None:
            old.close()
        watcher = DirWatcher(real, lambda: self.mounts.touched(name))
        self._watchers[name] = watcher
        state = self.mounts.mount(name, real)
        self._cancel_lease(name)
        if lease_s is not None:
            self._arm(name, float(lease_s))
        log.info("dev mount: %s runs %s (%s)", name, real, watcher.mode)
        return {"FunctionName": name, "Path": real, "Watch": watcher.mode, **_gen(state.generation)}

    def renew(self, name: str) -> dict[str, object]:
        """Extend a leased mount by its lease; 404 when ``name`` is not mounted."""
        state = self.mounts.get(name)
        if state is None or state.path is None:
            raise ResourceNotFoundException(f"{name} is not dev-mounted")
        lease = self._leases.get(name)
        if lease is not None:
            self._arm(name, lease[0])
        return {"FunctionName": name}

    def _arm(self, name: str, lease_s: float) -> None:
        self._cancel_lease(name)
        handle = asyncio.get_running_loop().call_later(lease_s, self._expire, name)
        self._leases[name] = (lease_s, handle)

    def _cancel_lease(self, name: str) -> None:
        old = self._leases.pop(name, None)
        if old is not None:
            old[1].cancel()

    def _expire(self, name: str) -> None:
        self._leases.pop(name, None)
        log.warning("dev mount: %s's lease ran out (its `ovis dev` is gone)", name)
        self.unmount(name)

    def unmount(self, name: str) -> dict[str, object]:
        self._cancel_lease(name)
        watcher = self._watchers.pop(name, None)
        if watcher is not None:
            watcher.close()
        self.mounts.unmount(name)
        log.info("dev mount: %s back to its deployed code", name)
        return {"FunctionName": name}

    def debug(self, name: str, port: int | None) -> dict[str, object]:
        runtime = self._function(name)
        debugpy_dir = ""
        if runtime.startswith("python"):
            spec = importlib.util.find_spec("debugpy")
            if spec is None or not spec.submodule_search_locations:
                raise InvalidParameterValueException(
                    "debugpy is not installed in the server's environment "
                    "(pip install debugpy, or the project's dev extras)"
                )
            debugpy_dir = str(Path(next(iter(spec.submodule_search_locations))).parent)
        elif not runtime.startswith("nodejs"):
            raise InvalidParameterValueException(
                f"--debug supports Python and Node.js functions, not {runtime}"
            )
        if port is None:
            port = _free_port()
        elif not 1024 <= port <= 65535:
            raise InvalidParameterValueException(f"Port must be 1024-65535, not {port}")
        state = self.mounts.debug(name, port, debugpy_dir)
        return {"FunctionName": name, "Port": port, "Host": "127.0.0.1", **_gen(state.generation)}

    def undebug(self, name: str) -> dict[str, object]:
        self.mounts.undebug(name)
        return {"FunctionName": name}

    def describe(self) -> dict[str, object]:
        out = []
        for name in self.mounts.names():
            state = self.mounts.get(name)
            if state is not None:
                out.append({"FunctionName": name, "Path": state.path, "Port": state.debug_port})
        return {"Mounts": out}

    def close(self) -> None:
        for watcher in self._watchers.values():
            watcher.close()
        self._watchers.clear()

    def _readable_dir(self, path: object) -> str:
        if not isinstance(path, str) or not os.path.isabs(path):
            raise InvalidParameterValueException(f"Path must be an absolute path, not {path!r}")
        real = os.path.realpath(path)
        if not os.path.isdir(real):
            raise InvalidParameterValueException(f"{path} is not a directory on the server")
        if not os.access(real, os.R_OK | os.X_OK):
            raise InvalidParameterValueException(f"The server cannot read {path}")
        mode = os.stat(real).st_mode
        if self.drop_uid and mode & (stat.S_IROTH | stat.S_IXOTH) != stat.S_IROTH | stat.S_IXOTH:
            raise InvalidParameterValueException(
                f"{path} has mode {stat.S_IMODE(mode):04o}: the function's instances run as "
                "their own unprivileged users and cannot read it (chmod o+rx)"
            )
        return real


def _gen(generation: int) -> dict[str, int]:
    return {"Generation": generation}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])

"""Dev mounts: a function's $LATEST served from a host directory in place, and debug instances.

This is the invoke layer's half of the inner loop (``ovis dev``, ``ovis invoke --debug``); the
use case that validates paths and watches directories is ``services/lambda_/dev_loop.py``.

Contract:
- ``DevMounts`` holds, per function name, the directory its $LATEST runs from (or none) and the
  debugger port its next instances wait on (or none). Any change bumps the function's
  generation and calls the listeners with its name; the invoker then drops its cached specs and
  retires the instances of the old generation (busy ones when released), so the next invoke
  starts an instance that sees the new code or the new debug setting.
- ``key(cfg)`` is the pool key's third part: the revision id, plus ``+devN`` while the function
  is mounted or debugged, so instances of different generations never share a pool.
- ``launch(cfg, spec)`` turns a launch spec into a debug one when a port is set: Python gets
  ``_OVIS_DEBUGPY=PORT:DIR`` (bootstrap.py listens with debugpy from DIR and waits for a client
  before the first invoke); Node gets ``--inspect-brk=127.0.0.1:PORT``. Instances share the
  host's network namespace, so the host reaches that loopback port directly.
All methods run on the event loop thread; reads are dict lookups (the hot path stays cheap).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from ovis.models.function import FunctionConfig
from ovis.runtimes.base import LaunchSpec, Start

# A debug instance waits for a person: give its invocations Lambda's longest timeout.
DEBUG_TIMEOUT_S = 900
DEBUG_MIN_MEMORY_MB = 512  # debugpy and pydevd need room besides the function


@dataclass(frozen=True)
class DevState:
    """What is set for one function; ``generation`` counts changes (and saved files)."""

    generation: int
    path: str | None = None  # host directory its $LATEST runs from
    debug_port: int | None = None
    debugpy_dir: str = ""  # the directory holding the ``debugpy`` package (Python)

    @property
    def active(self) -> bool:
        return self.path is not None or self.debug_port is not None


class DevMounts:
    def __init__(self) -> None:
        self._states: dict[str, DevState] = {}
        self._generations: dict[str, int] = {}
        self._listeners: list[Callable[[str], None]] = []

    def on_change(self, listener: Callable[[str], None]) -> None:
        self._listeners.append(listener)

    def get(self, name: str) -> DevState | None:
        return self._states.get(name)

    def names(self) -> list[str]:
        return sorted(self._states)

    def _set(self, name: str, **changes: object) -> DevState:
        gen = self._generations.get(name, 0) + 1
        self._generations[name] = gen
        old = self._states.get(name) or DevState(gen)
        state = dataclasses.replace(old, generation=gen, **changes)  # type: ignore[arg-type]
        if state.active:
            self._states[name] = state
        else:
            self._states.pop(name, None)
        for listener in self._listeners:
            listener(name)
        return state

    def mount(self, name: str, path: str) -> DevState:
        return self._set(name, path=path)

    def unmount(self, name: str) -> None:
        if name in self._states:
            self._set(name, path=None)

    def touched(self, name: str) -> None:
        """A file under the mounted directory changed: the next invoke gets new instances."""
        if name in self._states:
            self._set(name)

    def debug(self, name: str, port: int, debugpy_dir: str) -> DevState:
        return self._set(name, debug_port=port, debugpy_dir=debugpy_dir)

    def undebug(self, name: str) -> None:
        if name in self._states:
            self._set(name, debug_port=None)

    def applies(self, cfg: FunctionConfig) -> DevState | None:
        """The state that applies to an invocation of ``cfg`` (only $LATEST is mounted)."""
        return self._states.get(cfg.name) if cfg.version == "$LATEST" else None

    def key(self, cfg: FunctionConfig) -> str:
        state = self.applies(cfg)
        return cfg.revision_id if state is None else f"{cfg.revision_id}+dev{state.generation}"

    @staticmethod
    def launch(state: DevState | None, spec: LaunchSpec) -> LaunchSpec:
        """``spec`` made to wait for a debugger when ``state`` has a port (see module doc)."""
        if state is None or state.debug_port is None:
            return spec
        port = state.debug_port
        if spec.start is Start.FORK:
            return spec.with_env(_OVIS_DEBUGPY=f"{port}:{state.debugpy_dir}")
        if spec.argv and "node" in spec.argv[0].rsplit("/", 1)[-1]:
            argv = (spec.argv[0], f"--inspect-brk=127.0.0.1:{port}", *spec.argv[1:])
            return dataclasses.replace(spec, argv=argv)
        return spec

"""Instance spawning follows the LaunchSpec: fork, exec a command, or exec in an image rootfs."""

from __future__ import annotations

import asyncio
import json
from typing import Any, cast

import pytest

from ovis.runtimes.base import LaunchSpec, Refusal, Start
from ovis.sandbox.instance import InitError, Instance, InstanceSpec
from ovis.sandbox.isolation import Isolation, UidAllocator
from ovis.sandbox.zygote import ExitCallback, Zygote


class FakeZygote:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    async def spawn(self, spec: dict[str, Any], fds: list[int], on_exit: ExitCallback) -> int:
        self.requests.append(spec)
        return 0  # no process: the instance never signals pid 0


def spawn(launch: LaunchSpec, namespaces: bool = True, fresh: bool = False) -> dict[str, Any]:
    async def main() -> dict[str, Any]:
        zygote = FakeZygote()
        iso = Isolation(namespaces, None, False, "test isolation")
        spec = InstanceSpec(("fn", "$LATEST", "r1"), launch, memory_mb=128, timeout_s=3)
        inst = Instance(spec, cast(Zygote, zygote), "s/[1]abc", iso, UidAllocator(), fresh)
        await inst._spawn(dict(launch.env), [])
        return zygote.requests[0]

    return asyncio.run(main())


def launch(start: Start, **kw: Any) -> LaunchSpec:
    fields: dict[str, Any] = {
        "env": {"PATH": "/usr/bin"},
        "transport": "http",
        "interpreter": "/usr/bin/python3",
        "cwd": "/var/task",
        "task_dir": "/code/abc",
        **kw,
    }
    return LaunchSpec(start=start, **fields)


def test_fork_runs_the_runtime_in_the_forked_child_unless_a_fresh_interpreter_is_asked() -> None:
    spec = launch(Start.FORK, argv=("/usr/bin/python3", "bootstrap.py"), layers=("/l1",))
    msg = spawn(spec)
    assert msg["exec"] is None
    assert msg["cwd"] == "/var/task" and msg["env"] == {"PATH": "/usr/bin"}
    assert msg["sandbox"]["task_root"] == "/code/abc" and msg["sandbox"]["layers"] == ["/l1"]
    assert "search_path" not in msg
    assert spawn(spec, fresh=True)["exec"] == ["/usr/bin/python3", "bootstrap.py"]


def test_exec_runs_the_command_after_the_same_isolation() -> None:
    msg = spawn(
        launch(
            Start.EXEC, argv=("/opt/node/bin/node", "b.mjs"), executables=("/opt/node/bin/node",)
        )
    )
    assert msg["exec"] == ["/opt/node/bin/node", "b.mjs"]
    assert "/opt/node/bin" in msg["sandbox"]["expose"]
    assert "search_path" not in msg


def test_exec_in_rootfs_pivots_into_the_image_and_searches_path() -> None:
    msg = spawn(launch(Start.EXEC_IN_ROOTFS, argv=("app", "x"), cwd="/app", rootfs="/images/r"))
    assert msg["exec"] == ["app", "x"] and msg["cwd"] == "/app"
    assert msg["search_path"] is True
    assert msg["sandbox"]["rootfs"] == "/images/r" and "task_root" not in msg["sandbox"]


def test_a_refusal_fails_the_start_with_the_init_error_and_spawns_nothing() -> None:
    refusal = Refusal("Runtime.InvalidEntrypoint", "fork/exec /var/task/bootstrap: nope")
    spec = launch(Start.EXEC, argv=("/var/task/bootstrap",), preflight=lambda: refusal)
    with pytest.raises(InitError) as e:
        spawn(spec)
    assert json.loads(e.value.payload) == {
        "errorType": "Runtime.InvalidEntrypoint",
        "errorMessage": "RequestId: {rid} Error: fork/exec /var/task/bootstrap: nope",
    }

"""The Python runtime's view of the world: Lambda's sys.path, AWS-shaped tracebacks."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ovis.runtimes.python import bootstrap


@pytest.fixture
def sdk_dir() -> Iterator[str]:
    saved = bootstrap._sdk_dir
    bootstrap._sdk_dir = "/srv/ovis/python-sdk/python3.11"
    yield bootstrap._sdk_dir
    bootstrap._sdk_dir = saved


def _raiser(filename: str, inner: Callable[[], Any] | None = None) -> Callable[[], Any]:
    """A function whose code claims to live in ``filename`` and raises (or calls ``inner``)."""
    scope: dict[str, Any] = {"inner": inner}
    body = "def f():\n    inner()\n" if inner else "def f():\n    raise ValueError('boom')\n"
    exec(compile(body, filename, "exec"), scope)
    return scope["f"]  # type: ignore[no-any-return]


def _trace_of(fn: Callable[[], Any]) -> list[str]:
    try:
        fn()
    except Exception as e:
        return bootstrap.stack_trace(e.__traceback__)
    raise AssertionError("no exception")


def test_function_path_is_lambdas_and_holds_nothing_of_the_server() -> None:
    path = bootstrap.function_path("/var/task", "/sdk")
    v = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    assert path[:4] == ["/var/task", "/opt/python", f"/opt/python/lib/{v}/site-packages", "/sdk"]
    assert path[4:] == bootstrap.STDLIB_PATH and bootstrap.STDLIB_PATH
    assert not [p for p in path if "site-packages" in p and not p.startswith("/opt/")]
    assert bootstrap._RUNTIME_DIR not in path


def test_the_runtimes_frames_are_left_out_and_host_paths_replaced(sdk_dir: str) -> None:
    user = _raiser("/var/task/app.py")
    via_sdk = _raiser(f"{sdk_dir}/botocore/client.py", user)
    via_runtime = _raiser(os.path.join(bootstrap._RUNTIME_DIR, "bootstrap.py"), via_sdk)
    trace = _trace_of(via_runtime)
    files = [line.split('"')[1] for line in trace]
    # this test's own frame (where it was caught), then the SDK's and the function's
    assert files == [__file__, "/var/runtime/botocore/client.py", "/var/task/app.py"]
    stdlib = _trace_of(lambda: json.loads("{"))
    assert any(f'"/var/lang/lib/{bootstrap._PYTHON}/json/' in line for line in stdlib)
    assert not any(os.path.dirname(json.__file__) in line for line in stdlib)


def test_an_error_is_logged_as_one_record(capsys: pytest.CaptureFixture[str]) -> None:
    err = bootstrap._error_result(ValueError("multi\nline"), "rid")
    err["stackTrace"] = ['  File "/var/task/app.py", line 2, in handler\n    raise X\n']
    bootstrap._log_error(err)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.endswith("\n")
    assert out == (
        "[ERROR] ValueError: multi\rline\rTraceback (most recent call last):\r"
        '  File "/var/task/app.py", line 2, in handler\r    raise X\n'
    )

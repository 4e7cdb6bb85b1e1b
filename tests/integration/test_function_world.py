"""A function's world is Lambda's: what it can import, its SDK, its user, its stack traces, its
REPORT lines and logs, all seen through boto3 against a live server, as a user would."""

from __future__ import annotations

import base64
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import (
    ROLE,
    ROOT,
    ServerProcess,
    create_python_function,
    start_server,
    zip_bytes,
)

PRIVILEGED = os.geteuid() == 0  # cgroups and namespaces: what CI has
SERVER_BOTO3 = importlib.metadata.version("boto3")  # the runtime's SDK is the server's boto3
BUNDLED_BOTO3 = "1.35.0"
PY = f"python{sys.version_info[0]}.{sys.version_info[1]}"


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def invoke(lam, name: str, payload: object = None, **kw):  # type: ignore[no-untyped-def]
    resp = lam.invoke(FunctionName=name, Payload=json.dumps(payload or {}).encode(), **kw)
    resp["Body"] = json.loads(resp["Payload"].read())
    return resp


def tail(resp) -> str:  # type: ignore[no-untyped-def]
    return base64.b64decode(resp["LogResult"]).decode()


def report(resp) -> str:  # type: ignore[no-untyped-def]
    return next(ln for ln in tail(resp).splitlines() if ln.startswith("REPORT "))


def memory_used(report_line: str) -> int:
    m = re.search(r"\tMax Memory Used: (\d+) MB", report_line)
    assert m, report_line
    return int(m.group(1))


def wait_for(check: Callable[[], Any], timeout: float = 30) -> Any:
    """Poll an eventually consistent view (stored logs) until ``check`` is truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def log_events(server: ServerProcess, name: str, pattern: str = "") -> list[str]:
    logs = server.client("logs")
    try:
        kw = {"filterPattern": pattern} if pattern else {}
        found = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}", **kw)
    except logs.exceptions.ResourceNotFoundException:
        return []
    return [e["message"] for e in found["events"]]


def host_free(text: str) -> bool:
    """Nothing of the host's checkout (the server's files, its virtualenv) shows."""
    return str(ROOT) not in text and "bootstrap.py" not in text and "bootstrap.mjs" not in text


@pytest.fixture(scope="module")
def exec_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    srv = start_server(tmp_path_factory.mktemp("ovis-exec") / "data", "--spawn-mode", "exec")
    yield srv
    srv.stop()


# ---- imports and the SDK ------------------------------------------------------------------


@pytest.mark.parametrize("module", ["yaml", "click", "uvicorn", "ovis"])
def test_the_servers_packages_are_not_importable(lam, module: str) -> None:  # type: ignore[no-untyped-def]
    name = uniq("imp")
    create_python_function(lam, name, f"import {module}\ndef handler(e, c):\n    return 1\n")
    r = invoke(lam, name)
    assert r["FunctionError"] == "Unhandled"
    assert r["Body"]["errorType"] == "Runtime.ImportModuleError"
    assert r["Body"]["errorMessage"] == (
        f"Unable to import module 'app': No module named '{module}'"
    )


PATH_PROBE = """
import importlib.metadata, sys
import boto3, botocore
def handler(e, c):
    shadowed = []
    for name in ("wire", "bootstrap", "isolate", "zygote", "_pytest", "rich"):
        try:
            __import__(name)
            shadowed.append(name)
        except ImportError:
            pass
    return {
        "path": sys.path,
        "boto3": boto3.__version__,
        "botocore": botocore.__version__,
        "metadata": importlib.metadata.version("boto3"),
        "finders": [getattr(f, "__name__", type(f).__name__) for f in sys.meta_path],
        "importable": shadowed,
        "argv": sys.argv,
    }
"""


def test_sys_path_is_lambdas_and_boto3_is_the_runtimes_sdk(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("path")
    create_python_function(lam, name, PATH_PROBE)
    out = invoke(lam, name)["Body"]
    path = out["path"]
    assert path[:3] == ["/var/task", "/opt/python", f"/opt/python/lib/{PY}/site-packages"]
    assert path[3].endswith(f"/python-sdk/{PY}")  # the runtime's SDK directory
    rest = path[4:]
    assert rest and all("site-packages" not in p and "dist-packages" not in p for p in rest)
    assert out["boto3"] == out["metadata"] == SERVER_BOTO3
    assert out["botocore"] == importlib.metadata.version("botocore")
    assert out["finders"] == ["BuiltinImporter", "FrozenImporter", "PathFinder"]
    assert out["importable"] == []
    assert out["argv"] == ["/var/runtime/bootstrap.py"]


@pytest.fixture(scope="module")
def old_boto3_zip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A function zip bundling boto3 1.35.0 and its botocore (from PyPI, once per run)."""
    target = tmp_path_factory.mktemp("bundled") / "site"
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "install", "-q", "--no-compile"),
            *("--disable-pip-version-check", "--target", str(target), f"boto3=={BUNDLED_BOTO3}"),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    shutil.rmtree(target / "bin", ignore_errors=True)
    zpath = target.parent / "function.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("app.py", BUNDLED_PROBE)
        for f in sorted(target.rglob("*")):
            if f.is_file():
                zf.write(f, f.relative_to(target).as_posix())
    return zpath.read_bytes()


BUNDLED_PROBE = """
import boto3, botocore
def handler(e, c):
    return {"boto3": boto3.__version__, "botocore": botocore.__version__, "file": boto3.__file__}
"""


@pytest.mark.parametrize("mode", ["zygote", "exec"])
def test_a_bundled_boto3_wins_in_both_spawn_modes(
    request: pytest.FixtureRequest, old_boto3_zip: bytes, mode: str
) -> None:
    srv: ServerProcess = request.getfixturevalue("server" if mode == "zygote" else "exec_server")
    lam: Any = srv.client("lambda")
    name = uniq("bundled")
    lam.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": old_boto3_zip},
        Timeout=60,
        MemorySize=512,
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
    out = invoke(lam, name)["Body"]
    assert out["boto3"] == BUNDLED_BOTO3, out
    assert out["botocore"].startswith("1.35.")
    assert out["file"] == "/var/task/boto3/__init__.py" or not PRIVILEGED
    # ...while a function that bundles nothing still gets the runtime's SDK, forked fast
    plain = uniq("plain")
    create_python_function(lam, plain, BUNDLED_PROBE)
    assert invoke(lam, plain)["Body"]["boto3"] == SERVER_BOTO3


# ---- the sandbox user -----------------------------------------------------------------------

USER_PROBE = """
import os, pwd, grp
def handler(e, c):
    entry = pwd.getpwuid(os.getuid())
    return {
        "name": entry.pw_name, "dir": entry.pw_dir, "group": grp.getgrgid(os.getgid()).gr_name,
        "home": os.path.expanduser("~"), "HOME": os.environ.get("HOME"),
        "tmp": sorted(os.listdir("/tmp")),
    }
"""


@pytest.mark.skipif(not PRIVILEGED, reason="instances get a uid of their own only as root")
def test_the_sandbox_user_has_a_passwd_entry_and_a_home(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("user")
    create_python_function(lam, name, USER_PROBE)
    out = invoke(lam, name)["Body"]
    assert out == {
        "name": "sbx_user1051",
        "dir": "/home/sbx_user1051",
        "group": "sbx_user1051",
        "home": "/home/sbx_user1051",
        "HOME": None,  # as on Lambda: the passwd entry answers, not the environment
        # Nothing of how the entry was made is left in /tmp. (A server installed under /tmp,
        # as a checkout there is, keeps its runtime directories reachable at their own paths:
        # read-only binds inside the private /tmp, until instances get a minimal root.)
        "tmp": _server_dirs_under_tmp(),
    }

    if shutil.which("node") is None:
        return
    node = uniq("nodehome")
    code = "const os = require('os');\nexports.handler = async () => [os.homedir(), os.userInfo().username];\n"
    lam.create_function(
        FunctionName=node,
        Runtime=f"nodejs{_node_major()}.x",
        Role=ROLE,
        Handler="index.handler",
        Code={"ZipFile": zip_bytes({"index.js": code})},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=node, WaiterConfig={"Delay": 0.05})
    r = invoke(lam, node)
    assert "FunctionError" not in r, r["Body"]
    assert r["Body"] == ["/home/sbx_user1051", "sbx_user1051"]


def _server_dirs_under_tmp() -> list[str]:
    roots = {Path(sys.prefix).resolve(), Path(__file__).resolve().parents[2]}
    return sorted({r.relative_to("/tmp").parts[0] for r in roots if r.is_relative_to("/tmp")})


def _node_major() -> str:
    out = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True)
    return out.stdout.strip().lstrip("v").split(".")[0]


# ---- stack traces ---------------------------------------------------------------------------

TRACE_APP = """
import boto3, helper
def handler(e, c):
    if e.get("sdk"):
        boto3.client("lambda").get_function(FunctionName="does-not-exist-anywhere")
    helper.fail(e.get("why", "it broke"))
"""
TRACE_HELPER = "def fail(why):\n    raise ValueError(why)\n"


def test_stack_traces_show_only_the_functions_frames(server, lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("trace")
    files = {"app.py": TRACE_APP, "helper.py": TRACE_HELPER}
    create_python_function(lam, name, "", files=files, Timeout=30)
    r = invoke(lam, name, LogType="Tail")
    err = r["Body"]
    assert err["errorType"] == "ValueError" and err["errorMessage"] == "it broke"
    assert [ln.split('"')[1] for ln in err["stackTrace"]] == [
        "/var/task/app.py",
        "/var/task/helper.py",
    ]
    assert host_free(json.dumps(err))
    # logged as one record: the frames' newlines are \r, as AWS writes them
    # (split on \n only: str.splitlines() would split the record at its \r too)
    logged = [ln for ln in tail(r).split("\n") if ln.startswith("[ERROR] ValueError: it broke")]
    assert len(logged) == 1 and host_free(logged[0])
    assert logged[0].split("\r") == [
        "[ERROR] ValueError: it broke",
        "Traceback (most recent call last):",
        '  File "/var/task/app.py", line 6, in handler',
        '    helper.fail(e.get("why", "it broke"))',
        '  File "/var/task/helper.py", line 2, in fail',
        "    raise ValueError(why)",
    ]
    stored = wait_for(lambda: log_events(server, name, "Traceback"))
    assert stored == [logged[0]]  # one event in the log group, the whole traceback in it

    # An error raised inside the SDK: its frames read as Lambda's /var/runtime, no host path.
    sdk_err = invoke(lam, name, {"sdk": True})["Body"]
    assert sdk_err["errorType"] == "ResourceNotFoundException"
    files_seen = [ln.split('"')[1] for ln in sdk_err["stackTrace"]]
    assert files_seen[0] == "/var/task/app.py"
    assert all(f.startswith(("/var/task/", "/var/runtime/", "/var/lang/")) for f in files_seen)
    assert host_free(json.dumps(sdk_err))


def test_an_onfailure_destination_record_carries_the_clean_trace(server, lam) -> None:  # type: ignore[no-untyped-def]
    sqs: Any = server.client("sqs")
    queue = sqs.create_queue(QueueName=uniq("failures"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    name = uniq("dest")
    create_python_function(lam, name, "", files={"app.py": TRACE_APP, "helper.py": TRACE_HELPER})
    lam.put_function_event_invoke_config(
        FunctionName=name,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": arn}},
    )
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"why": "async"}')
    got = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=20, MaxNumberOfMessages=1)
    body = got["Messages"][0]["Body"]
    record = json.loads(body)
    payload = record["responsePayload"]
    assert payload["errorMessage"] == "async"
    assert [ln.split('"')[1] for ln in payload["stackTrace"]] == [
        "/var/task/app.py",
        "/var/task/helper.py",
    ]
    assert host_free(body)


@pytest.mark.skipif(shutil.which("node") is None, reason="no node on this host")
def test_node_traces_have_no_runtime_frames_or_host_paths(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("nodetrace")
    code = "exports.handler = async () => { throw new Error('it broke'); };\n"
    lam.create_function(
        FunctionName=name,
        Runtime=f"nodejs{_node_major()}.x",
        Role=ROLE,
        Handler="index.handler",
        Code={"ZipFile": zip_bytes({"index.js": code})},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
    r = invoke(lam, name, LogType="Tail")
    trace = r["Body"]["trace"]
    assert trace[0] == "Error: it broke" and "/var/task/index.js:1:" in trace[1]
    assert host_free(json.dumps(r["Body"])) and host_free(tail(r))


# ---- REPORT lines and logs ------------------------------------------------------------------

MEMORY = """
import time
KEEP = []
def handler(e, c):
    KEEP.append(bytearray(e.get("mb", 60) * 1024 * 1024))  # touched: bytearray zero-fills
    if e.get("hang"):
        time.sleep(30)
    return len(KEEP)
"""


def test_report_lines_init_duration_on_cold_starts_only_and_no_trailing_tab(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("report")
    create_python_function(lam, name, MEMORY, MemorySize=512)
    cold, warm = (
        report(invoke(lam, name, {"mb": 1}, LogType="Tail")),
        report(invoke(lam, name, {"mb": 1}, LogType="Tail")),
    )
    assert "\tInit Duration: " in cold and "Init Duration" not in warm
    for line in (cold, warm):
        assert not line.endswith("\t") and not line.endswith(" ")
        assert "\tMemory Size: 512 MB\tMax Memory Used: " in line


@pytest.mark.skipif(not PRIVILEGED, reason="the real peak comes from the instance's cgroup")
def test_max_memory_used_is_the_instances_real_peak(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("mem")
    create_python_function(lam, name, MEMORY, MemorySize=512, Timeout=30)
    used = memory_used(report(invoke(lam, name, {"mb": 60}, LogType="Tail")))
    assert 60 <= used <= 70, used
    # the peak over the instance's lifetime so far, as AWS reports it
    assert 120 <= memory_used(report(invoke(lam, name, {"mb": 60}, LogType="Tail"))) <= 130

    hung = uniq("memto")
    create_python_function(lam, hung, MEMORY, MemorySize=512, Timeout=1)
    r = invoke(lam, hung, {"mb": 60, "hang": True}, LogType="Tail")
    line = report(r)
    assert line.endswith("\tStatus: timeout")
    assert 60 <= memory_used(line) <= 70, line  # its real peak, not its MemorySize


LOUD = """
def handler(e, c):
    for i in range(e["n"]):
        print(f"line {i}")
    return "done"
"""


def test_a_flood_of_output_leaves_a_marker_saying_how_much_was_dropped(server, lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("loud")
    create_python_function(lam, name, LOUD, Timeout=60)
    n = 200_000
    r = invoke(lam, name, {"n": n}, LogType="Tail")
    assert r["Body"] == "done"
    last = [ln for ln in tail(r).splitlines() if ln.startswith("line ")]
    assert last[-1] == f"line {n - 1}"  # the end of the output is kept
    markers = wait_for(lambda: log_events(server, name, "log output truncated"), timeout=60)
    assert len(markers) == 1, markers
    m = re.fullmatch(
        r"\[ovis\] log output truncated: (\d+) bytes \((\d+) lines\) dropped before this line; "
        r"each invocation keeps its last (\d+) bytes of output",
        markers[0],
    )
    assert m, markers[0]
    dropped_bytes, dropped_lines, kept = (int(g) for g in m.groups())
    # exactly the first `dropped_lines` lines went, and about the cap's worth was kept
    assert dropped_bytes == sum(len(f"line {i}\n") for i in range(dropped_lines))
    total = sum(len(f"line {i}\n") for i in range(n))
    assert kept == 1 << 20 and total - dropped_bytes <= kept
    assert total - dropped_bytes > kept - 20


# ---- states ---------------------------------------------------------------------------------

PENDING = (
    "The operation cannot be performed at this time. "
    "The function is currently in the following state: Pending"
)


def test_a_pending_function_is_refused_with_awss_message(lam) -> None:  # type: ignore[no-untyped-def]
    """Caught right after CreateFunction, before the function becomes Active (its activation
    commits to the store first): both invocation types are refused, as Lambda refuses them."""
    code = zip_bytes({"app.py": "def handler(e, c):\n    return 1\n"})
    refused: dict[str, str] = {}
    for attempt in range(200):
        name = uniq("pending")
        lam.create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": code},
        )
        kind = ("RequestResponse", "Event")[attempt % 2]
        try:
            lam.invoke(FunctionName=name, InvocationType=kind, Payload=b"{}")
        except lam.exceptions.ResourceConflictException as e:
            assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 409
            refused[kind] = e.response["Error"]["Message"]
        lam.delete_function(FunctionName=name)
        if len(refused) == 2:
            break
    if not refused:
        pytest.skip("every function was Active before its first invocation arrived")
    assert set(refused.values()) == {PENDING}
